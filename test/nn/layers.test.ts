import test from 'ava';
import {
  Chain, Dense, Dropout, Embedding, Layer, Parallel, SkipConnection, type Tensor, add, concat, cpu, elu, f32, f64, gelu, gpu,
  gradient, hardtanh, identity, leakyRelu, logsigmoid, logsoftmax, params, rand, randn, relu, setup, softplus, swish,
  tanh, tensor, testMode, trainMode, update, Descent, freeze, zeros,
} from '../../ts/index.js';
import { close, flat } from '../helpers.js';

test('Dense defaults: Glorot-uniform weight [out, in], zero bias, float32; maps [..., in] to [..., out]', (t) => {
  const d = Dense(10, 5);
  t.deepEqual(d.weight.shape, [5, 10]);
  t.is(d.weight.dtype, 'float32');
  t.deepEqual(flat(d.bias!), [0, 0, 0, 0, 0]);
  const bound = Math.sqrt(6 / 15);
  t.true(flat(d.weight).every((w) => Math.abs(w) <= bound));
  t.deepEqual(d(rand(3, 7, 10)).shape, [3, 7, 5]);
  t.deepEqual(d(rand(10)).shape, [5]);
  t.is(Dense(3, 2, relu, { bias: false }).bias, null);
});

test('Dense with the wrong input size names the layer and both sizes', (t) => {
  const d = Dense(10, 5);
  t.throws(() => d(rand(3, 7)), { message: 'Dense(10 => 5) expects last dimension 10, got [3, 7]' });
  t.throws(() => Dense(0, 5), { message: /Dense: expected in to be a positive integer, got the number 0/ });
});

test('Chain indexing and slicing share layers; named chains', (t) => {
  const d1 = Dense(4, 3, relu);
  const d2 = Dense(3, 2);
  const m = Chain(d1, d2, softplus);
  t.is(m.layers[1], d2);
  t.is(m.at(-1), softplus);
  const head = m.slice(0, 2);
  t.is(head.layers[0], d1);
  const x = rand(4);
  close(t, head(x), d2(d1(x)));
  t.is(m.length, 3);
  const named = Chain({ enc: Dense(4, 2), dec: Dense(2, 4) });
  t.deepEqual(named(x).shape, [4]);
  t.is(named.at('enc'), named.layers.enc);
  t.is(String(named), 'Chain(enc = Dense(4 => 2), dec = Dense(2 => 4))');
});

test('Parallel, SkipConnection and Embedding', (t) => {
  const p = Parallel((a: Tensor, b: Tensor) => concat([a, b], -1), Dense(3, 2), Dense(3, 4));
  t.deepEqual(p(rand(5, 3)).shape, [5, 6]);
  const inner = Dense(3, 3, tanh);
  const s = SkipConnection(inner, add);
  const x = rand(3);
  close(t, s(x), inner(x).add(x));
  const e = Embedding(10, 4);
  const ids = tensor([[1, 2, 3], [4, 5, 9]], { dtype: 'int32' });
  t.deepEqual(e(ids).shape, [2, 3, 4]);
  close(t, e(ids).get(1, 2), e.weight.get(9));
  t.throws(() => e(tensor([10], { dtype: 'int32' })), { message: /Embedding\(10 => 4\): index 10/ });
});

test('activations of NNlib as plain functions', (t) => {
  const x = tensor([-2, -0.5, 0, 0.5, 2], { dtype: 'float64' });
  const ref = (f: (v: number) => number) => flat(x).map(f);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  close(t, leakyRelu(x), ref((v) => (v > 0 ? v : 0.01 * v)));
  close(t, elu(x), ref((v) => (v > 0 ? v : Math.exp(v) - 1)));
  close(t, swish(x), ref((v) => v * sig(v)));
  close(t, hardtanh(x), ref((v) => Math.max(-1, Math.min(1, v))));
  close(t, logsigmoid(x), ref((v) => Math.log(sig(v))));
  close(t, identity(x), x);
  close(t, gelu(x), ref((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))));
  close(t, logsoftmax(x).exp().sum(), 1);
});

class Stack extends Layer {
  blocks: Layer[];
  scale = 2; // not a tensor: no gradient
  constructor(n: number) {
    super();
    this.blocks = Array.from({ length: n }, () => Dense(3, 3, tanh, { dtype: 'float64' }));
  }
  forward(x: Tensor): Tensor {
    return this.blocks.reduce((h, b) => b(h), x).mul(this.scale);
  }
}

test('structural gradients of nested models match finite differences', (t) => {
  const model = Chain({ inner: Chain(Dense(3, 4, tanh), Dense(4, 3)), stack: new Stack(2) });
  const m = f64(model);
  const x = randn(2, 3, { dtype: 'float64' });
  const g = gradient((mm: typeof m) => mm(x).pow(2).sum(), m)[0];
  t.is(g.layers?.stack?.scale, null);
  t.deepEqual(g.layers?.inner?.layers?.[1]?.bias?.shape, [3]);
  // check every parameter's gradient against central differences of the loss
  const loss = () => m(x).pow(2).sum().item();
  const gs = gradient(() => m(x).pow(2).sum(), params(m));
  for (const p of params(m)) {
    const analytic = flat(gs.get(p)!);
    const base = p.clone();
    const numeric = analytic.map((_, i) => {
      const at = (d: number) => {
        const v = base.data().slice();
        v[i] += d;
        p.assign(tensor(v, { dtype: 'float64', shape: p.shape }));
        return loss();
      };
      const n = (at(1e-6) - at(-1e-6)) / 2e-6;
      p.assign(base);
      return n;
    });
    close(t, analytic, numeric, { atol: 1e-6, rtol: 1e-5 });
  }
  // and the structure's gradients equal the params-style ones
  close(t, (g.layers?.stack?.blocks?.[1] as { weight: Tensor } | null)?.weight, gs.get((m.layers.stack.blocks[1] as ReturnType<typeof Dense>).weight));
});

test('trainable restricts what params and setup see; the three ways to freeze', (t) => {
  class Frozen extends Layer {
    w = randn(2, 2);
    fixed = randn(2, 2);
    forward(x: Tensor) {
      return this.w.matmul(this.fixed).matmul(x);
    }
    trainable() {
      return { w: this.w };
    }
  }
  const f = new Frozen();
  t.deepEqual(params(f).toArray(), [f.w]);
  const m = Chain(Dense(2, 2), f, Dense(2, 1));
  t.is(params(m.slice(0, 1)).length, 2); // params of a sub-chain
  const ps = params(m);
  t.is(ps.length, 5);
  ps.delete(m.layers[0].weight); // delete from Params
  t.is(ps.length, 4);
  const state = setup(new Descent(0.1), m);
  freeze(state.layers[0]); // freeze in the optimiser state tree
  const before = flat(m.layers[0].weight);
  update(state, m, gradient((mm: typeof m) => mm(tensor([1, 2])).sum(), m)[0]);
  t.deepEqual(flat(m.layers[0].weight), before);
});

test('gpu without a GPU returns the model and warns once; cpu, f32 and f64 copy and keep ties', (t) => {
  const d = Dense(2, 2);
  const tied = { a: d, b: d, w: d.weight };
  const warnings: string[] = [];
  const onWarn = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarn);
  t.is(gpu(tied), tied);
  gpu(tied);
  const c = f64(tied);
  t.is(c.a, c.b);
  t.is(c.a.weight, c.w);
  t.is(c.w.dtype, 'float64');
  t.not(c.a, d);
  t.is(typeof c.a, 'function'); // still a callable layer
  t.deepEqual(c.a(tensor([1, 2], { dtype: 'float64' })).shape, [2]);
  t.is(f32(c).w.dtype, 'float32');
  t.is(cpu(tied).w, d.weight);
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      process.off('warning', onWarn);
      t.true(warnings.filter((w) => w.includes('gpu()')).length <= 1);
      resolve();
    }),
  );
});

test('Dropout: active inside gradient (auto), off outside; trainMode/testMode force it', (t) => {
  const drop = Dropout(0.5);
  const m = Chain(drop);
  const x = tensor(new Float32Array(1000).fill(1));
  t.deepEqual(flat(m(x)), flat(x)); // outside gradient: identity
  let inside: number[] = [];
  gradient((mm: typeof m) => {
    const y = mm(x);
    inside = flat(y);
    return y.sum();
  }, m);
  t.true(inside.some((v) => v === 0) && inside.some((v) => v === 2));
  trainMode(m);
  t.true(flat(m(x)).some((v) => v === 0));
  testMode(m);
  gradient((mm: typeof m) => {
    inside = flat(mm(x));
    return mm(x).sum();
  }, m);
  t.true(inside.every((v) => v === 1));
  trainMode(m, 'auto');
  t.is(drop.mode, 'auto');
  t.deepEqual(zeros(2).shape, [2]);
});
