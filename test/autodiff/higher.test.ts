// Higher order and nesting: derivatives of derivatives, closures that capture an outer
// variable (perturbation confusion), per-call accumulators, and gradients through
// ordinary control flow (loops, branches, recursion).
import test from 'ava';
import { type Tensor, gradient, hessian, jacobian, params, pullback, tensor } from '../../ts/index.js';
import { close } from '../helpers.js';

const T = (v: number | number[] | number[][]) => tensor(v, { dtype: 'float64' });
type Fn = (x: Tensor) => Tensor;
/** The derivative of an elementwise function, as an elementwise function. */
const d =
  (f: Fn): Fn =>
  (x) =>
    (gradient((y: Tensor) => f(y).sum(), x)[0] as Tensor | null) ?? x.mul(0);

test('third derivative of x^4 is 24x (numbers and tensors)', (t) => {
  const x4 = (x: Tensor) => x.pow(4);
  t.deepEqual(gradient(d(d(x4)), 2), [48]);
  close(t, d(d(d(x4)))(T([1, -2, 0.5])), [24, -48, 12]);
  close(t, d(d(x4))(T([3])), [12 * 9]);
});

test('derivatives of sin cycle: cos, -sin, -cos, sin', (t) => {
  const x = T([0.3, 1.2, -2]);
  const v = [0.3, 1.2, -2];
  const d1 = d((a) => a.sin());
  const d2 = d(d1);
  const d3 = d(d2);
  const d4 = d(d3);
  close(t, d1(x), v.map(Math.cos), { atol: 1e-12 });
  close(t, d2(x), v.map((a) => -Math.sin(a)), { atol: 1e-12 });
  close(t, d3(x), v.map((a) => -Math.cos(a)), { atol: 1e-12 });
  close(t, d4(x), v.map(Math.sin), { atol: 1e-12 });
});

test('third derivative through exp, log and products', (t) => {
  // f = x exp(x): f''' = (x + 3) exp(x); g = log(x): g''' = 2 / x^3
  const x = T([0.5, 2]);
  close(t, d(d(d((a) => a.mul(a.exp()))))(x), [3.5 * Math.exp(0.5), 5 * Math.exp(2)], { atol: 1e-10 });
  close(t, d(d(d((a) => a.log())))(x), [2 / 0.125, 2 / 8], { atol: 1e-10 });
});

test('perturbation confusion: d/dx [x · d/dy (x + y)] = 1', (t) => {
  const f = (x: Tensor) => x.mul(gradient((y: Tensor) => x.add(y), T(1))[0] as Tensor);
  t.deepEqual(gradient(f, 1), [1]);
  const f2 = (x: Tensor) => x.mul(gradient((y: Tensor) => x.add(y), 1)[0] as number);
  t.deepEqual(gradient(f2, 1), [1]);
});

test('nested closures: d/dx [x · d/dy (x y)] = 2x, and d/dx d/dy (x^2 y^3) = 6 x y^2', (t) => {
  const f = (x: Tensor) => x.mul(gradient((y: Tensor) => x.mul(y), T(5))[0] as Tensor);
  close(t, gradient(f, T(3))[0], 6);
  const mixed = (x: Tensor, y: Tensor) =>
    gradient((yy: Tensor) => x.pow(2).mul(yy.pow(3)), y)[0] as Tensor;
  const [gx] = gradient((x: Tensor) => mixed(x, T(2)), T(3));
  close(t, gx, 6 * 3 * 4);
  const [gy] = gradient((y: Tensor) => mixed(T(3), y), T(2));
  close(t, gy, 9 * 6 * 2); // d/dy (3 x² y²) = 6 x² y
});

test('per-call accumulators: the same tensor differentiated by two nested calls', (t) => {
  const x = T([1, 2, 3]);
  let inner: Tensor | null = null;
  // inner: d/dx Σx³ = 3x²; outer: d/dx Σ x · 3x² = 9x²
  const [outer] = gradient((a: Tensor) => {
    inner = gradient((b: Tensor) => b.pow(3).sum(), a)[0] as Tensor;
    return a.mul(inner).sum();
  }, x);
  close(t, inner, [3, 12, 27]);
  close(t, outer, [9, 36, 81]);
});

test('per-call accumulators: the same captured parameter in nested params calls', (t) => {
  const w = T([2]);
  const ps = params(w);
  let innerGrad: Tensor | null = null;
  // inner: d/dw w³ = 3w²; outer: d/dw (w² + 3w²) = 8w
  const outer = gradient(() => {
    innerGrad = gradient(() => w.pow(3).sum(), ps).get(w);
    return w.pow(2).sum().add((innerGrad as Tensor).sum());
  }, ps);
  close(t, innerGrad, [12]);
  close(t, outer.get(w), [16]);
});

test('per-call accumulators: sequential calls inside one outer call do not share sums', (t) => {
  const [g] = gradient((x: Tensor) => {
    const g1 = gradient((y: Tensor) => y.mul(y).sum(), x)[0] as Tensor; // 2x
    const g2 = gradient((y: Tensor) => y.mul(3).sum(), x)[0] as Tensor; // 3
    close(t, g1, [4]);
    close(t, g2, [3]);
    return g1.mul(g2).sum(); // 6x
  }, T([2]));
  close(t, g, [6]);
});

test('an inner gradient with respect to an intermediate of the outer computation', (t) => {
  // h = 2x; d/dh Σh³ = 3h² = 12x²; d/dx Σ12x² = 24x
  const viaArg = gradient((x: Tensor) => {
    const h = x.mul(2);
    return (gradient((hh: Tensor) => hh.pow(3).sum(), h)[0] as Tensor).sum();
  }, T([1, 2]));
  close(t, viaArg[0], [24, 48]);
  const viaParams = gradient((x: Tensor) => {
    const h = x.mul(2);
    return (gradient(() => h.pow(3).sum(), params(h)).get(h) as Tensor).sum();
  }, T([1, 2]));
  close(t, viaParams[0], [24, 48]);
});

test('third order by composing the API: gradient of a hessian, jacobian of a gradient', (t) => {
  // Σ_ij H_ij of Σx⁴ is Σ 12x²; its gradient is 24x
  close(t, gradient((a: Tensor) => hessian((b) => b.pow(4).sum(), a).sum(), T([1, 2]))[0], [24, 48]);
  // the jacobian of x ↦ ∇ Σx³ = 3x² is diag(6x)
  close(t, jacobian((a) => gradient((b: Tensor) => b.pow(3).sum(), a)[0] as Tensor, T([1, 2])), [6, 0, 0, 12]);
});

test('a pullback inside gradient: back() is recorded by the outer tape', (t) => {
  // h(x) = ⟨v, J_f(x)ᵀ u⟩ with f = x², u = 1: h = Σ 2 x v, dh/dx = 2v
  const v = T([1, 2, 3]);
  const [g] = gradient((x: Tensor) => {
    const { back } = pullback((a: Tensor) => a.mul(a), x);
    const [gx] = back(T([1, 1, 1]));
    return (gx as Tensor).mul(v).sum();
  }, T([5, 6, 7]));
  close(t, g, [2, 4, 6]);
});

test('four levels of nesting around a captured constant', (t) => {
  const c = T([1.5]);
  const f = (x: Tensor) => x.mul(c).sin();
  // d⁴/dx⁴ sin(cx) = c⁴ sin(cx)
  close(t, d(d(d(d(f))))(T([0.4])), [1.5 ** 4 * Math.sin(0.6)], { atol: 1e-10 });
});

test('a loop with a data-dependent number of iterations', (t) => {
  // squares until the value passes 100: 1.5 -> 2.25 -> 5.06 -> 25.6 -> 656.8 = x^16
  const f = (x: Tensor) => {
    let y = x;
    while (y.item() < 100) y = y.mul(y);
    return y;
  };
  const g = gradient(f, 1.5)[0] as number;
  t.true(Math.abs(g - 16 * 1.5 ** 15) < 1e-9 * g);
  const [g2] = gradient(f, 11); // 11 -> 121 = x^2
  t.is(g2, 22);
});

test('a loop that stops on convergence: Newton iterations for sqrt(a)', (t) => {
  // y ← (y + a / y) / 2 converges to sqrt(a); the derivative of the result is 1 / (2 sqrt(a))
  const sqrtNewton = (a: Tensor) => {
    let y = T(1);
    for (let i = 0; i < 100; i++) {
      const next = y.add(a.div(y)).mul(0.5);
      const done = Math.abs(next.item() - y.item()) < 1e-15;
      y = next;
      if (done) break;
    }
    return y;
  };
  const g = gradient(sqrtNewton, 9)[0] as number;
  t.true(Math.abs(g - 1 / 6) < 1e-10);
});

test('branches on values pick the derivative of the branch taken', (t) => {
  const f = (x: Tensor) => (x.item() > 0 ? x.mul(x) : x.neg().exp());
  t.deepEqual(gradient(f, 3), [6]);
  t.true(Math.abs((gradient(f, -1)[0] as number) + Math.E) < 1e-12);
  // branches per element through where
  const [g] = gradient((x: Tensor) => x.gt(0).where(x.mul(x), x.mul(-3)).sum(), T([2, -1, 0.5]));
  close(t, g, [4, -3, 1]);
});

test('recursion: repeated composition and a recursive power', (t) => {
  const rec = (x: Tensor, n: number): Tensor => (n === 0 ? x : rec(x.sin(), n - 1));
  const s1 = Math.sin(0.5);
  const s2 = Math.sin(s1);
  t.true(Math.abs((gradient((x: Tensor) => rec(x, 3), 0.5)[0] as number) - Math.cos(0.5) * Math.cos(s1) * Math.cos(s2)) < 1e-12);
  const power = (x: Tensor, n: number): Tensor => {
    if (n === 0) return x.mul(0).add(1);
    if (n % 2 === 0) {
      const h = power(x, n / 2);
      return h.mul(h);
    }
    return x.mul(power(x, n - 1));
  };
  t.deepEqual(gradient((x: Tensor) => power(x, 7), 2), [7 * 2 ** 6]);
  t.deepEqual(gradient(d((x) => power(x, 5)), 2), [20 * 8]);
});

test('a recursive data structure: a small binary tree of tensors', (t) => {
  type Tree = { leaf: Tensor } | { left: Tree; right: Tree; w: Tensor };
  const evalTree = (n: Tree): Tensor => ('leaf' in n ? n.leaf : evalTree(n.left).add(evalTree(n.right)).mul(n.w).tanh());
  const tree: Tree = { left: { leaf: T([0.5]) }, right: { left: { leaf: T([0.1]) }, right: { leaf: T([-0.3]) }, w: T([2]) }, w: T([0.7]) };
  const [g] = gradient((tr: Tree) => evalTree(tr).sum(), tree);
  // check one leaf against a central difference
  const leaf = (tree as { right: { left: { leaf: Tensor } } }).right.left.leaf;
  const h = 1e-6;
  leaf.addInPlace(h);
  const up = evalTree(tree).item();
  leaf.subInPlace(2 * h);
  const dn = evalTree(tree).item();
  leaf.addInPlace(h);
  const gr = g.right as { left: { leaf: Tensor }; w: Tensor } | null;
  close(t, gr?.left.leaf, [(up - dn) / (2 * h)], { atol: 1e-8 });
  t.truthy(g.w);
  t.truthy(gr?.w);
});
