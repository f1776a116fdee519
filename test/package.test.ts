// The package entry points: ESM (import) and CommonJS (require) both load the library,
// by package name, from the compiled dist/ (built here if it is missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test.before(() => {
  if (!existsSync(path.join(root, 'dist', 'index.cjs')) || !existsSync(path.join(root, 'dist', 'esm', 'index.js')))
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.mjs')], { cwd: root, stdio: 'ignore' });
});

const program = (load: string) => `${load}
const { tensor, gradient, Chain, Dense, relu } = lib;
const m = Chain(Dense(3, 2, relu));
const g = gradient((x) => x.pow(2).sum(), tensor([1, 2, 3]))[0];
console.log(JSON.stringify({ g: Array.from(g.data()), y: m(tensor([1, 2, 3])).shape }));`;

for (const [kind, args] of [
  ['ESM import', ['--input-type=module', '-e', program("import * as lib from 'fluxion';")]],
  ['CommonJS require', ['-e', program("const lib = require('fluxion');")]],
] as const) {
  test(`${kind} of the package works`, (t) => {
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout), { g: [2, 4, 6], y: [2] });
  });
}

test('type declarations ship with the build', (t) => {
  t.true(existsSync(path.join(root, 'dist', 'esm', 'index.d.ts')));
  t.true(existsSync(path.join(root, 'dist', 'index.d.cts')));
});
