// The fuzz body, run in a child process by test/fuzz.test.ts (so that a native crash fails
// the test instead of killing ava):  node --import=tsx test/fuzz/fuzz-body.ts [seed] [calls]
//
// A seeded loop calls every public op and creation function with arguments that are each
// either plausible or bad (wrong types, NaN, infinities, negative, huge or fractional
// numbers, strings, null, undefined, objects, mismatched shapes, out-of-range indices,
// empty arrays, typed arrays of other kinds, disposed tensors). Every call must return a
// Tensor, a number or an array, or throw a FluxionError that names the op. Anything else is
// printed, and the process exits 1.
import * as F from '../../ts/index.js';
import { FluxionError, Tensor } from '../../ts/index.js';
import { mulberry32 } from '../ops/cases.js';
import { OPS, type Kind } from './fuzz-ops.js';

const seed = Number(process.argv[2] ?? 1);
const calls = Number(process.argv[3] ?? 4000);
const rand = mulberry32(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

// ---- values ------------------------------------------------------------------------------

function goodTensor(): Tensor {
  const dtype = pick(['float32', 'float64', 'int32'] as const);
  const base = F.tensor([3, -1, 2, 0, 5, -4], { dtype, shape: [2, 3] });
  return pick([
    () => base,
    () => base.T,
    () => base.get(null, F.range(0, null, 2)),
    () => base.get(0),
    () => base.get(0, 1),
    () => F.zeros([0, 3], { dtype }),
    () => F.ones([1], { dtype }),
    () => base.get(F.range(0, 1)).expand([4, 3]),
    () => base.get(null, [2, 0]),
    () => F.tensor([1, 2, 0, 2], { dtype }),
  ])();
}

function disposedTensor(): Tensor {
  const t = F.tensor([1, 2]);
  t.dispose();
  return t;
}

// Bad values of every kind. "Huge" sizes start at 2^48 elements, beyond any address space:
// smaller ones could really be allocated (lazily, where memory is overcommitted) and then
// filled, which would only make the run slow or get it killed.
const HUGE = 2 ** 48;
const JUNK: (() => unknown)[] = [
  () => Number.NaN, () => Infinity, () => -Infinity, () => -1, () => -0, () => 0.5, () => -2.5, () => HUGE,
  () => 2 ** 53, () => 1e300, () => 'a', () => '', () => '0', () => null, () => undefined, () => ({}),
  () => ({ shape: [2], dtype: 'float32', _buf: 0 }), () => [], () => [[1], [2, 3]], () => [Number.NaN], () => [-1],
  () => [HUGE], () => [0.5], () => [HUGE, HUGE], () => ['1'], () => [null], () => true, () => 10n,
  () => Symbol('s'), () => () => 1, () => new Float32Array(2), () => new Uint8Array(3), () => new Int8Array(2),
  () => new Float64Array(0), () => new BigInt64Array(1), () => new DataView(new ArrayBuffer(4)), disposedTensor,
  () => Object.create(null), () => new Map(), () => [goodTensor(), 'x'], () => [disposedTensor()],
  () => [Symbol('s')], () => [2, Object.create(null)], () => [1, 10n],
];

const PLAUSIBLE: Record<Kind, () => unknown> = {
  tensor: goodTensor,
  tensorlike: () => (rand() < 0.7 ? goodTensor() : pick([0, 1, -2.5, 3])),
  tensors: () => pick([[goodTensor(), goodTensor()], [goodTensor()], [goodTensor(), goodTensor(), goodTensor()]]),
  dim: () => pick([0, 1, -1, 2, -2, 3]),
  dims: () => pick([undefined, 0, -1, [0], [0, 1], [1, 0], [], null]),
  shape: () => pick([[2, 3], [3, 2], [6], [-1], [], [0], [1, 6], [2, -1], [2, 1, 3], [4, 3]]),
  index: () => pick([0, 1, -1, null, undefined, [0, 2], [1, null, 2], [0, 1, 1], [-2], 2 ** 32]),
  indices: () => pick([[0, 1], [-1], [], [0, 0, 2], F.tensor([1, 0], { dtype: 'int32' }), [2 ** 32], [-(2 ** 31) - 1]]),
  number: () => pick([0, 1, 2, 3, -1, 0.5, 5]),
  count: () => pick([0, 1, 2, 3, 5]),
  bool: () => pick([true, false, undefined]),
  dtype: () => pick(['float32', 'float64', 'int32', 'cpu']),
  opts: () => pick([undefined, {}, { dtype: 'float64' }, { dtype: 'int32' }, { shape: [3] }, { dtype: 'float32', device: 'cpu' }, { rng: new F.RNG(1) }]),
  data: () => pick([[1, 2, 3], [[1, 2], [3, 4]], 7, new Float64Array([1, 2]), new Int32Array([1]), [], [[]]]),
  fn: () => pick([(x: Tensor) => x.sum(), (x: Tensor) => x.exp().mean(), (x: Tensor) => x.mul(x).sum()]),
  self: goodTensor,
};

function arg(kind: Kind): unknown {
  if (kind === 'self') return rand() < 0.8 ? goodTensor() : disposedTensor();
  return rand() < 0.6 ? PLAUSIBLE[kind]() : pick(JUNK)();
}

// ---- checking ----------------------------------------------------------------------------

function describeArg(x: unknown): string {
  if (x instanceof Tensor) return x.disposed ? 'disposed tensor' : `${x.dtype}${JSON.stringify(x.shape)}${x.isContiguous ? '' : ' view'}`;
  if (typeof x === 'function') return 'function';
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return 'symbol';
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (Array.isArray(x)) return `[${x.map(describeArg).join(', ')}]`;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/** A valid result: a (readable) Tensor, a number, a typed array, an array of those (null for no gradient), a string or nothing. */
function validResult(r: unknown): boolean {
  if (r instanceof Float32Array || r instanceof Float64Array || r instanceof Int32Array) return true;
  if (r instanceof Tensor) {
    if (!Array.isArray(r.shape) || r.shape.some((d) => !Number.isInteger(d) || d < 0)) return false;
    if (r.size <= 100_000) return r.data().length === r.size; // reading it must work too
    return true;
  }
  if (Array.isArray(r)) return r.every((v) => v === null || validResult(v));
  return r === undefined || typeof r === 'number' || typeof r === 'string' || typeof r === 'boolean';
}

const failures: string[] = [];
const counts = { returned: 0, threw: 0 };
for (let i = 0; i < calls; i++) {
  const op = pick(OPS);
  const args = op.kinds.map(arg);
  const method = rand() < 0.5 && op.method && args[0] instanceof Tensor;
  const what = `#${i} ${method ? `x.${op.name}` : op.name}(${args.map(describeArg).join(', ')})`;
  if (process.env.FUZZ_TRACE) console.log(what); // to find the call that crashed
  try {
    const r = method ? op.method!(args) : op.call(args);
    if (!validResult(r)) failures.push(`${what} returned ${describeArg(r)}`);
    counts.returned++;
  } catch (e) {
    counts.threw++;
    const err = e as Error;
    if (!(e instanceof FluxionError)) failures.push(`${what} threw ${err?.constructor?.name}: ${err?.message}`);
    else if (!op.names.some((n) => err.message.startsWith(`${n}:`)) && !/cannot allocate/.test(err.message))
      failures.push(`${what} threw a ${err.name} that does not name the op: ${err.message}`);
  }
}

console.log(`fuzz seed ${seed}: ${calls} calls, ${counts.returned} returned, ${counts.threw} threw, ${failures.length} failures`);
for (const f of failures.slice(0, 60)) console.log(`  ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
