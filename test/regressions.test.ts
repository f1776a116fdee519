// Bugs found in review, each pinned by a test.
import test from 'ava';
import {
  Chain, Dense, Descent, GradientError, Adam, dispose, gradient, params, pullback, setup, tensor, tidy, update, zeros, type Tensor,
} from '../ts/index.js';
import { close, flat } from './helpers.js';

test('data() returns an array of its own, even inside tidy and for small tensors', (t) => {
  const x = tensor([7, 8]);
  const d = tidy(() => x.add(0).data());
  zeros(1000).addInPlace(5); // would reuse a pooled buffer
  t.deepEqual(Array.from(d), [7, 8]);
  t.is(d.buffer.byteLength, 2 * 4); // not a slice of a shared slab: safe to transfer
});

test('tidy keeps tensors reachable from a returned layer or a deep structure', (t) => {
  const m = tidy(() => Chain(Dense(3, 3)));
  t.deepEqual(m(tensor([1, 2, 3])).shape, [3]);
  let deep: Record<string, unknown> = { w: tensor([1]) };
  for (let i = 0; i < 12; i++) deep = { next: deep };
  const kept = tidy(() => deep);
  t.truthy(kept);
  let v: Record<string, unknown> = deep;
  while (v.next) v = v.next as Record<string, unknown>;
  t.deepEqual(flat(v.w as Tensor), [1]);
});

test('dispose walks models, Grads and cyclic structures', (t) => {
  const m = Chain(Dense(2, 2));
  dispose(m);
  t.true(m.layers[0].weight.disposed);
  const w = tensor([1, 2]);
  const gs = gradient(() => w.mul(w).sum(), params(w));
  const g = gs.get(w) as Tensor;
  dispose(gs);
  t.true(g.disposed);
  const a: Record<string, unknown> = { x: tensor([1]) };
  a.self = a;
  dispose(a);
  t.true((a.x as Tensor).disposed);
});

test('a fused optimiser step counts as an in-place write: a pending pullback notices', (t) => {
  const m = { w: tensor([1, 2, 3]) };
  const { back } = pullback((mm: typeof m) => mm.w.mul(mm.w).sum(), m);
  update(setup(new Descent(1), m), m, { w: tensor([1, 1, 1]) });
  t.throws(() => back(1), { instanceOf: GradientError, message: /modified in place/ });
});

test('update refuses a gradient of the wrong shape and converts its dtype', (t) => {
  const m = { w: tensor([[1, 2, 3], [4, 5, 6]]) };
  const state = setup(new Adam(0.1), m);
  t.throws(() => update(state, m, { w: tensor([[1, 1], [1, 1], [1, 1]]) }), { message: /gradient at w has shape \[3, 2\] but the parameter has \[2, 3\]/ });
  update(state, m, { w: tensor([[1, 1, 1], [1, 1, 1]], { dtype: 'float64' }) });
  close(t, m.w, [[0.9, 1.9, 2.9], [3.9, 4.9, 5.9]], { atol: 1e-6 });
  t.is((state as unknown as { w: { state: { t: number } } }).w.state.t, 1);
});

test('in-place ops read an overlapping operand before writing', (t) => {
  const a = tensor([[1, 2], [3, 4]]);
  a.addInPlace(a.T);
  t.deepEqual(a.toArray(), [[2, 5], [5, 8]]);
  const b = tensor([[1, 2], [3, 4]]);
  b.assign(b.T);
  t.deepEqual(b.toArray(), [[1, 3], [2, 4]]);
});

test('pow: the derivative of x^0 is 0 at x = 0, and fill refuses fractions for int32', (t) => {
  t.deepEqual(gradient((x: Tensor) => x.pow(0), 0), [0]);
  t.throws(() => zeros(2, { dtype: 'int32' }).fill(0.5), { message: /fill: cannot store 0.5 in an int32 tensor/ });
});

test('x.mul(x): the one-thunk rule gives 2x, and 2 as its derivative', (t) => {
  const x = tensor([1.5, -2, 3], { dtype: 'float64' });
  close(t, gradient((v: Tensor) => v.mul(v).sum(), x)[0], [3, -4, 6]);
  const d2 = gradient((v: Tensor) => (gradient((w: Tensor) => w.mul(w).sum(), v)[0] as Tensor).sum(), x)[0];
  close(t, d2, [2, 2, 2]);
});

test('max and min of a contiguous run keep the left fold: +0 after -0 wins a tie, as on the strided path', (t) => {
  const v = [-1, -0, -1, -1, -1, -1, -1, -1, 0];
  const x = tensor(v);
  t.true(Object.is(x.max().item(), 0), 'contiguous max');
  t.true(Object.is(tensor(v.flatMap((e) => [e, 7])).slice(0, 0, undefined, 2).max().item(), 0), 'strided max');
  const w = [1, 0, 1, 1, 1, 1, 1, 1, -0];
  t.true(Object.is(tensor(w).min().item(), -0), 'contiguous min');
  t.true(Object.is(tensor(w.flatMap((e) => [e, 7])).slice(0, 0, undefined, 2).min().item(), -0), 'strided min');
});
