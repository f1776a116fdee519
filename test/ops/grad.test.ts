// Gradient checks of every differentiable case in float64: first order (gradcheck) and
// second order (gradgradcheck) against central differences; third order of a few ops
// against closed forms; and the subgradients at ties and kinks, which finite
// differences cannot see.
import test from 'ava';
import { type Tensor, concat, gradcheck, gradgradcheck, gradient, tensor } from '../../ts/index.js';
import { CASES, FLOAT, type OpCase, makeInputs } from './cases.js';
import { close } from '../helpers.js';

/** Splits the case's inputs into the ones to differentiate and constants, and makes one output. */
function differentiable(c: OpCase): { f: (...xs: Tensor[]) => Tensor; vars: Tensor[] } | null {
  const { tensors } = makeInputs(c, 'float64');
  const wrt = c.inputs.map((s, i) => s.grad !== false && tensors[i].dtype === 'float64');
  const vars = tensors.filter((_, i) => wrt[i]);
  if (vars.length === 0) return null;
  const f = (...xs: Tensor[]) => {
    let k = 0;
    const out = c.fn(...tensors.map((t, i) => (wrt[i] ? xs[k++] : t)));
    return Array.isArray(out) ? concat(out.map((o) => o.reshape([-1]))) : out;
  };
  return { f, vars };
}

const GRAD_CASES = CASES.filter((c) => c.differentiable !== false && (c.dtypes ?? FLOAT).includes('float64'));

for (const c of GRAD_CASES) {
  test(`gradcheck ${c.name}`, (t) => {
    const d = differentiable(c);
    if (d === null) return t.pass();
    t.true(gradcheck(d.f, d.vars, c.gradcheck));
  });
  test(`gradgradcheck ${c.name}`, (t) => {
    const d = differentiable(c);
    if (d === null) return t.pass();
    t.true(gradgradcheck(d.f, d.vars, c.gradcheck));
  });
}

test('every differentiable op has a float64 gradient case', (t) => {
  const ops = new Set(CASES.filter((c) => c.differentiable !== false).map((c) => c.op));
  const checked = new Set(GRAD_CASES.map((c) => c.op));
  t.deepEqual([...ops].filter((o) => !checked.has(o)), []);
});

// ---- third order, against closed forms --------------------------------------------------

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const THIRD: [string, (x: Tensor) => Tensor, (x: number) => number][] = [
  ['sin', (x) => x.sin(), (x) => -Math.cos(x)],
  ['cos', (x) => x.cos(), (x) => Math.sin(x)],
  ['exp', (x) => x.exp(), (x) => Math.exp(x)],
  ['log', (x) => x.log(), (x) => 2 / x ** 3],
  ['x^3 (pow)', (x) => x.pow(3), () => 6],
  ['x*x*x (mul)', (x) => x.mul(x).mul(x), () => 6],
  ['tanh', (x) => x.tanh(), (x) => (1 - Math.tanh(x) ** 2) * (6 * Math.tanh(x) ** 2 - 2)],
  ['sigmoid', (x) => x.sigmoid(), (x) => sig(x) * (1 - sig(x)) * (1 - 6 * sig(x) + 6 * sig(x) ** 2)],
  ['softplus', (x) => x.softplus(), (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x))],
  ['recip', (x) => x.recip(), (x) => -6 / x ** 4],
  ['sqrt', (x) => x.sqrt(), (x) => (3 / 8) * x ** -2.5],
];
const POINTS = [0.3, 0.9, 1.7];

for (const [name, f, d3] of THIRD) {
  test(`third derivative of ${name} by nested gradient, numbers in and out`, (t) => {
    const g1 = (x: Tensor) => gradient(f, x)[0] as Tensor;
    const g2 = (x: Tensor) => gradient(g1, x)[0] as Tensor;
    for (const x of POINTS) {
      const [v] = gradient(g2, x) as number[];
      t.true(Math.abs(v - d3(x)) <= 1e-10 * (1 + Math.abs(d3(x))), `${name}''' at ${x}: ${v} vs ${d3(x)}`);
    }
  });
  test(`third derivative of ${name} elementwise on a tensor`, (t) => {
    const sumOf = (h: (x: Tensor) => Tensor) => (x: Tensor) => h(x).sum();
    const g1 = (x: Tensor) => gradient(sumOf(f), x)[0] as Tensor;
    const g2 = (x: Tensor) => gradient(sumOf(g1), x)[0] as Tensor;
    const [g3] = gradient(sumOf(g2), tensor(POINTS, { dtype: 'float64' })) as Tensor[];
    close(t, g3, POINTS.map(d3), { atol: 1e-10, rtol: 1e-10 });
  });
}

test('fourth derivative of sin is sin', (t) => {
  let d = (x: Tensor) => x.sin();
  for (let k = 0; k < 4; k++) {
    const prev = d;
    d = (x: Tensor) => gradient(prev, x)[0] as Tensor;
  }
  const [v] = gradient(d, 0.7) as number[]; // a fifth: cos
  t.true(Math.abs(v - Math.cos(0.7)) < 1e-10);
});

// ---- subgradients at ties and kinks --------------------------------------------------

const grad1 = (f: (x: Tensor) => Tensor, x: number[]) => gradient((y: Tensor) => f(y).sum(), tensor(x, { dtype: 'float64' }))[0] as Tensor;

test('max and min share the gradient evenly among tied entries', (t) => {
  close(t, grad1((x) => x.max(), [1, 3, 3]), [0, 0.5, 0.5]);
  close(t, grad1((x) => x.min(), [2, 2, 2, 5]), [1 / 3, 1 / 3, 1 / 3, 0]);
  close(t, grad1((x) => x.reshape([2, 2]).max(1), [4, 4, 1, 2]), [0.5, 0.5, 0, 1]);
});

test('maximum and minimum split the gradient at ties', (t) => {
  const y = tensor([1, 5, 3], { dtype: 'float64' });
  const [ga, gb] = gradient((a: Tensor, b: Tensor) => a.maximum(b).sum(), tensor([1, 2, 4], { dtype: 'float64' }), y) as Tensor[];
  close(t, ga, [0.5, 0, 1]);
  close(t, gb, [0.5, 1, 0]);
  const [gm] = gradient((a: Tensor) => a.minimum(y).sum(), tensor([1, 2, 4], { dtype: 'float64' })) as Tensor[];
  close(t, gm, [0.5, 1, 0]);
});

test('relu, abs and sign at 0: subgradient 0', (t) => {
  close(t, grad1((x) => x.relu(), [-1, 0, 2]), [0, 0, 1]);
  close(t, grad1((x) => x.abs(), [-1, 0, 2]), [-1, 0, 1]);
  const [gs] = gradient((x: Tensor) => x.sign().sum(), tensor([-1, 0, 2], { dtype: 'float64' }));
  t.is(gs, null, 'sign has no derivative');
});

test('pow: d/db of 0^b is taken as 0 for b >= 0', (t) => {
  const [, gb] = gradient((a: Tensor, b: Tensor) => a.pow(b).sum(), tensor([0, 0], { dtype: 'float64' }), tensor([2, 0], { dtype: 'float64' })) as Tensor[];
  close(t, gb, [0, 0]);
});

test('comparisons, argmax and argmin carry no gradient', (t) => {
  const x = tensor([1, 2, 3], { dtype: 'float64' });
  for (const f of [(a: Tensor) => a.gt(1).sum(), (a: Tensor) => a.eq(a).sum(), (a: Tensor) => a.argmax().cast('float64').add(a.mul(0).sum())])
    t.true(gradient(f, x)[0] === null || (gradient(f, x)[0] as Tensor).data().every((v) => v === 0));
});

test('logsumexp with -inf entries: the gradient is the softmax, 0 at -inf', (t) => {
  const e = [Math.E, Math.exp(2)];
  close(t, grad1((x) => x.logsumexp(), [1, -Infinity, 2]), [e[0] / (e[0] + e[1]), 0, e[1] / (e[0] + e[1])], { atol: 1e-12, rtol: 1e-12 });
  close(t, grad1((x) => x.softmax().mul(tensor([1, 2, 3], { dtype: 'float64' })), [0, -Infinity, 0]), [-0.5, 0, 0.5], { atol: 1e-12, rtol: 1e-12 });
});
