// Runs the ```ts code blocks of a Markdown file as one program, in order, as Flux runs its
// documentation examples as doctests: so that README.md cannot drift from the code.
//
// The blocks are a tour: each sees what the earlier ones defined, and may define a name again
// (top-level `const` and `let` become `var`). Imports from 'fluxion' are gathered into one import
// of this checkout's ts/index.ts. A statement alone on a line whose comment begins with a value,
//     df(tensor(2)).item();   // 14
//     gradient(f, 2);         // [14]  numbers in, numbers out
//     gs.get(x);              // Tensor [0, 2]
// is checked: a number or a list of numbers must equal the result (to 1e-4, relative), or for a
// Tensor result its values or its shape; `Tensor [...]` must be its values; `true`, `false`, a
// 'quoted string' or a list of them must equal the result exactly. Other comments (`// ~ 3`,
// `// lower`) are prose.
//
// A block that is not meant to run says so on its fence: ```ts no-run (it needs data or a server
// the README does not build). Any other word after `ts` is an error, so a typo cannot turn a check off.
//
// The examples in the API's doc comments run the same way, but each on its own (`separate`): every
// block in a scope of its own, every public name imported, and a failing block reported by its
// file:line and export, after which the next block still runs (test/docs/examples.test.ts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Block {
  /** 1-based line of the block's first code line in its file (the Markdown file, or a doc comment's source file). */
  line: number;
  code: string;
  run: boolean;
  /** Where the block is, when it is not in the program's one file (a doc comment's source file). */
  file?: string;
  /** What the block documents (an export's name), for its report. */
  name?: string;
}

const MARKERS = new Set(['no-run']);

/** The ```ts / ```typescript blocks of `markdown`, with their markers checked. */
export function tsBlocks(markdown: string, file = 'README.md', firstLine = 1): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j].trim().startsWith(fence[0].repeat(fence.length)) && lines[j].trim().replace(/[`~]/g, '') === '') break;
      body.push(indent ? lines[j].replace(new RegExp(`^ {0,${indent.length}}`), '') : lines[j]);
    }
    if (j === lines.length) throw new Error(`${file}:${i + firstLine}: a code block that never ends`);
    if (lang === 'ts' || lang === 'typescript') {
      const words = rest.trim().split(/\s+/).filter(Boolean);
      for (const w of words) if (!MARKERS.has(w)) throw new Error(`${file}:${i + firstLine}: unknown marker '${w}' on a ts block (known: ${[...MARKERS].join(', ')})`);
      out.push({ line: i + firstLine + 1, code: body.join('\n'), run: !words.includes('no-run') });
    }
    i = j;
  }
  return out;
}

const DECLARATION = /^(const|let|var|import|export|function|class|async|await|return|if|for|while|type|interface)\b/;
const EXPECTED = /^(.*?);?\s*\/\/\s*((?:Tensor\s*)?\[[-\d.,\s]*\]|-?\d+(?:\.\d+)?(?:e-?\d+)?|true|false|'[^'"]*'|\[(?:\s*'[^'"]*'\s*,?)+\])(?=$|[\s:;,])/;

/** Whether the brackets of `expr` (outside its string literals) close in order. */
function balanced(expr: string): boolean {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const bare = expr.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '');
  for (const c of bare) {
    if (c === '(' || c === '[' || c === '{') open.push(c);
    else if (c in pairs && open.pop() !== pairs[c]) return false;
  }
  return open.length === 0;
}

/** `code` with a top-level expression statement checked against the value its comment begins with. */
function withCheck(line: string, where: string): string {
  if (/^\s/.test(line) || DECLARATION.test(line)) return line;
  const m = EXPECTED.exec(line);
  if (!m) return line;
  const expr = m[1].trim();
  // a single expression: no statement separator, no assignment, brackets that balance (not the
  // end of a call that began on an earlier line, `}).length;   // 10`)
  if (expr === '' || expr.includes(';') || /(^|[^=!<>])=($|[^=>])/.test(expr) || !balanced(expr)) return line;
  return `__check(() => (${expr}), ${JSON.stringify(m[2])}, ${JSON.stringify(where)});`;
}

export interface ProgramOptions {
  /**
   * Each block on its own: in a scope of its own (names do not carry over), and a failing block
   * is reported by its file:line and name while the others still run; the program fails at the end.
   */
  separate?: boolean;
  /** Names imported from the index for every block (the public API, for doc comment examples). */
  names?: readonly string[];
}

/** One program of the runnable blocks: a gathered import, then each block in order. */
export function program(blocks: Block[], indexPath: string, file = 'README.md', opts: ProgramOptions = {}): string {
  const names = new Set<string>(opts.names ?? []);
  const otherImports: string[] = [];
  const body: string[] = [];
  for (const b of blocks) {
    if (!b.run) continue;
    let code = b.code.replace(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]fluxion['"];?/g, (_, typeOnly: string | undefined, list: string) => {
      for (const n of list.split(',').map((s) => s.trim()).filter(Boolean)) names.add(typeOnly ? `type ${n.replace(/^type\s+/, '')}` : n);
      return '';
    });
    code = code.replace(/^import\s[^;]*;?$/gm, (imp) => {
      otherImports.push(imp);
      return '';
    });
    const at = b.file ?? file;
    if (opts.separate) {
      const lines = code.split('\n').map((l, k) => withCheck(l, `${at}:${b.line + k}`));
      const what = `${at}:${b.line}${b.name ? ` (the example of ${b.name})` : ''}`;
      body.push('try {', ...lines, `} catch (e) { __fail(${JSON.stringify(what)}, e); }`);
      continue;
    }
    const lines = code.split('\n').map((l, k) => withCheck(l.replace(/^(const|let)\s/, 'var '), `${at}:${b.line + k}`));
    body.push(`__at = ${b.line};`, ...lines);
  }
  const helper = `
function __same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => __same(x, b[i]));
  return a === b;
}
function __check(f: () => unknown, text: string, where: string): void {
  const wantValues = text.startsWith('Tensor');
  const want = JSON.parse(text.replace(/^Tensor\\s*/, '').replaceAll("'", '"'));
  const got = f();
  let ok: boolean;
  let shown: string;
  if (got instanceof __F.Tensor) {
    const values = Array.from(got.data() as ArrayLike<number>);
    const flatWant = Array.isArray(want) ? want.flat(Infinity) : [want];
    ok = __same(values, flatWant) || (!wantValues && __same(got.shape, want));
    shown = 'Tensor of shape ' + JSON.stringify(got.shape) + ' and values ' + JSON.stringify(values.slice(0, 20));
  } else if (Array.isArray(got) && got.every((g) => typeof g === 'number' || typeof g === 'string')) {
    ok = __same(got, want);
    shown = JSON.stringify(got);
  } else {
    ok = __same(got, want);
    shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  }
  if (!ok) throw new Error(where + ': expected ' + text + ', got ' + shown);
}
`;
  const imports = [...names];
  const head = [
    `import * as __F from ${JSON.stringify(indexPath)};`,
    imports.length ? `import { ${imports.join(', ')} } from ${JSON.stringify(indexPath)};` : '',
    ...[...new Set(otherImports)],
    helper,
  ];
  if (opts.separate)
    return [
      ...head,
      'let __failed = 0;',
      'function __fail(what: string, e: unknown): void {',
      '  __failed++;',
      "  console.error(what + ' failed: ' + ((e as Error).stack ?? e));",
      '}',
      ...body,
      'process.exit(__failed ? 1 : 0);',
    ].join('\n');
  return [
    ...head,
    'let __at = 0;',
    'try {',
    ...body,
    '} catch (e) {',
    `  console.error('${file}: the block at line ' + __at + ' failed: ' + ((e as Error).stack ?? e));`,
    '  process.exit(1);',
    '}',
  ].join('\n');
}

/** Runs `code` as a TypeScript module in a child process, without blocking; its exit status and output. */
export function runProgramAsync(code: string, cwd: string, timeout = 240_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-doctest-'));
  const file = path.join(dir, 'example.mts');
  writeFileSync(file, code);
  // tsx as this process found it, so that `cwd` may be anywhere (a scratch folder for files examples write)
  const child = spawn(process.execPath, [`--import=${import.meta.resolve('tsx')}`, file], { cwd, timeout });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** Runs `code` as a TypeScript module in a child process; its exit status and output. */
export function runProgram(code: string, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-doctest-'));
  const file = path.join(dir, 'readme.mts'); // an ES module wherever it is (top-level await works)
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ['--import=tsx', file], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The ```ts blocks of a doc comment (`/** ... *\/` or `//` lines) that starts at `line` of `file`,
 * each with its line in that file.
 */
export function commentBlocks(comment: { file: string; line: number; text: string }, name?: string): Block[] {
  const lineComment = comment.text.startsWith('//');
  const text = comment.text
    .split('\n')
    .map((l) => (lineComment ? l.replace(/^\s*\/\/ ?/, '') : l.replace(/^\s*\/\*\*?\s?/, '').replace(/\s*\*\/\s*$/, '').replace(/^\s*\* ?/, '')))
    .join('\n');
  return tsBlocks(text, comment.file, comment.line).map((b) => ({ ...b, file: comment.file, name }));
}
