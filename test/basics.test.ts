// The seed page's examples (Flux Basics), in TypeScript.
import test from 'ava';
import { type Tensor, gradient, params, rand, tensor } from '../ts/index.js';
import { close } from './helpers.js';

const f = (x: Tensor) => x.pow(2).mul(3).add(x.mul(2)).add(1); // 3x² + 2x + 1

test('gradient of 3x^2 + 2x + 1 at 2 is 14 (numbers in, numbers out)', (t) => {
  t.deepEqual(gradient(f, 2), [14]);
});

test('gradient of the gradient is 6', (t) => {
  const df = (x: Tensor) => gradient(f, x)[0];
  t.deepEqual(gradient(df, 2), [6]);
});

test('two arguments: sum((x - y)^2)', (t) => {
  const [gx, gy] = gradient((x: Tensor, y: Tensor) => x.sub(y).pow(2).sum(), tensor([2, 1]), tensor([2, 0]));
  close(t, gx, [0, 2]);
  close(t, gy, [0, -2]);
});

test('params and Grads: the same two-argument example', (t) => {
  const x = tensor([2, 1]);
  const y = tensor([2, 0]);
  const gs = gradient(() => x.sub(y).pow(2).sum(), params(x, y));
  close(t, gs.get(x), [0, 2]);
  close(t, gs.get(y), [0, -2]);
});

test('linear regression: one gradient step lowers the loss', (t) => {
  const W = rand(2, 5);
  const b = rand(2);
  const predict = (x: Tensor) => W.matmul(x).add(b);
  const loss = (x: Tensor, y: Tensor) => y.sub(predict(x)).pow(2).sum();
  const x = rand(5);
  const y = rand(2);
  const before = loss(x, y).item();
  const gs = gradient(() => loss(x, y), params(W, b));
  W.subInPlace(gs.get(W)!.mul(0.1));
  t.true(loss(x, y).item() < before);
});
