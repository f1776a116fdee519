// pullback / vjp (a value and a reusable back function), jacobian and hessian, checked
// against closed forms.
import test from 'ava';
import { GradientError, RNG, type Tensor, eye, hessian, jacobian, pullback, randn, tensor, vjp } from '../../ts/index.js';
import { close } from '../helpers.js';

const T = (v: number | number[] | number[][]) => tensor(v, { dtype: 'float64' });

test('pullback returns the value and a back function', (t) => {
  const x = T([1, 2, 3]);
  const { val, back } = pullback((a: Tensor) => a.mul(a), x);
  close(t, val, [1, 4, 9]);
  const [g] = back(T([1, 1, 1]));
  close(t, g, [2, 4, 6]);
});

test('back can be called many times with different cotangents, independently', (t) => {
  const x = T([1, 2, 3]);
  const y = T([4, 5, 6]);
  const { back } = pullback((a: Tensor, b: Tensor) => a.mul(b).exp(), x, y);
  const e = [4, 10, 18].map(Math.exp);
  const [gx1, gy1] = back(T([1, 0, 0]));
  close(t, gx1, [4 * e[0], 0, 0]);
  close(t, gy1, [1 * e[0], 0, 0]);
  const [gx2, gy2] = back(T([0, 2, 1]));
  close(t, gx2, [0, 2 * 5 * e[1], 6 * e[2]]); // not added to the first call's result
  close(t, gy2, [0, 2 * 2 * e[1], 3 * e[2]]);
  const [gx3] = back(T([1, 0, 0]));
  close(t, gx3, gx1);
});

test('pullback of a scalar: a number cotangent; a reshaped or other-dtype cotangent works', (t) => {
  const x = T([[1, 2], [3, 4]]);
  const s = pullback((a: Tensor) => a.pow(2).sum(), x);
  close(t, s.back(1)[0], [2, 4, 6, 8]);
  close(t, s.back(-0.5)[0], [-1, -2, -3, -4]);
  const m = pullback((a: Tensor) => a.mul(3), x);
  close(t, m.back(tensor([1, 2, 3, 4]))[0], [3, 6, 9, 12]); // flat float32 cotangent for a [2, 2] float64 value
  t.deepEqual((m.back(T([[1, 1], [1, 1]]))[0] as Tensor).shape, [2, 2]);
});

test('the gradient back returns is never the cotangent passed in', (t) => {
  const { back } = pullback((a: Tensor) => a.add(0), T([1, 2]));
  const ct = T([3, 4]);
  const [g] = back(ct) as Tensor[];
  t.not(g, ct);
  g.fill(0);
  close(t, ct, [3, 4]);
  close(t, back(ct)[0], [3, 4]);
});

test('pullback with structured arguments mirrors them', (t) => {
  const w = T([2, 3]);
  const { back } = pullback((m: { w: Tensor; tag: string }, k: Tensor) => m.w.mul(k), { w, tag: 'x' }, 4);
  const [gm, gk] = back(T([1, 10]));
  close(t, gm.w, [4, 40]);
  t.is(gm.tag, null);
  close(t, gk, 2 + 30);
});

test('a cotangent of the wrong size is a GradientError naming both shapes', (t) => {
  const { back } = pullback((a: Tensor) => a.mul(2), T([1, 2, 3]));
  t.throws(() => back(T([1, 2])), { instanceOf: GradientError, message: /cotangent has shape \[2\] but the value has shape \[3\]/ });
  t.throws(() => back('x' as never), { message: /pullback: expected the cotangent to be a Tensor or a number/ });
});

test('pullback requires f to return a tensor', (t) => {
  t.throws(() => pullback(() => 3 as never, T([1])), { instanceOf: GradientError, message: /value of f.*Tensor.*number 3/ });
});

test('vjp is pullback', (t) => {
  t.is(vjp, pullback);
  const { back } = vjp((a: Tensor) => a.sin(), T([0.5]));
  close(t, back(T([2]))[0], [2 * Math.cos(0.5)]);
});

test('jacobian of an elementwise function is diagonal', (t) => {
  const x = T([0.1, 0.2, 0.3]);
  const J = jacobian((a) => a.exp(), x);
  t.deepEqual(J.shape, [3, 3]);
  close(t, J, [Math.exp(0.1), 0, 0, 0, Math.exp(0.2), 0, 0, 0, Math.exp(0.3)]);
});

test('jacobian of a linear map is the matrix', (t) => {
  const A = randn([4, 3], { dtype: 'float64', rng: new RNG(1) });
  close(t, jacobian((x) => A.matmul(x), T([1, 2, 3])), A);
});

test('jacobian of softmax is diag(s) - s sᵀ', (t) => {
  const x = T([0.5, -1, 2, 0]);
  const s = Array.from(x.softmax().data());
  const expected: number[] = [];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expected.push((i === j ? s[i] : 0) - s[i] * s[j]);
  close(t, jacobian((a) => a.softmax(), x), expected, { atol: 1e-12 });
});

test('jacobian shapes: [...out, ...in]; numbers and unused inputs', (t) => {
  const x = T([[1, 2], [3, 4]]);
  const J = jacobian((a) => a.sum(0), x); // out [2], in [2, 2]
  t.deepEqual(J.shape, [2, 2, 2]);
  close(t, J, [1, 0, 1, 0, 0, 1, 0, 1]);
  close(t, jacobian((a) => a.mul(a).mul(a), 2), 12);
  const Z = jacobian((_a) => T([1, 2]), x); // f ignores x
  t.deepEqual(Z.shape, [2, 2, 2]);
  close(t, Z, new Array(8).fill(0));
});

test('hessian of sum(x^3) is diag(6x)', (t) => {
  const x = T([1, -2, 0.5]);
  close(t, hessian((a) => a.pow(3).sum(), x), [6, 0, 0, 0, -12, 0, 0, 0, 3]);
});

test('hessian of xᵀAx is A + Aᵀ', (t) => {
  const A = randn([4, 4], { dtype: 'float64', rng: new RNG(7) });
  const x = randn([4], { dtype: 'float64', rng: new RNG(8) });
  const H = hessian((a) => a.matmul(A.matmul(a)), x);
  close(t, H, A.add(A.T), { atol: 1e-12 });
});

test('hessian of a quadratic form is constant; of a linear function is zero', (t) => {
  const I = eye(3, 3, { dtype: 'float64' });
  close(t, hessian((a) => a.mul(a).sum().mul(0.5), T([5, 6, 7])), I);
  close(t, hessian((a) => a.mul(3).sum(), T([1, 2, 3])), new Array(9).fill(0));
});

test('hessian of log-sum-exp is diag(s) - s sᵀ', (t) => {
  const x = T([0.3, -0.2, 1.1]);
  const s = Array.from(x.softmax().data());
  const expected: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expected.push((i === j ? s[i] : 0) - s[i] * s[j]);
  close(t, hessian((a) => a.logsumexp(), x), expected, { atol: 1e-12 });
});

test('hessian of a matrix argument has shape [...x, ...x]', (t) => {
  const x = T([[1, 2], [3, 4]]);
  const H = hessian((a) => a.pow(3).sum(), x);
  t.deepEqual(H.shape, [2, 2, 2, 2]);
  const expected = new Array(16).fill(0);
  [1, 2, 3, 4].forEach((v, i) => {
    expected[i * 4 + i] = 6 * v;
  });
  close(t, H, expected);
});

test('hessian of a scalar function of a number', (t) => {
  close(t, hessian((a) => a.sin(), 0.3), -Math.sin(0.3));
});
