// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and lists where the time went:
// self time per function (time spent in the function's own code, including native calls
// it makes, e.g. a kernel called through N-API), and inclusive time per function.
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  fn: string;
  ms: number;
  pct: number;
}

function label(n: ProfileNode, root: string): string {
  const { functionName, url } = n.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  let file = url.replace(/^file:\/\//, '');
  if (file.startsWith(root)) file = path.relative(root, file);
  else if (file.includes('node_modules/')) file = file.slice(file.lastIndexOf('node_modules/') + 13);
  // Line numbers are those of tsx's compiled output, not of the .ts source: left out.
  return `${name} ${file}`;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time in Node internals and the TypeScript loader (start-up, module loading). */
  startupMs: number;
  self: ProfileRow[];
  inclusive: ProfileRow[];
}

export function summarizeProfile(file: string, root: string, top = 25): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    let id: number | undefined = prof.samples[i];
    const leaf = byId.get(id) as ProfileNode;
    const key = label(leaf, root);
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    while (id !== undefined) {
      const k = label(byId.get(id) as ProfileNode, root);
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
  const rows = (m: Map<string, number>, skip: (k: string) => boolean) =>
    [...m.entries()]
      .filter(([k]) => !skip(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms, pct: (100 * ms) / total }));
  const runtime = (k: string) => k.includes('node:internal') || k.includes('tsx/');
  const wrapper = (k: string) => runtime(k) || k.startsWith('(root)') || k.startsWith('(program)') || k.startsWith('evaluate');
  let startup = 0;
  for (const [k, ms] of self) if (runtime(k)) startup += ms;
  return { totalMs: total, startupMs: startup, self: rows(self, runtime), inclusive: rows(incl, wrapper) };
}

export function formatProfile(p: ProfileSummary): string {
  const fmt = (r: ProfileRow) => `${r.ms.toFixed(0).padStart(8)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.fn}`;
  return [
    `Sampled ${p.totalMs.toFixed(0)} ms, of which ${p.startupMs.toFixed(0)} ms in Node internals / the TypeScript loader (left out below).`,
    '',
    'Self time (own code plus native calls it makes):',
    ...p.self.map(fmt),
    '',
    'Inclusive time (function and everything it calls; runtime wrappers left out):',
    ...p.inclusive.map(fmt),
  ].join('\n');
}
