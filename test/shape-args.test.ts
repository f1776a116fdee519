// One rule for dims: everywhere a shape (or an order of dims) is taken, separate numbers and
// one array mean the same, and an options object may follow where the op has options.
import test from 'ava';
import { ArgumentError, RNG, type Tensor, arange, expand, eye, full, ones, permute, rand, randn, reshape, tensor, zeros } from '../ts/index.js';

const summary = (x: Tensor) => ({ shape: x.shape, dtype: x.dtype, data: Array.from(x.data()) });

test('zeros, ones, rand and randn: f(2, 3) is f([2, 3]), with or without options', (t) => {
  t.deepEqual(summary(zeros(2, 3)), summary(zeros([2, 3])));
  t.deepEqual(summary(ones(2, 3, { dtype: 'float64' })), summary(ones([2, 3], { dtype: 'float64' })));
  t.is(ones(2, 3, { dtype: 'float64' }).dtype, 'float64');
  t.deepEqual(summary(rand(2, 3, { rng: new RNG(1) })), summary(rand([2, 3], { rng: new RNG(1) })));
  t.deepEqual(summary(randn(4, { rng: new RNG(2) })), summary(randn([4], { rng: new RNG(2) })));
  t.deepEqual(zeros().shape, []);
  t.deepEqual(zeros([]).shape, []);
});

test('full: the dims then the value, separately or as an array', (t) => {
  t.deepEqual(summary(full(2, 3, 7)), summary(full([2, 3], 7)));
  t.deepEqual(summary(full(2, 3, 7)), { shape: [2, 3], dtype: 'float32', data: [7, 7, 7, 7, 7, 7] });
  t.deepEqual(summary(full(2, 1.5, { dtype: 'float64' })), { shape: [2], dtype: 'float64', data: [1.5, 1.5] });
  t.deepEqual(summary(full(5)), { shape: [], dtype: 'float32', data: [5] });
  t.throws(() => (full as (...a: unknown[]) => Tensor)(), { instanceOf: ArgumentError, message: /^full: expected value to be a number after the shape/ });
  // a tensor where the value goes is an error, not options that shorten the shape
  t.throws(() => (full as (...a: unknown[]) => Tensor)(2, 3, tensor(1)), { instanceOf: ArgumentError, message: /^full: expected value to be a number, got a float32 tensor/ });
  t.throws(() => (zeros as (...a: unknown[]) => Tensor)(2, tensor(1)), { instanceOf: ArgumentError, message: /^zeros: expected shape to be separate integers/ });
});

test('reshape, expand and permute take dims the same two ways, as functions and as methods', (t) => {
  const x = arange(6);
  t.deepEqual(summary(x.reshape(2, 3)), summary(x.reshape([2, 3])));
  t.deepEqual(reshape(x, 3, -1).shape, [3, 2]);
  t.deepEqual(x.reshape(-1).shape, [6]);
  const m = x.reshape(2, 3);
  t.deepEqual(summary(m.permute(1, 0)), summary(permute(m, [1, 0])));
  t.deepEqual(summary(m.permute(1, 0)), summary(m.T.contiguous()));
  const row = tensor([1, 2, 3]);
  t.deepEqual(summary(row.expand(2, 3)), summary(expand(row, [2, 3])));
  t.deepEqual(Array.from(row.expand(2, 3).data()), [1, 2, 3, 1, 2, 3]);
  t.deepEqual(tensor(5).reshape().shape, []);
});

test('arange and eye take options after any of their forms', (t) => {
  t.deepEqual(summary(arange(4, { dtype: 'int32' })), { shape: [4], dtype: 'int32', data: [0, 1, 2, 3] });
  t.deepEqual(summary(arange(1, 4, { dtype: 'float64' })), { shape: [3], dtype: 'float64', data: [1, 2, 3] });
  t.deepEqual(summary(arange(0, 1, 0.25, { dtype: 'float64' })), { shape: [4], dtype: 'float64', data: [0, 0.25, 0.5, 0.75] });
  t.deepEqual(summary(eye(2, { dtype: 'float64' })), { shape: [2, 2], dtype: 'float64', data: [1, 0, 0, 1] });
  t.deepEqual(eye(2, 3).shape, [2, 3]);
  t.throws(() => (arange as (...a: unknown[]) => Tensor)(1, 2, 3, 4), { instanceOf: ArgumentError, message: /^arange: expected \(end\), \(start, end\) or \(start, end, step\)/ });
});

test("tensor's shape option takes a number for 1-D data as well as an array", (t) => {
  t.deepEqual(summary(tensor(new Float32Array([1, 2, 3]), { shape: 3 })), summary(tensor(new Float32Array([1, 2, 3]), { shape: [3] })));
});

test('mixing the two forms is an error naming both, not a guess', (t) => {
  const mixed = [
    ['zeros', () => (zeros as (...a: unknown[]) => Tensor)([2], 3)],
    ['reshape', () => (reshape as (...a: unknown[]) => Tensor)(arange(6), [2], 3)],
    ['permute', () => (permute as (...a: unknown[]) => Tensor)(zeros(2, 3), 1, [0])],
    ['expand', () => (expand as (...a: unknown[]) => Tensor)(zeros(3), 2, '3')],
  ] as const;
  for (const [op, call] of mixed) {
    const err = t.throws(call, { instanceOf: ArgumentError });
    t.regex(err.message, new RegExp(`^${op}: expected (shape|dims) to be separate integers, ${op}\\(2, 3\\), or one array, ${op}\\(\\[2, 3\\]\\); got \\(`), op);
  }
  t.throws(() => zeros(2, -1), { message: /^zeros: expected shape to be an array of non-negative integers, got \[2, -1\]$/ });
});
