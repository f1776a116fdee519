// README.md's ```ts blocks run as one program against this checkout (doctest.ts says how), so
// the front door cannot drift from the code; the runner itself is checked on small documents.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { program, runProgram, tsBlocks } from './doctest.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const index = path.join(root, 'ts', 'index.ts');
const run = (md: string) => runProgram(program(tsBlocks(md, 'doc.md'), index, 'doc.md'), root);

test('every ts block of README.md runs, and the values its comments state are what it computes', (t) => {
  const blocks = tsBlocks(readFileSync(path.join(root, 'README.md'), 'utf8'));
  t.true(blocks.filter((b) => b.run).length >= 5, 'README has runnable blocks');
  const r = runProgram(program(blocks, index), root);
  t.is(r.status, 0, r.stderr);
});

const md = (...blocks: string[]) => blocks.map((b) => `Some prose.\n\n${b}\n`).join('\n');

test('the runner checks stated values: a wrong one fails naming its line', (t) => {
  const ok = run(md("```ts\nimport { tensor } from 'fluxion';\nconst a = tensor([[1, 2], [3, 4]]);\na.sum().item();   // 10\n```", '```ts\na.shape;   // [2, 2]\na.T;   // Tensor [1, 3, 2, 4]\n[1, 2].length;   // 2: prose after the value\n```'));
  t.is(ok.status, 0, ok.stderr);
  const wrong = run(md("```ts\nimport { tensor } from 'fluxion';\nconst a = tensor([1, 2]);\na.sum().item();   // 4\n```"));
  t.is(wrong.status, 1);
  t.regex(wrong.stderr, /doc\.md:6: expected 4, got 3/);
  const notValues = run(md("```ts\nimport { tensor } from 'fluxion';\ntensor([[1, 2]]);   // Tensor [1, 2, 3]\n```"));
  t.regex(notValues.stderr, /expected Tensor \[1, 2, 3\], got Tensor of shape \[1,2\]/);
});

test('the runner reports a throwing block by its line, shares names between blocks, skips no-run blocks', (t) => {
  const shared = run(md("```ts\nimport { tensor } from 'fluxion';\nconst x = tensor([1, 2, 3]);\n```", '```ts no-run\nundefinedThing();\n```', '```ts\nconst x2 = x.mul(2);\nx2.sum().item();   // 12\nconst x = 5;   // redefined, as a tour does\n```'));
  t.is(shared.status, 0, shared.stderr);
  const broken = run(md('```ts\nconst y = 1;\n```', '```ts\nnotDefined(y);\n```'));
  t.is(broken.status, 1);
  t.regex(broken.stderr, /doc\.md: the block at line 10 failed: ReferenceError: notDefined is not defined/);
});

test('an unknown marker on a ts block is an error, so a typo cannot switch a check off', (t) => {
  t.throws(() => tsBlocks('```ts norun\nx\n```\n'), { message: /README\.md:1: unknown marker 'norun'/ });
  t.throws(() => tsBlocks('```ts\nx\n'), { message: /never ends/ });
  t.deepEqual(tsBlocks('```sh\nnpm test\n```\n```typescript no-run\nx\n```\n').map((b) => [b.line, b.run]), [[5, false]]);
});
