// The TypeScript op registry and the kernels compiled into the addon must match both
// ways: every kernel an op names exists natively, and every native kernel (and every op
// code of the elementwise kernels) is used by some registered op.
import test from 'ava';
import '../ts/index.js'; // loads every op module, which registers its ops
import { opRegistry } from '../ts/ops/registry.js';
import { opCode, usedKernels } from '../ts/backend/index.js';
import { kernelReport, native } from '../ts/native.js';

type Family = keyof typeof kernelReport.ops;
const FAMILIES = Object.keys(kernelReport.ops) as Family[];

/** Every native kernel, and every op code of an elementwise kernel as `kernel:op`. */
function nativeNames(): string[] {
  return [...Object.keys(kernelReport.kernels), ...FAMILIES.flatMap((f) => kernelReport.ops[f].map((n) => `${f}:${n}`))];
}

/** Every kernel some registered op declares, with `binary:add` also counting as `binary`. */
function registeredNames(): Set<string> {
  const names = [...opRegistry().values()].flatMap((op) => op.kernels);
  return new Set([...names, ...names.map((k) => k.split(':')[0])]);
}

test('the native kernel list matches what the addon reports now', (t) => {
  t.deepEqual(kernelReport, native.kernels());
  t.true(Object.keys(kernelReport.kernels).length > 0);
  for (const f of FAMILIES) t.true(kernelReport.ops[f].length > 0, `${f} has op codes`);
  t.is(typeof kernelReport.cuda, 'boolean');
});

test('every kernel a registered op names exists natively', (t) => {
  const have = new Set(nativeNames());
  const missing: string[] = [];
  for (const [name, op] of opRegistry())
    for (const k of op.kernels) if (!have.has(k)) missing.push(`${name} → ${k}`);
  t.deepEqual(missing, []);
});

test('every native kernel and op code is used by a registered op', (t) => {
  const used = registeredNames();
  t.deepEqual(
    nativeNames().filter((k) => !used.has(k)),
    [],
  );
});

test('the kernels the ops call are exactly the ones the registry declares', (t) => {
  const declared = new Set([...registeredNames()].filter((k) => !k.includes(':')));
  t.deepEqual([...usedKernels].sort(), [...declared].sort());
});

test('every native kernel has a callable entry point on the binding', (t) => {
  const missing = Object.keys(kernelReport.kernels).filter((k) => typeof (native as unknown as Record<string, unknown>)[k] !== 'function');
  t.deepEqual(missing, []);
});

test('every kernel a device claims is compiled for it', (t) => {
  for (const [name, d] of Object.entries(kernelReport.kernels)) {
    t.true(d.cpu, `${name} on the CPU`);
    // a claimed kernel without a CUDA implementation fails the build; without CUDA none is compiled
    t.is(d.cuda, kernelReport.cuda && d.claimsCuda, `${name} on CUDA`);
  }
});

test('every registered op runs on every device: no kernel of an op is CPU-only', (t) => {
  const cpuOnly = Object.entries(kernelReport.kernels).filter(([, d]) => !d.claimsCuda).map(([k]) => k);
  const ops = [...opRegistry().values()].filter((op) => op.kernels.some((k) => cpuOnly.includes(k.split(':')[0]))).map((op) => op.name);
  t.deepEqual(ops, []);
});

test('every fused derivative kernel belongs to a unary op that declares it', (t) => {
  for (const name of kernelReport.ops.unaryGrad) {
    const op = opRegistry().get(name);
    t.truthy(op, `unaryGrad:${name} has an op`);
    t.true(op?.kernels.includes(`unary:${name}`) && op.kernels.includes(`unaryGrad:${name}`), `${name} declares both kernels`);
  }
});

test('op codes follow the native order, family by family', (t) => {
  for (const f of FAMILIES)
    kernelReport.ops[f].forEach((name, i) => {
      t.is(opCode(f, name), i, `${f}:${name}`);
    });
});

test('registry entries are well formed', (t) => {
  const families = new Set(['binary', 'unary', 'reduce', 'movement', 'matmul', 'nn', 'creation', 'optim']);
  for (const [name, op] of opRegistry()) {
    t.is(op.name, name);
    t.true(families.has(op.family), `${name}: family ${op.family}`);
    t.is(typeof op.differentiable, 'boolean');
    for (const k of op.kernels) t.regex(k, /^\w+(:\w+)?$/, `${name}: kernel ${k}`);
  }
});

test('the native layer refuses inconsistent calls with an exception, not a crash', (t) => {
  // TypeScript validates before calling; this is the second line of defence in common.cc.
  t.throws(() => native.copy('not an array' as unknown as Float32Array, new Float32Array(2)), { instanceOf: TypeError, message: /copy: dst must be a typed array/ });
  t.throws(() => native.unary(new Float64Array(2), new Float32Array(2), 0), { instanceOf: TypeError, message: /one dtype/ });
  t.throws(() => native.unaryGrad(new Float32Array(1), new Float32Array(1), new Float32Array(1), new Float32Array(1), 99), { instanceOf: RangeError, message: /unknown op/ });
  t.throws(() => native.gather(new Float32Array(2), new Float32Array(4), new Int32Array([9]), 1, 4, 1, 1), { message: /out of range|lengths/ });
  // biasAct derives its rows from y's length: no row count can overflow a length check
  t.throws(() => native.biasAct(new Float32Array(4096), null, 0, 2 ** 62), { instanceOf: RangeError, message: /multiple of cols/ });
  t.notThrows(() => native.biasAct(new Float32Array(0), null, 0, 2 ** 32), 'no rows');
  t.throws(() => native.biasAct(new Float32Array(6), null, 0, 4), { instanceOf: RangeError, message: /multiple of cols/ });
  t.throws(() => native.biasAct(new Float32Array(6), null, 0, 0), { instanceOf: RangeError, message: /multiple of cols/ });
  t.throws(() => native.biasAct(new Float32Array(6), new Float32Array(2), 0, 3), { instanceOf: RangeError, message: /bias must hold/ });
  t.throws(() => native.biasAct(new Float32Array(6), null, 999, 3), { instanceOf: RangeError, message: /unknown activation/ });
  const shared = new Float32Array(8);
  t.throws(() => native.biasAct(shared.subarray(0, 6), shared.subarray(5, 8), 0, 3), { instanceOf: RangeError, message: /overlaps/ });
  t.notThrows(() => native.biasAct(new Float32Array(0), null, 0, 0));
});

test('the collectives\' entry points fail the way the kernels\' do (one set of helpers)', (t) => {
  // checked before any MPI library is opened, so no MPI is needed here
  t.throws(() => native.mpiAllReduce('x' as unknown as Float32Array, 0, 1), { instanceOf: TypeError, message: /^fluxion native: allReduce: array must be a typed array/ });
  t.throws(() => native.mpiAllReduce(new Uint8Array(4) as never, 0, 1), { instanceOf: TypeError, message: /must be float32, float64 or int32/ });
  t.throws(() => native.mpiAllReduce(new Float32Array(4), 7, 1), { instanceOf: RangeError, message: /op must be an integer in \[0, 2\]/ });
  t.throws(() => native.ncclOpen(new Uint8Array(128), 2, 5, 1), { instanceOf: RangeError, message: /ncclOpen: rank must be an integer in \[0, 1\]/ });
  t.throws(() => native.ncclOpen(new Uint8Array(3), 2, 0, 1), { instanceOf: TypeError, message: /128 bytes/ });
});
