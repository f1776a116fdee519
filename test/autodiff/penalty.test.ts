// A gradient penalty (WGAN-GP style): the inner gradient of a small MLP's output with
// respect to its input, the outer gradient of the penalty with respect to weights that
// the MLP captures by closure, checked against central differences in float64. Also:
// what a tape saved stays alive exactly as long as some tape still needs it.
import test from 'ava';
import { RNG, type Tensor, gradcheck, gradgradcheck, gradient, params, pullback, randn, tensor } from '../../ts/index.js';
import { close, numericGrad } from '../helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function mlp(seed: number) {
  const rng = new RNG(seed);
  const o = { dtype: 'float64' as const, rng };
  const W1 = randn([6, 3], o).mul(0.7);
  const b1 = randn([6], o).mul(0.1);
  const W2 = randn([1, 6], o).mul(0.7);
  const x = randn([5, 3], o);
  const net = (xx: Tensor) => xx.matmul(W1.T).add(b1).tanh().matmul(W2.T);
  return { W1, b1, W2, x, net };
}

test('gradient penalty: outer gradient through an inner input gradient matches central differences', (t) => {
  const { W1, b1, W2, x, net } = mlp(1);
  const penalty = () => {
    const [gx] = gradient((xx: Tensor) => net(xx).sum(), x) as Tensor[];
    // (‖∇ₓ f‖ - 1)² per sample, averaged
    return gx.pow(2).sum(1).sqrt().sub(1).pow(2).mean();
  };
  const ps = params(W1, b1, W2);
  const gs = gradient(penalty, ps);
  for (const p of ps) {
    const g = gs.get(p);
    t.not(g, null);
    close(t, g, numericGrad(() => penalty().item(), p), { atol: 1e-7, rtol: 1e-5 });
  }
});

test('gradient penalty plus the ordinary loss, with the inner gradient taken by params', (t) => {
  const { W1, b1, W2, x, net } = mlp(2);
  const xp = x; // the input the penalty differentiates, as an implicit parameter
  const loss = () => {
    const inner = gradient(() => net(xp).sum(), params(xp)).get(xp) as Tensor;
    return net(x).pow(2).mean().add(inner.pow(2).sum().mul(0.1));
  };
  const gs = gradient(loss, params(W1, b1, W2));
  for (const p of [W1, b1, W2]) close(t, gs.get(p), numericGrad(() => loss().item(), p), { atol: 1e-7, rtol: 1e-5 });
});

test('gradcheck of the penalty as an explicit function of the weights; gradgradcheck of the MLP', (t) => {
  const { W1, b1, W2, x } = mlp(3);
  const netOf = (w1: Tensor, c1: Tensor, w2: Tensor) => (xx: Tensor) => xx.matmul(w1.T).add(c1).tanh().matmul(w2.T);
  const penalty = (w1: Tensor, c1: Tensor, w2: Tensor) => {
    const [gx] = gradient((xx: Tensor) => netOf(w1, c1, w2)(xx).sum(), x) as Tensor[];
    return gx.pow(2).sum();
  };
  t.true(gradcheck(penalty, [W1, b1, W2]));
  t.true(gradgradcheck((w1, c1, w2) => netOf(w1, c1, w2)(x), [W1, b1, W2]));
});

test('tensors saved by an inner call stay alive while the outer tape needs them', (t) => {
  // f(w) = d/dx tanh(w x) = w (1 - t²), t = tanh(w x); the outer pass needs the inner
  // forward's t, which only the outer tape still references after the inner call returns.
  const x = tensor([0.8], { dtype: 'float64' });
  const f = (w: Tensor) => {
    const [gx] = gradient((xx: Tensor) => xx.mul(w).tanh().sum(), x) as Tensor[];
    gc?.(); // collect everything unreferenced now
    const junk: Tensor[] = [];
    for (let i = 0; i < 200; i++) junk.push(randn([64])); // recycle memory
    return gx.sum();
  };
  const w0 = 1.3;
  const th = Math.tanh(w0 * 0.8);
  const expected = 1 - th * th - 2 * w0 * 0.8 * th * (1 - th * th);
  const [g] = gradient(f, w0);
  t.true(Math.abs((g as number) - expected) < 1e-12);
});

test('pullback keeps its saved tensors while back is held, and gradient releases them', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  let savedRef: WeakRef<Tensor> | null = null;
  const x = randn([300], { dtype: 'float64', rng: new RNG(4) });
  const { back } = pullback((a: Tensor) => {
    const mid = a.exp();
    savedRef = new WeakRef(mid);
    return mid.sin(); // sin saves mid
  }, x);
  await tick();
  gc();
  await tick();
  t.not(savedRef!.deref(), undefined);
  const [g] = back(randn([300], { dtype: 'float64', rng: new RNG(5) }));
  t.deepEqual((g as Tensor).shape, [300]);
  let releasedRef: WeakRef<Tensor> | null = null;
  gradient((a: Tensor) => {
    const mid = a.exp();
    releasedRef = new WeakRef(mid);
    return mid.sin().sum();
  }, x);
  await tick();
  gc();
  await tick();
  t.is(releasedRef!.deref(), undefined);
});

test('an outer tape keeps what the inner backward pass saved until the outer gradient returns', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  const w = tensor([0.5, -0.25], { dtype: 'float64' });
  let innerRef: WeakRef<Tensor> | null = null;
  const { back } = pullback((ww: Tensor) => {
    const [gx] = gradient((xx: Tensor) => {
      const h = xx.mul(ww).tanh();
      innerRef = new WeakRef(h);
      return h.sum();
    }, tensor([1, 2], { dtype: 'float64' })) as Tensor[];
    return gx.sum();
  }, w);
  await tick();
  gc();
  await tick();
  t.not(innerRef!.deref(), undefined); // the inner tape is gone, the outer still needs h
  const [g1] = back(1) as Tensor[];
  // d/dw [w (1 - tanh²(w x))] summed, elementwise in w
  const xs = [1, 2];
  const expected = [0.5, -0.25].map((wv, i) => {
    const th = Math.tanh(wv * xs[i]);
    return 1 - th * th - 2 * wv * xs[i] * th * (1 - th * th);
  });
  close(t, g1, expected, { atol: 1e-12 });
});
