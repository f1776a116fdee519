// The examples in the public API's doc comments run against this checkout and the values their
// comments state are checked, as README.md's are (doctest.ts says how): each example on its own,
// in a scope of its own with every public name in scope, one program per folder of ts/ (a node
// process each is too slow for hundreds), and a failing one is reported by its file:line and export.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { exportDocs } from './api-docs.js';
import { type Block, commentBlocks, program, runProgramAsync } from './doctest.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const index = path.join(root, 'ts', 'index.ts');
// examples may write files (a loss curve, a checkpoint): a scratch folder, not the checkout
const scratch = () => mkdtempSync(path.join(tmpdir(), 'fluxion-examples-'));

/** Runs `programs` at most two at a time (the machine's cores); their results in order. */
async function runAll(programs: string[]): Promise<Awaited<ReturnType<typeof runProgramAsync>>[]> {
  const out: Awaited<ReturnType<typeof runProgramAsync>>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < programs.length) {
      const i = next++;
      out[i] = await runProgramAsync(programs[i], scratch());
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/**
 * Runs each group's examples as one program; the failures, by group, each naming its example. A
 * program that fails before its examples run (one does not compile, or imports a name that is
 * only a type) is run again one example at a time, to name the one at fault.
 */
async function runExamples(groups: ReadonlyMap<string, Block[]>, names: readonly string[]): Promise<string[]> {
  const files = [...groups.keys()].sort();
  const results = await runAll(files.map((f) => program(groups.get(f)!, index, f, { separate: true, names })));
  const failures: string[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === 0) continue;
    const f = files[i];
    if (/^\S+:\d+( \(the example of [^)]*\))? failed: /m.test(r.stderr)) {
      failures.push(`${f} (exit status ${r.status}):\n${r.stderr}`);
      continue;
    }
    const blocks = groups.get(f)!.filter((b) => b.run);
    const alone = await runAll(blocks.map((b) => program([b], index, f, { separate: true, names })));
    const culprits = alone.flatMap((a, k) => (a.status === 0 ? [] : [`${blocks[k].file ?? f}:${blocks[k].line}${blocks[k].name ? ` (the example of ${blocks[k].name})` : ''} does not run:\n${a.stderr}`]));
    failures.push(`${f} (exit status ${r.status}):\n${culprits.length > 0 ? culprits.join('\n') : r.stderr}`);
  }
  return failures;
}

test('every ts example in a public doc comment runs, and the values its comments state are what it computes', async (t) => {
  const docs = exportDocs(root);
  const names = docs.map((d) => d.name);
  // one comment can document several exports (sigmoid and σ): run it once, named by all
  const byComment = new Map<string, { comment: (typeof docs)[number]['comments'][number]; names: string[] }>();
  for (const d of docs)
    for (const c of d.comments) {
      const key = `${c.file}:${c.line}`;
      const seen = byComment.get(key);
      if (seen) seen.names.push(d.name);
      else byComment.set(key, { comment: c, names: [d.name] });
    }
  // one program per folder of ts/ (a node process starts in about a second: one per file, 58 of
  // them, would take most of the time), each example still reported by its own file:line
  const byFolder = new Map<string, Block[]>();
  for (const { comment, names: of } of byComment.values()) {
    const blocks = commentBlocks(comment, of.join(', '));
    const folder = path.posix.dirname(comment.file);
    if (blocks.length) byFolder.set(folder, [...(byFolder.get(folder) ?? []), ...blocks]);
  }
  // an example is TypeScript that runs (or says why not: ```ts no-run), not a block of another language
  const notTs = docs.filter((d) => /```/.test(d.comments.map((c) => c.text).join('\n')) && !d.comments.some((c) => commentBlocks(c).length > 0));
  t.deepEqual(notTs.map((d) => d.name), [], 'exports whose example is not a ```ts block');
  const runnable = [...byFolder.values()].flatMap((bs) => bs.filter((b) => b.run));
  t.true(runnable.length >= 300, `found ${runnable.length} runnable examples (the comments were read)`);
  const failures = await runExamples(byFolder, names);
  t.deepEqual(failures, [], failures.join('\n'));
});

// The runner itself, on examples in memory
const comment = (text: string) => ({ file: 'ts/fake.ts', line: 10, text });
const runComments = (...texts: string[]) =>
  runAll([
    program(
      texts.flatMap((x, i) => commentBlocks({ ...comment(x), line: 10 + 100 * i }, `f${i}`)),
      index,
      'ts/fake.ts',
      { separate: true, names: ['tensor', 'add'] },
    ),
  ]).then((r) => r[0]);

test('the example runner checks stated values, naming the file:line and the export of a wrong one', async (t) => {
  const good = '/**\n * Adds.\n *\n * ```ts\n * const a = tensor([1, 2]);\n * add(a, 1);   // Tensor [2, 3]\n * ```\n */';
  const ok = await runComments(good, good.replace('[1, 2]', '[3]').replace('[2, 3]', '[4]'));
  t.is(ok.status, 0, ok.stderr); // the same name in two examples does not clash
  // the end of a statement that began on an earlier line is not an expression to check
  const continued = await runComments('/**\n * ```ts\n * const n = [1, 2].map((x) => {\n *   return x;\n * }).length;   // 5\n * n;   // 2\n * ```\n */');
  t.is(continued.status, 0, continued.stderr);
  const wrong = await runComments('/**\n * ```ts\n * tensor([1, 2]).sum().item();   // 4\n * ```\n */', good.replace('[2, 3]', '[2, 4]'), good);
  t.is(wrong.status, 1);
  t.regex(wrong.stderr, /ts\/fake\.ts:12 \(the example of f0\) failed: Error: ts\/fake\.ts:12: expected 4, got 3/);
  t.regex(wrong.stderr, /ts\/fake\.ts:114 \(the example of f1\) failed: Error: ts\/fake\.ts:115: expected Tensor \[2, 4\]/);
  t.notRegex(wrong.stderr, /f2/); // the examples after a failing one still run, and the good one passes
});

test('the example runner reports a throwing example, skips no-run ones, and rejects an unknown marker', async (t) => {
  const r = await runComments('/**\n * ```ts no-run\n * const dist = initDistributed({ backend: "mpi" });\n * ```\n */', '/** ```ts\n * notDefined(1);\n * ``` */');
  t.is(r.status, 1);
  t.regex(r.stderr, /ts\/fake\.ts:111 \(the example of f1\) failed: ReferenceError: notDefined is not defined/);
  t.notRegex(r.stderr, /f0/);
  t.throws(() => commentBlocks(comment('/**\n * ```ts noRun\n * x\n * ```\n */')), { message: /ts\/fake\.ts:11: unknown marker 'noRun'/ });
});

test('an example that stops its file from running at all (it does not compile) is named', async (t) => {
  const blocks = ['/**\n * ```ts\n * tensor([1, 2]).sum().item();   // 3\n * ```\n */', '/**\n * ```ts\n * tensor([1, 2]).sum(;\n * ```\n */'].flatMap((x, i) =>
    commentBlocks({ ...comment(x), line: 10 + 100 * i }, `f${i}`),
  );
  const failures = await runExamples(new Map([['ts/fake.ts', blocks]]), ['tensor']);
  t.is(failures.length, 1);
  t.regex(failures[0], /ts\/fake\.ts:112 \(the example of f1\) does not run:/);
  t.notRegex(failures[0], /f0/);
});
