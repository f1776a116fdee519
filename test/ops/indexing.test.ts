// The indexing ops beyond their op cases: errors that name the op and both shapes, and
// multinomial's distribution, seeding and draws without replacement.
import test from 'ava';
import { IndexError, RNG, ShapeError, type Tensor, arange, gather, gradient, multinomial, rand, range, scatterAdd, tensor, topk, tril, zeros } from '../../ts/index.js';

const idx = (rows: number[][]) => tensor(rows, { dtype: 'int32' });

test('gather and scatterAdd refuse positions of the wrong kind, shape or range', (t) => {
  const x = zeros([2, 3]);
  t.throws(() => gather(x, 1, tensor([[0, 1]]) as never), { instanceOf: IndexError, message: 'gather: expected index to be an int32 tensor, got float32' });
  t.throws(() => gather(x, 1, [0, 1] as never), { instanceOf: IndexError, message: /^gather: expected index to be an int32 Tensor of positions, got the array \[0, 1\]$/ });
  t.throws(() => gather(x, 1, idx([[0, 3], [1, 1]])), { instanceOf: IndexError, message: 'gather: index 3 is out of range for dim 1 of size 3' });
  t.throws(() => gather(x, 1, idx([[-1, 0], [1, 1]])), { message: 'gather: index -1 is out of range for dim 1 of size 3' });
  t.throws(() => gather(x, 1, idx([[0, 1]])), { instanceOf: ShapeError, message: 'gather: index [1, 2] and x [2, 3] must agree in every dim but 1' });
  t.throws(() => gather(x, 0, tensor([0, 1], { dtype: 'int32' })), { instanceOf: ShapeError, message: 'gather: expected index with the 2 dims of x [2, 3], got index [2]' });
  t.throws(() => gather(x, 2, idx([[0]])), { message: 'gather: expected dim in [-2, 1] for a tensor with 2 dims, got 2' });
  t.throws(() => scatterAdd(x, 1, idx([[0, 1], [1, 2]]), zeros([2, 3])), { instanceOf: ShapeError, message: 'scatterAdd: src [2, 3] and index [2, 2] must have one shape' });
  t.throws(() => scatterAdd(x, 1, idx([[0, 1], [1, 2]]), zeros([2, 2], { dtype: 'float64' })), { message: 'scatterAdd: src is float64 but x is float32' });
  t.throws(() => topk(zeros([2, 3]), 4), { message: /^topk: expected k to be an integer from 0 to 3 \(the size of dim 1\), got the number 4$/ });
  t.throws(() => tril(zeros([3])), { instanceOf: ShapeError, message: 'tril: expected at least 2 dims, got [3]' });
  t.throws(() => tril(zeros([2, 2]), 0.5), { message: /^tril: expected k to be an integer/ });
});

test('multinomial: frequencies follow the weights, seeds repeat, draws without replacement differ', (t) => {
  const w = tensor([[1, 2, 0, 7]]);
  const draws = multinomial(w, 50_000, { replacement: true, rng: new RNG(3) }).data();
  const freq = [0, 0, 0, 0];
  for (const v of draws) freq[v]++;
  [0.1, 0.2, 0, 0.7].forEach((p, i) => {
    t.true(Math.abs(freq[i] / draws.length - p) < 0.01, `category ${i}: ${freq[i] / draws.length} vs ${p}`);
  });
  t.deepEqual(Array.from(multinomial(w, 5, { replacement: true, rng: new RNG(9) }).data()), Array.from(multinomial(w, 5, { replacement: true, rng: new RNG(9) }).data()));
  // without replacement: every row's draws are distinct, and zero weights are never drawn
  const p = rand([200, 6], { rng: new RNG(1) }).mul(tensor([1, 1, 0, 1, 1, 1]));
  const rows = multinomial(p, 5, { rng: new RNG(2) }).toArray() as number[][];
  t.true(rows.every((r) => new Set(r).size === 5 && !r.includes(2)));
  // the first draw without replacement is a draw from the weights
  const first = multinomial(tensor([[1, 3]]).expand([40_000, 2]), 1, { rng: new RNG(4) }).data();
  const ones = Array.from(first).reduce((a, v) => a + v, 0) / first.length;
  t.true(Math.abs(ones - 0.75) < 0.01, `P(1) = ${ones}`);
  t.throws(() => multinomial(tensor([[1, 0, 0]]), 2), { message: /cannot draw 2 different categories from a row with only 1 positive weights/ });
  t.throws(() => multinomial(tensor([[1, -1]]), 1), { message: 'multinomial: expected finite, non-negative weights in probs' });
  t.throws(() => multinomial(tensor([[0, 0]]), 1), { message: 'multinomial: a row of probs has no positive weight' });
  t.throws(() => multinomial(tensor([[1, 1]]), 0), { message: /^multinomial: expected samples to be a positive integer/ });
});

test('get: [0, 5] is rows 0 and 5, range(0, 5) is rows 0 to 4', (t) => {
  const x = arange(16).reshape(8, 2);
  t.deepEqual(x.get([0, 5]).toArray(), [[0, 1], [10, 11]]);
  t.deepEqual(x.get(range(0, 5)).shape, [5, 2]);
  t.deepEqual(x.get(range(0, 5)).toArray(), (x.toArray() as number[][]).slice(0, 5));
  t.deepEqual(x.get(tensor([5, 0], { dtype: 'int32' })).toArray(), [[10, 11], [0, 1]]);
  // a range is a view of x; a list of positions is a copy
  const v = x.get(range(1, 2));
  x.get(1).fill(-1);
  t.deepEqual(v.toArray(), [[-1, -1]]);
  t.deepEqual(String(range(0, null, 2)), 'range(0, null, 2)');
});

test('get with a list of positions is differentiable: repeated positions add up their gradients', (t) => {
  const x = arange(6, { dtype: 'float64' }).reshape(3, 2);
  const [g] = gradient((a: Tensor) => a.get([2, 0, 2], 1).mul(tensor([1, 10, 100], { dtype: 'float64' })).sum(), x);
  t.deepEqual(g?.toArray(), [[0, 10], [0, 0], [0, 101]]);
  // and to second order: d/dx of sum(get(x, [1, 1])^2) is 4·x at row 1
  const [h] = gradient((a: Tensor) => (gradient((b: Tensor) => b.get([1, 1]).pow(2).sum().mul(0.5), a)[0] as Tensor).sum(), x);
  t.deepEqual(h?.toArray(), [[0, 0], [2, 2], [0, 0]]);
});
