import test from 'ava';
import {
  binaryCrossEntropy, crossEntropy, gradcheck, huberLoss, kldivergence, logitBinaryCrossEntropy, logitCrossEntropy, mae, mse,
  oneCold, oneHot, oneHotBatch, softmax, tensor,
} from '../../ts/index.js';
import { close, flat } from '../helpers.js';

const f64 = { dtype: 'float64' as const };
const yhat = tensor([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]], f64);
const y1 = tensor([[0, 1, 0], [0, 0, 1]], f64);

test('mse, mae, huberLoss against hand values; agg sum / none / function', (t) => {
  const p = tensor([1, 2, 3], f64);
  const q = tensor([1, 0, 5], f64);
  close(t, mse(p, q), (0 + 4 + 4) / 3);
  close(t, mae(p, q), (0 + 2 + 2) / 3);
  close(t, mse(p, q, { agg: 'sum' }), 8);
  close(t, mse(p, q, { agg: 'none' }), [0, 4, 4]);
  close(t, mse(p, q, { agg: (x) => x.max() }), 4);
  // δ = 1: 0.5 d² for |d| ≤ 1, else |d| − 0.5
  close(t, huberLoss(tensor([0, 0.5, 3], f64), 0), (0 + 0.125 + 2.5) / 3);
  close(t, huberLoss(tensor([3], f64), 0, { delta: 2 }), 2 * (3 - 1));
});

test('crossEntropy with one-hot and with integer labels; logitCrossEntropy equals crossEntropy of softmax', (t) => {
  const want = -(Math.log(0.7) + Math.log(0.4)) / 2;
  close(t, crossEntropy(yhat, y1), want, { atol: 1e-6 });
  close(t, crossEntropy(yhat, [1, 2]), want, { atol: 1e-6 });
  close(t, crossEntropy(yhat, tensor([1, 2], { dtype: 'int32' })), want, { atol: 1e-6 });
  const logits = tensor([[2, -1, 0.5], [0, 3, -2]], f64);
  close(t, logitCrossEntropy(logits, [2, 1]), crossEntropy(softmax(logits), [2, 1]), { atol: 1e-9 });
  // stable for huge logits
  const big = logitCrossEntropy(tensor([[1000, 0]], f64), [0]);
  close(t, big, 0, { atol: 1e-12 });
  t.throws(() => logitCrossEntropy(logits, [0, 1, 2]), { message: /logitCrossEntropy: 3 labels/ });
  t.throws(() => logitCrossEntropy(logits, [0, 5]), { message: /label 5 is not an integer in \[0, 3\)/ });
});

test('binary cross entropies and KL divergence', (t) => {
  const p = tensor([0.9, 0.2], f64);
  const y = tensor([1, 0], f64);
  close(t, binaryCrossEntropy(p, y), -(Math.log(0.9) + Math.log(0.8)) / 2, { atol: 1e-9 });
  const x = tensor([2, -1], f64);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  close(t, logitBinaryCrossEntropy(x, y), -(Math.log(sig(2)) + Math.log(1 - sig(-1))) / 2, { atol: 1e-12 });
  close(t, logitBinaryCrossEntropy(tensor([800], f64), tensor([0], f64)), 800);
  const P = tensor([[0.5, 0.5]], f64);
  const Q = tensor([[0.9, 0.1]], f64);
  close(t, kldivergence(Q, P), 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1), { atol: 1e-9 });
  close(t, kldivergence(P, P), 0, { atol: 1e-9 });
});

test('losses are differentiable (gradcheck in float64)', (t) => {
  const target = tensor([[0.2, 0.3, 0.5], [1, 0, 0]], f64);
  for (const f of [
    (p: ReturnType<typeof tensor>) => mse(p, target),
    (p: ReturnType<typeof tensor>) => huberLoss(p, target.mul(3)),
    (p: ReturnType<typeof tensor>) => logitCrossEntropy(p, target),
    (p: ReturnType<typeof tensor>) => logitBinaryCrossEntropy(p, target),
  ])
    t.true(gradcheck(f, [tensor([[0.3, -1.2, 0.8], [2.1, 0.4, -0.6]], f64)]));
});

test('oneHot, oneHotBatch (batch first) and oneCold', (t) => {
  t.deepEqual(flat(oneHot(2, 4)), [0, 0, 1, 0]);
  t.deepEqual(flat(oneHot('b', ['a', 'b', 'c'])), [0, 1, 0]);
  const b = oneHotBatch([1, 0, 2], 3);
  t.deepEqual(b.shape, [3, 3]);
  t.deepEqual(b.toArray(), [[0, 1, 0], [1, 0, 0], [0, 0, 1]]);
  t.deepEqual(flat(oneCold(b)), [1, 0, 2]);
  t.deepEqual(oneCold(b, ['x', 'y', 'z']), ['y', 'x', 'z']);
  t.is(oneCold(tensor([0.1, 0.8, 0.1]), ['x', 'y', 'z']), 'y');
  t.throws(() => oneHot(4, 4), { message: /oneHot: label 4/ });
});
