// The TypeScript op registry and the kernels compiled into the addon must match both
// ways: every kernel an op names exists natively, and every native kernel is used by
// some op (or, for a few, by code outside the ops, and then it must at least be callable).
import test from 'ava';
import { native, opRegistry } from '../ts/index.js';
import { nativeKernels, opCodes } from '../ts/native.js';

type Family = 'binary' | 'unary' | 'unaryGrad' | 'reduce' | 'other';
const FAMILIES: Family[] = ['binary', 'unary', 'unaryGrad', 'reduce', 'other'];

/** Every native kernel as `family:name`. */
function nativeNames(): string[] {
  return FAMILIES.flatMap((f) => nativeKernels[f].map((n) => `${f}:${n}`));
}

/** Every kernel some registered op declares. */
function registeredNames(): Set<string> {
  return new Set([...opRegistry().values()].flatMap((op) => op.kernels));
}

// Kernels used outside ts/ops: the optimisers' fused update steps and random numbers.
const OUTSIDE_OPS = ['other:sgdStep', 'other:adamStep', 'other:random'];

// Binding entry points: the elementwise families share one entry each; logsoftmax is a
// flag of softmax.
const ENTRY: Record<string, string> = { binary: 'binary', unary: 'unary', unaryGrad: 'unaryGrad', reduce: 'reduce' };
function entryPoint(kernel: string): string {
  const [family, name] = kernel.split(':');
  if (family === 'other') return name === 'logsoftmax' ? 'softmax' : name;
  return ENTRY[family];
}

test('the native kernel list matches what the addon reports now', (t) => {
  t.deepEqual(nativeKernels, native.kernels());
  for (const f of FAMILIES) t.true(nativeKernels[f].length > 0, `${f} has kernels`);
  t.is(typeof nativeKernels.cuda, 'boolean');
});

test('every kernel a registered op names exists natively', (t) => {
  const have = new Set(nativeNames());
  const missing: string[] = [];
  for (const [name, op] of opRegistry())
    for (const k of op.kernels) if (!have.has(k)) missing.push(`${name} → ${k}`);
  t.deepEqual(missing, []);
});

test('every native kernel is used by a registered op, or is one of the few used elsewhere', (t) => {
  const used = registeredNames();
  const unused = nativeNames().filter((k) => !used.has(k) && !OUTSIDE_OPS.includes(k));
  t.deepEqual(unused, []);
});

test('kernels used outside the ops are native and callable', (t) => {
  const have = new Set(nativeNames());
  for (const k of OUTSIDE_OPS) {
    t.true(have.has(k), `${k} is compiled in`);
    t.is(typeof (native as unknown as Record<string, unknown>)[entryPoint(k)], 'function', `${k} has an entry point`);
  }
});

test('every native kernel has a callable entry point on the binding', (t) => {
  const missing = nativeNames().filter((k) => typeof (native as unknown as Record<string, unknown>)[entryPoint(k)] !== 'function');
  t.deepEqual(missing, []);
});

test('every fused derivative kernel belongs to a unary op that declares it', (t) => {
  for (const name of nativeKernels.unaryGrad) {
    const op = opRegistry().get(name);
    t.truthy(op, `unaryGrad:${name} has an op`);
    t.true(op?.kernels.includes(`unary:${name}`) && op.kernels.includes(`unaryGrad:${name}`), `${name} declares both kernels`);
  }
});

test('op codes follow the native order, family by family', (t) => {
  for (const f of ['binary', 'unary', 'unaryGrad', 'reduce'] as const)
    nativeKernels[f].forEach((name, i) => {
      t.is(opCodes[f][name], i, `${f}:${name}`);
    });
});

test('registry entries are well formed', (t) => {
  const families = new Set(['binary', 'unary', 'reduce', 'movement', 'matmul', 'nn', 'creation', 'optim']);
  for (const [name, op] of opRegistry()) {
    t.is(op.name, name);
    t.true(families.has(op.family), `${name}: family ${op.family}`);
    t.is(typeof op.differentiable, 'boolean');
    for (const k of op.kernels) t.regex(k, /^(binary|unary|unaryGrad|reduce|other):\w+$/, `${name}: kernel ${k}`);
  }
});

test('the native layer refuses inconsistent calls with an exception, not a crash', (t) => {
  // TypeScript validates before calling; this is the second line of defence in common.cc.
  t.throws(() => native.copy(new Float32Array(2), 'not an array' as unknown as Float32Array), { instanceOf: TypeError, message: /copy: dst must be a typed array/ });
  t.throws(() => native.unary(0, new Float32Array(2), new Float64Array(2)), { instanceOf: TypeError, message: /one dtype/ });
  t.throws(() => native.unaryGrad(99, new Float32Array(1), new Float32Array(1), new Float32Array(1), new Float32Array(1)), { instanceOf: RangeError, message: /unknown op/ });
  t.throws(() => native.gather(new Float32Array(4), new Int32Array([9]), new Float32Array(2), 1, 4, 1, 1), { message: /out of range|lengths/ });
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
