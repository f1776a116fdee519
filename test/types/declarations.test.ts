// The type declarations a package user compiles against: emitted the way build:ts emits
// them (tsconfig.json), they hold no internal fields, and they compile on their own under
// --strict with skipLibCheck off (an unresolved name there would silently become `any`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-dts-'));
const out = path.join(dir, 'dts');

test.before(() => {
  execFileSync(tsc, ['-p', path.join(root, 'tsconfig.json'), '--outDir', out, '--emitDeclarationOnly', '--sourceMap', 'false', '--declarationMap', 'false'], {
    cwd: root,
    stdio: 'pipe',
  });
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const dts = (file: string) => readFileSync(path.join(out, file), 'utf8');

test("Tensor's storage fields and the classes' private members are not declared", (t) => {
  const tensor = dts('tensor.d.ts');
  for (const field of ['_buf', '_offset', '_strides', '_base', '_version', '_ad', '_flags', '_root', '_check']) t.false(tensor.includes(`${field}`), field);
  t.false(/\bprivate\b/.test(dts('autodiff/params.d.ts')), 'Params / Grads');
  t.false(/\bprivate\b/.test(dts('nn/attention.d.ts')), 'MultiHeadAttention');
  // what users do need stays
  t.true(tensor.includes('readonly shape'));
  t.true(tensor.includes('get ndim'));
});

test('the declarations compile on their own, and type a small program', (t) => {
  const user = path.join(dir, 'user.ts');
  writeFileSync(
    user,
    `import { Adam, Chain, Dense, DataLoader, gradient, relu, setup, tensor, update, type Tensor } from './dts/index.js';
const m = Chain(Dense(3, 2, relu), Dense(2, 1));
const x = tensor([[1, 2, 3]]);
const y: Tensor = m(x);
const g = gradient((mm: typeof m) => mm(x).sum(), m)[0];
const w: Tensor | null = g.layers?.[0]?.weight ?? null;
const opt = setup(Adam(1e-3), m);
update(opt, m, g);
for (const [a, b] of DataLoader([x, y], { batchSize: 1 })) a.add(b.sum());
// @ts-expect-error a layer's call is typed by its forward
m('not a tensor');
void w;
`,
  );
  const args = ['--strict', '--noEmit', '--skipLibCheck', 'false', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), user];
  try {
    execFileSync(tsc, args, { cwd: root, stdio: 'pipe', encoding: 'utf8' });
    t.pass();
  } catch (e) {
    t.fail(String((e as { stdout?: string }).stdout ?? e));
  }
});
