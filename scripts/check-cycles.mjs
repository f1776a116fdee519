#!/usr/bin/env node
// Fails (exit 1) when the modules of ts/ import each other in a cycle, type-only imports
// included: every module must sit in one layer of the design (tensor below ops below
// autodiff below nn ...), and a cycle means two modules each need the other.
//   node scripts/check-cycles.mjs [folder]      (default: ts)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(root, process.argv[2] ?? 'ts');

function files(d) {
  return readdirSync(d).flatMap((f) => {
    const p = path.join(d, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

// `import ... from './x.js'`, `import './x.js'`, `export ... from './x.js'`, `import('./x.js')`;
// not `declare module './x.js'` (an augmentation, not an import)
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** The source without its comments (strings kept: an import path is a string). */
function stripComments(src) {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
    } else out += c;
  }
  return out;
}

const graph = new Map();
for (const file of files(dir)) {
  const src = stripComments(readFileSync(file, 'utf8'));
  const deps = new Set();
  for (const m of src.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    deps.add(target);
  }
  graph.set(file, [...deps].filter((d) => d.startsWith(dir)));
}

// Tarjan's strongly connected components: every component of more than one module, or a
// module importing itself, is a cycle.
let index = 0;
const stack = [];
const info = new Map();
const cycles = [];
function visit(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc);
  }
}
for (const v of graph.keys()) if (!info.has(v)) visit(v);

const rel = (p) => path.relative(root, p);
if (cycles.length > 0) {
  console.error(`import cycles in ${rel(dir)}/ (${cycles.length}):`);
  for (const scc of cycles) {
    const members = new Set(scc);
    console.error(`  ${scc.map(rel).sort().join(' ↔ ')}`);
    for (const v of [...scc].sort()) {
      const inCycle = graph.get(v).filter((w) => members.has(w));
      console.error(`      ${rel(v)} imports ${inCycle.map(rel).join(', ')}`);
    }
  }
  process.exit(1);
}
console.log(`no import cycles among the ${graph.size} modules of ${rel(dir)}/`);
