// One way to construct things: every public class works with and without `new`, and what
// either form returns is an instance of the class (instanceof, printing, subclassing).
import test from 'ava';
import * as flx from '../ts/index.js';
import {
  AdaGrad,
  Adam,
  AdamW,
  ArgumentError,
  ClipGrad,
  ClipNorm,
  DataLoader,
  Dense,
  DenseLayer,
  Descent,
  FluxionError,
  Grads,
  Leaf,
  Momentum,
  Nesterov,
  NonFiniteError,
  OptimiserChain,
  Params,
  RMSProp,
  RNG,
  Rule,
  ShapeError,
  WeightDecay,
  callable,
  setup,
  tensor,
  update,
  zeros,
} from '../ts/index.js';

const RULES = { Descent, Momentum, Nesterov, RMSProp, AdaGrad, Adam, AdamW, WeightDecay, ClipGrad, ClipNorm } as const;

for (const [name, R] of Object.entries(RULES)) {
  test(`${name}() without new equals new ${name}()`, (t) => {
    const called = (R as () => Rule)();
    const constructed = new (R as new () => Rule)();
    t.true(called instanceof R);
    t.true(called instanceof Rule);
    t.is(Object.getPrototypeOf(called), Object.getPrototypeOf(constructed));
    t.is(String(called), String(constructed));
  });
}

test("OptimiserChain(ClipNorm(1), Adam(1e-3)) as the rules' doc comment writes it", (t) => {
  const rule = OptimiserChain(ClipNorm(1), Adam(1e-3));
  t.true(rule instanceof OptimiserChain);
  t.is(String(rule), 'OptimiserChain(ClipNorm(omega=1, p=2), Adam(eta=0.001, beta=[0.9, 0.999], eps=1e-8))');
  // and it trains: one step of Adam moves the weight by about eta against the gradient's sign
  const m = Dense(2, 1, undefined, { bias: false });
  m.weight.assign(tensor([[1, 1]]));
  const opt = setup(rule, m);
  const g = flx.gradient((mm: typeof m) => mm(tensor([1, -1])).sum(), m)[0];
  update(opt, m, g);
  t.deepEqual(Array.from(m.weight.data()).map((v) => Math.round(v * 1e4) / 1e4), [0.999, 1.001]);
});

test('the arguments reach the constructor either way, and its validation', (t) => {
  t.is(Adam(0.5).eta, 0.5);
  t.is(new Adam(0.5).eta, 0.5);
  t.throws(() => Adam(-1), { instanceOf: ArgumentError, message: /Adam/ });
  t.throws(() => OptimiserChain(), { instanceOf: ArgumentError });
});

test('subclassing a public class still works (AdamW extends Adam; a custom rule extends Rule)', (t) => {
  t.true(AdamW() instanceof Adam);
  class Halve extends Descent {
    override apply(s: null, x: flx.Tensor, dx: flx.Tensor): flx.Tensor {
      return super.apply(s, x, dx).mul(0.5);
    }
  }
  const h = new Halve(0.5);
  t.true(h instanceof Descent);
  t.deepEqual(Array.from(h.apply(null, tensor([0]), tensor([4])).data()), [1]);
});

test('DataLoader, RNG, Params, Grads, Leaf without new', (t) => {
  const x = tensor([[1], [2], [3]]);
  const loader = DataLoader(x, { batchSize: 2 });
  t.true(loader instanceof DataLoader);
  t.is(loader.length, 2);
  t.deepEqual([...new DataLoader(x, { batchSize: 2 })].map((b) => b.shape), [...loader].map((b) => b.shape));
  const rng = RNG(42);
  t.true(rng instanceof RNG);
  t.is(rng.seed, new RNG(42).seed);
  const ps = Params([x]);
  t.true(ps instanceof Params);
  t.true(ps.has(x));
  const gs = Grads(ps, new Map([[x, null]]));
  t.true(gs instanceof Grads);
  t.true(Leaf(Descent(), null) instanceof Leaf);
});

test('errors construct without new too, and keep their class, name and stack', (t) => {
  const e = ShapeError('bad shape');
  t.true(e instanceof ShapeError);
  t.true(e instanceof FluxionError);
  t.true(e instanceof Error);
  t.is(e.name, 'ShapeError');
  t.is(e.message, 'bad shape');
  t.true(typeof e.stack === 'string' && e.stack.includes('bad shape'));
  const nf = NonFiniteError('nan', [['w', 1]]);
  t.true(nf instanceof NonFiniteError && nf instanceof FluxionError);
  t.deepEqual(nf.params, [['w', 1]]);
  t.throws(() => zeros(-1), { instanceOf: ShapeError });
});

test('layer factories return instances of their layer classes, with or without new', (t) => {
  t.true(Dense(2, 3) instanceof DenseLayer);
  // a factory is a plain function, so `new` on it returns what it returns
  t.true(new (Dense as any)(2, 3) instanceof DenseLayer);
});

test('callable() makes a class of your own constructible without new', (t) => {
  class Point {
    constructor(
      readonly x: number,
      readonly y = 0,
    ) {}
  }
  const P = callable(Point);
  const p = P(1, 2);
  t.true(p instanceof Point);
  t.true(p instanceof P);
  t.deepEqual([p.x, p.y, new P(3).y], [1, 2, 0]);
  t.is(P.name, 'Point');
  t.throws(() => callable((() => 1) as unknown as new () => object), { instanceOf: TypeError, message: /expected a class/ });
});

test('every exported class constructs without new (its own argument checks aside)', (t) => {
  // Tensor's constructor is the backend's (tensor(), zeros(), ... make tensors); Layer and Rule
  // are abstract bases to extend; a Distributed comes from initDistributed (it joins the MPI
  // world); the ...Layer classes are made by their factories (Dense(...) for DenseLayer).
  const exempt = new Set(['Tensor', 'Layer', 'Rule', 'Distributed']);
  // (a class behind a Proxy does not print as `class`, so every capitalised export is tried: the
  // factories, Dense and the like, are plain functions and pass trivially)
  const classes = Object.entries(flx).filter(([k, v]) => typeof v === 'function' && /^[A-ZΑ-Ω]/.test(k) && !exempt.has(k) && !k.endsWith('Layer'));
  const refuses = (C: unknown) => {
    try {
      (C as (...a: unknown[]) => unknown)();
    } catch (e) {
      return /without 'new'/.test(String((e as Error).message));
    }
    return false;
  };
  t.true(refuses(flx.Tensor), 'the check sees a class that needs new');
  t.true(classes.length > 40, `found ${classes.length} capitalised exports`);
  t.deepEqual(
    classes.filter(([, C]) => refuses(C)).map(([k]) => k),
    [],
  );
});
