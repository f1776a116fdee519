// Implicit parameters: `params(...)` / `Params` collect tensors by identity, in order;
// `gradient(() => loss, ps)` returns `Grads`, which supports lookup, iteration and
// arithmetic with other Grads or numbers.
import test from 'ava';
import { ArgumentError, Grads, Params, type Tensor, gradient, params, tensor, withGradient } from '../../ts/index.js';
import { close } from '../helpers.js';

const T = (v: number | number[] | number[][]) => tensor(v, { dtype: 'float64' });

test('params keeps insertion order and identity (duplicates once, equal values twice)', (t) => {
  const a = T([1]);
  const b = T([1]); // same values, different tensor
  const ps = params(a, b, a);
  t.is(ps.length, 2);
  t.deepEqual(ps.toArray(), [a, b]);
  t.deepEqual([...ps], [a, b]);
  t.true(ps.has(a));
  t.true(ps.has(b));
  t.false(ps.has(T([1])));
  t.is(String(ps), 'Params([[1], [1]])');
});

test('add and delete', (t) => {
  const a = T([1]);
  const b = T([2, 3]);
  const ps = new Params([a]);
  t.is(ps.add(b), ps); // chains
  t.is(ps.length, 2);
  t.true(ps.delete(a));
  t.false(ps.delete(a));
  t.deepEqual(ps.toArray(), [b]);
  ps.add(params(a)); // another Params
  t.deepEqual(ps.toArray(), [b, a]);
});

test('params walks objects, arrays and class instances; ties counted once', (t) => {
  const W = T([[1, 2]]);
  const b = T([0]);
  class Dense {
    _scratch = T([9]); // private fields are not parameters
    constructor(
      public weight: Tensor,
      public bias: Tensor,
      public act = (x: Tensor) => x,
    ) {}
  }
  const model = { layers: [new Dense(W, b), { tied: W, name: 'head' }], extra: [T([5])] };
  const ps = params(model);
  t.is(ps.length, 3);
  t.is(ps.toArray()[0], W);
  t.is(ps.toArray()[1], b);
  t.deepEqual(ps.toArray()[2].toArray(), [5]);
});

test('params respects trainable()', (t) => {
  class Norm {
    gamma = T([1]);
    running = T([0]);
    trainable() {
      return { gamma: this.gamma };
    }
  }
  const n = new Norm();
  t.deepEqual(params(n).toArray(), [n.gamma]);
});

test('params rejects numbers, strings and null with a clear error', (t) => {
  t.throws(() => params(3 as never), { instanceOf: ArgumentError, message: /params: expected argument 0 .* got the number 3/ });
  t.throws(() => params(T([1]), 'w' as never), { instanceOf: ArgumentError, message: /argument 1/ });
  t.throws(() => params(null as never), { instanceOf: ArgumentError });
});

test('gradient with params returns Grads keyed by parameter', (t) => {
  const W = T([[1, 2], [3, 4]]);
  const b = T([1, -1]);
  const unused = T([7]);
  const x = T([1, 2]);
  const ps = params(W, b, unused);
  const gs = gradient(() => W.matmul(x).add(b).pow(2).sum(), ps);
  t.true(gs instanceof Grads);
  t.is(gs.params, ps);
  // y = Wx + b = [6, 10]; dL/dy = 2y; dL/dW = 2y xᵀ; dL/db = 2y
  close(t, gs.get(W), [12, 24, 20, 40]);
  close(t, gs.get(b), [12, 20]);
  t.is(gs.get(unused), null);
  t.true(gs.has(unused));
  t.false(gs.has(x));
  t.throws(() => gs.get(x), { instanceOf: ArgumentError, message: /not one of the parameters/ });
  // iteration follows the parameter order
  const entries = [...gs];
  t.deepEqual(
    entries.map(([p]) => p),
    [W, b, unused],
  );
  t.is(entries[2][1], null);
  t.is(String(gs), 'Grads(3 params)');
});

test('Grads of different parameters are distinct tensors, safe to update in place', (t) => {
  const a = T([1, 2]);
  const b = T([3, 4]);
  const gs = gradient(() => a.add(b).mul(T([2, 3])).sum(), params(a, b));
  t.not(gs.get(a), gs.get(b));
  gs.get(a)!.mulInPlace(10);
  close(t, gs.get(b), [2, 3]);
});

test('withGradient with params', (t) => {
  const w = T([2]);
  const { val, grad } = withGradient(() => ({ loss: w.pow(3).sum(), w2: w.mul(w) }), params(w));
  close(t, val.loss, 8);
  close(t, val.w2, [4]);
  close(t, grad.get(w), [12]);
});

test('a parameter closed over by a helper several calls deep is found', (t) => {
  const w = T([3]);
  const layer = (x: Tensor) => x.mul(w);
  const net = (x: Tensor) => layer(layer(x));
  const gs = gradient(() => net(T([2])).sum(), params(w));
  close(t, gs.get(w), [2 * 2 * 3]); // d/dw (2 w^2)
});

test('Grads arithmetic with Grads and numbers', (t) => {
  const a = T([1, 2]);
  const b = T([3]);
  const c = T([4]); // unused by the first loss, used by the second
  const ps = params(a, b, c);
  const g1 = gradient(() => a.pow(2).sum().add(b.mul(5).sum()), ps); // a: [2, 4], b: [5], c: null
  const g2 = gradient(() => a.sum().add(c.mul(3).sum()), ps); // a: [1, 1], b: null, c: [3]
  const sum = g1.add(g2);
  close(t, sum.get(a), [3, 5]);
  close(t, sum.get(b), [5]); // null counts as zero
  close(t, sum.get(c), [3]);
  const diff = g1.sub(g2);
  close(t, diff.get(a), [1, 3]);
  close(t, diff.get(c), [-3]);
  close(t, g1.mul(g1).get(a), [4, 16]);
  close(t, g1.div(g1).get(b), [1]);
  close(t, g1.mul(0.5).get(a), [1, 2]);
  close(t, g1.add(1).get(b), [6]);
  close(t, g1.sub(1).get(a), [1, 3]);
  close(t, g1.div(2).get(b), [2.5]);
  t.is(g1.mul(2).get(c), null); // a number keeps missing gradients missing
  t.is(g1.add(g1).get(c), null); // null + null is still null
  // the originals are untouched
  close(t, g1.get(a), [2, 4]);
});

test('Grads arithmetic with Grads over different parameters is an error', (t) => {
  const a = T([1]);
  const b = T([2]);
  const ga = gradient(() => a.sum(), params(a, b));
  const gb = gradient(() => a.sum(), params(a));
  t.throws(() => ga.add(gb), { instanceOf: ArgumentError, message: /Grads.add: .*no entry.*\[1\]/ });
});

test('Grads.map applies to non-null gradients with their parameter', (t) => {
  const a = T([1, 2]);
  const b = T([5]);
  const gs = gradient(() => a.mul(3).sum(), params(a, b));
  const seen: Tensor[] = [];
  const scaled = gs.map((g, p) => {
    seen.push(p);
    return g.mul(p);
  });
  t.deepEqual(seen, [a]);
  close(t, scaled.get(a), [3, 6]);
  t.is(scaled.get(b), null);
  t.is(scaled.params, gs.params);
});

test('a training step with Grads: gradients used to update the parameters in place', (t) => {
  const w = T([0, 0]);
  const target = T([1, -2]);
  const ps = params(w);
  const loss = () => w.sub(target).pow(2).sum();
  for (let i = 0; i < 50; i++) {
    const gs = gradient(loss, ps);
    w.subInPlace(gs.get(w)!.mul(0.1));
  }
  close(t, w, [1, -2], { atol: 1e-4 });
});
