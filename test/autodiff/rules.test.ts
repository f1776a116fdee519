// Stopping gradients (ignoreDerivatives, detach), user rules (customRule), and the
// finite-difference checkers, which must pass on correct code and fail on wrong rules.
import test from 'ava';
import {
  GradientError,
  RNG,
  type Tensor,
  customRule,
  gradcheck,
  gradgradcheck,
  gradient,
  ignoreDerivatives,
  randn,
  tensor,
  withGradient,
} from '../../ts/index.js';
import { close } from '../helpers.js';

const T = (v: number | number[] | number[][]) => tensor(v, { dtype: 'float64' });
const d = (f: (x: Tensor) => Tensor) => (x: Tensor) => gradient(f, x)[0] as Tensor;

test('ignoreDerivatives treats its result as a constant', (t) => {
  const x = T([1, 2, 3]);
  // d/dx [x · c] with c = x² held constant is c
  const [g] = gradient((a: Tensor) => a.mul(ignoreDerivatives(() => a.mul(a))).sum(), x);
  close(t, g, [1, 4, 9]);
  t.deepEqual(
    gradient((a: Tensor) => ignoreDerivatives(() => a.exp().sum()), x),
    [null],
  );
});

test('detach cuts the tape but shares the values', (t) => {
  const x = T([1, 2, 3]);
  const [g] = gradient((a: Tensor) => a.mul(a.detach()).sum(), x);
  close(t, g, [1, 2, 3]);
  const dx = x.detach();
  close(t, dx, [1, 2, 3]);
  t.is(dx._root(), x); // a view, no copy
});

test('a gradient computed inside ignoreDerivatives still works, and is a constant outside', (t) => {
  // f(x) = x · stop(d/dx x²) = x · 2x₀: the outer derivative is 2x₀ (4x without the stop)
  const [g] = gradient((x: Tensor) => {
    const inner = ignoreDerivatives(() => gradient((y: Tensor) => y.mul(y), x)[0] as Tensor);
    t.not(inner, null); // a fresh tape records even while the outer one is paused
    return x.mul(inner);
  }, 3);
  t.is(g, 6);
  t.is(gradient((x: Tensor) => x.mul(gradient((y: Tensor) => y.mul(y), x)[0] as Tensor), 3)[0], 12);
});

test('ignoreDerivatives nests and restores recording after an exception', (t) => {
  const x = T([2]);
  const [g] = gradient((a: Tensor) => {
    t.throws(() =>
      ignoreDerivatives(() => {
        ignoreDerivatives(() => a.mul(2));
        throw new Error('inside');
      }),
    );
    return a.mul(a).sum(); // recorded again
  }, x);
  close(t, g, [4]);
});

const cube = customRule(
  'cube',
  (x: Tensor) => x.mul(x).mul(x),
  (g, _y, x) => [g.mul(x.mul(x)).mul(3)],
);

test('customRule: forward gives the value, the user rule gives the gradient', (t) => {
  const x = T([1, -2, 0.5]);
  const { val, grad } = withGradient((a: Tensor) => {
    const y = cube(a);
    return [y.sum(), y] as const;
  }, x);
  close(t, val[1], [1, -8, 0.125]);
  close(t, grad[0], [3, 12, 0.75]);
});

test('customRule: the user VJP is what the gradient uses (not the forward code)', (t) => {
  // straight-through estimator: round in the forward, identity in the backward
  const roundST = customRule(
    'roundST',
    (x: Tensor) => tensor(Array.from(x.data(), Math.round), { dtype: x.dtype, shape: x.shape }),
    (g) => [g],
  );
  const x = T([0.4, 1.6]);
  const [g] = gradient((a: Tensor) => roundST(a).mul(T([2, 3])).sum(), x);
  close(t, g, [2, 3]);
  let usedRule = false;
  const loud = customRule(
    'loud',
    (x: Tensor) => x.mul(2),
    (g) => {
      usedRule = true;
      return [g.mul(100)];
    },
  );
  close(t, gradient((a: Tensor) => loud(a).sum(), T([1]))[0], [100]);
  t.true(usedRule);
});

test('customRule: several inputs, null for one of them, untracked when no gradient is taken', (t) => {
  const scaledBy = customRule(
    'scaledBy',
    (x: Tensor, s: Tensor) => x.mul(s),
    (g, _y, _x, s) => [g.mul(s), null],
  );
  const [gx, gs] = gradient((x: Tensor, s: Tensor) => scaledBy(x, s).sum(), T([1, 2]), T([3]));
  close(t, gx, [3, 3]);
  t.is(gs, null);
  close(t, scaledBy(T([1, 2]), T([3])), [3, 6]);
});

test('customRule: second and third order through a rule written with Fluxion ops', (t) => {
  const f = (a: Tensor) => cube(a).sum();
  close(t, d((y) => d(f)(y).sum())(T([1, 2, 3])), [6, 12, 18]);
  close(t, gradient((x: Tensor) => d((y) => d(f)(y).sum())(x).sum(), T([1, 2]))[0], [6, 6]); // d³/dx³ x³ = 6
});

test('customRule: a rule returning the wrong number of gradients is a clear GradientError', (t) => {
  const bad = customRule(
    'myMul',
    (x: Tensor, y: Tensor) => x.mul(y),
    (g, _o, _x, y) => [g.mul(y)],
  );
  const e = t.throws(() => gradient((x: Tensor, y: Tensor) => bad(x, y).sum(), T([1]), T([2])), { instanceOf: GradientError });
  t.regex(e!.message, /^myMul: the backward rule must return 2 gradients \(one per input\), got 1$/);
  const notArray = customRule('weird', (x: Tensor) => x.mul(1), (g) => g as never);
  t.throws(() => gradient((x: Tensor) => notArray(x).sum(), T([1])), { instanceOf: GradientError, message: /weird: .* got object/ });
});

test('customRule: a gradient of the wrong type or shape names the rule and the input', (t) => {
  const wrongShape = customRule('wrongShape', (x: Tensor) => x.mul(2), () => [T([1, 2, 3])]);
  t.throws(() => gradient((x: Tensor) => wrongShape(x).sum(), T([1, 2])), {
    instanceOf: GradientError,
    message: 'wrongShape: the backward rule returned a gradient of shape [3] for input 0 of shape [2]',
  });
  const notTensor = customRule('notTensor', (x: Tensor, y: Tensor) => x.mul(y), (g) => [g, 3 as never]);
  t.throws(() => gradient((x: Tensor, y: Tensor) => notTensor(x, y).sum(), T([1]), T([2])), {
    instanceOf: GradientError,
    message: /^notTensor: expected the gradient of input 1 to be a Tensor or null, got the number 3$/,
  });
  // gradients in a broadcast shape (summed down) or with fewer dims (expanded) are fine
  const wide = customRule('wide', (x: Tensor) => x.mul(1), (g) => [g.expand([3, 2])]);
  close(t, gradient((x: Tensor) => wide(x).sum(), T([1, 2]))[0], [3, 3]);
  const narrow = customRule('narrow', (x: Tensor) => x.mul(1), () => [T(2)]);
  close(t, gradient((x: Tensor) => narrow(x).sum(), T([[1, 2], [3, 4]]))[0], [2, 2, 2, 2]);
});

test('customRule: argument checks', (t) => {
  t.throws(() => customRule('r', 3 as never, () => []), { message: /customRule: expected forward to be a function/ });
  t.throws(() => customRule('r', (x: Tensor) => x, null as never), { message: /customRule: expected backward to be a function/ });
  const id = customRule('id', (x: Tensor) => x, (g) => [g]);
  t.throws(() => id(3 as never), { message: /id: expected input 0 to be a Tensor/ });
  const notTensor = customRule('nt', (_x: Tensor) => 5 as never, (g) => [g]);
  t.throws(() => notTensor(T([1])), { instanceOf: GradientError, message: /nt: expected the value of forward to be a Tensor/ });
});

test('customRule: a forward returning its input still gets its own node', (t) => {
  const id2 = customRule('id2', (x: Tensor) => x, (g) => [g.mul(2)]);
  const [g] = gradient((a: Tensor) => id2(a).sum(), T([1, 2]));
  close(t, g, [2, 2]);
});

const rng = () => new RNG(42);
const r = (...shape: number[]) => randn(shape, { dtype: 'float64', rng: rng() });

test('gradcheck and gradgradcheck pass on correct ops', (t) => {
  const A = r(3, 4);
  const B = randn([4, 2], { dtype: 'float64', rng: new RNG(5) });
  t.true(gradcheck((a, b) => a.matmul(b).tanh(), [A, B]));
  t.true(gradgradcheck((a, b) => a.matmul(b).tanh(), [A, B]));
  t.true(gradcheck((a) => a.softmax(), [A]));
  t.true(gradgradcheck((a) => a.logsoftmax().sum(), [A]));
  // broadcasting in both directions
  const v = T([0.5, 1.5, -1, 2]);
  t.true(gradcheck((a, b) => a.div(b.add(3)).mul(a.sin()), [A, v]));
  t.true(gradgradcheck((a, b) => a.div(b.add(3)).mul(a.sin()), [A, v]));
  t.true(gradcheck((a) => cube(a), [v]));
  t.true(gradgradcheck((a) => cube(a), [v]));
});

test('gradcheck throws on a wrong first-order rule, naming the element', (t) => {
  const wrong = customRule('wrongCube', (x: Tensor) => x.mul(x).mul(x), (g, _y, x) => [g.mul(x.mul(x)).mul(2)]);
  const e = t.throws(() => gradcheck((a) => wrong(a), [T([1, 2, 0.5])]), { instanceOf: GradientError });
  t.regex(e!.message, /^gradcheck: input 0 element \d: analytic .* vs numerical/);
});

test('gradgradcheck throws on a rule whose first order is right but second order is wrong', (t) => {
  // the rule's derivative is computed outside the tape, so it has no second derivative
  const flat = customRule(
    'flatCube',
    (x: Tensor) => x.mul(x).mul(x),
    (g, _y, x) => [g.mul(ignoreDerivatives(() => x.mul(x).mul(3)))],
  );
  const x = T([1, 2, 0.5]);
  t.true(gradcheck((a) => flat(a), [x]));
  t.throws(() => gradgradcheck((a) => flat(a), [x]), { instanceOf: GradientError, message: /^gradcheck: input 0/ });
});

test('gradcheck of a wrong rule among several inputs names the right input', (t) => {
  const halfWrong = customRule(
    'halfWrong',
    (x: Tensor, y: Tensor) => x.mul(y),
    (g, _o, x, y) => [g.mul(y), g.mul(x).mul(1.01)],
  );
  t.throws(() => gradcheck((a, b) => halfWrong(a, b), [T([1, 2]), T([3, 4])]), { message: /^gradcheck: input 1 element/ });
});

test('gradcheck argument checks', (t) => {
  t.throws(() => gradcheck(3 as never, []), { message: /gradcheck: expected f to be a function/ });
  t.throws(() => gradcheck((a) => a, [3 as never]), { message: /gradcheck: expected inputs to be an array of tensors/ });
});
