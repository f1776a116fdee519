// The shape of what `gradient` and `withGradient` return: numbers for numbers, tensors for
// tensors, the same structure for objects / arrays / class instances (null where there is
// no derivative), and clear errors when f's value cannot be differentiated.
import test from 'ava';
import { GradientError, type Tensor, gradient, tensor, withGradient } from '../../ts/index.js';
import { close } from '../helpers.js';

const T = (v: number | number[] | number[][]) => tensor(v, { dtype: 'float64' });

test('numbers in, numbers out', (t) => {
  const [gx, gy] = gradient((x: Tensor, y: Tensor) => x.mul(y).add(x.pow(2)), 3, 4);
  t.is(typeof gx, 'number');
  t.is(gx, 4 + 6);
  t.is(gy, 3);
});

test('a number argument that f ignores gets null', (t) => {
  t.deepEqual(gradient((x: Tensor, _y: Tensor) => x.mul(2), 1, 5), [2, null]);
});

test('tensors in, tensors out, with the input dtype and shape', (t) => {
  const x = T([[1, 2, 3], [4, 5, 6]]);
  const x32 = tensor([1, 2]);
  const [g, g32] = gradient((a: Tensor, b: Tensor) => a.pow(2).sum().add(b.mul(3).sum()), x, x32) as Tensor[];
  t.deepEqual(g.shape, [2, 3]);
  t.is(g.dtype, 'float64');
  close(t, g, [2, 4, 6, 8, 10, 12]);
  t.is(g32.dtype, 'float32');
  close(t, g32, [3, 3]);
});

test('a broadcast gradient comes back as a plain, writable tensor', (t) => {
  const x = T([1, 2, 3]);
  const [g] = gradient((a: Tensor) => a.sum(), x) as Tensor[];
  t.true(g.isContiguous);
  g.mulInPlace(2); // would throw on a stride-0 view
  close(t, g, [2, 2, 2]);
});

test('two arguments never share one gradient tensor (add passes one cotangent to both)', (t) => {
  const c = T([5, 6]);
  const [ga, gb] = gradient((a: Tensor, b: Tensor) => a.add(b).mul(c).sum(), T([1, 2]), T([3, 4])) as Tensor[];
  t.not(ga, gb);
  ga.mulInPlace(0); // e.g. clipping one gradient in place
  close(t, gb, [5, 6]);
});

test('objects: gradients per field, null for strings, functions, numbers and unused tensors', (t) => {
  const w = T([1, 2]);
  const unused = T([5]);
  const arg = { w, name: 'layer', act: (v: Tensor) => v, k: 3, unused, nested: { inner: [w, T([7])] } };
  const [g] = gradient((m: typeof arg) => m.act(m.w).mul(m.w).sum(), arg);
  t.deepEqual(Object.keys(g), ['w', 'name', 'act', 'k', 'unused', 'nested']);
  close(t, g.w, [2, 4]);
  t.is(g.name, null);
  t.is((g as Record<string, unknown>).act, null); // a function field: not in the mirror's type, null in the mirror
  t.is(g.k, null);
  t.is(g.unused, null);
  // the same tensor appears twice in the argument: it gets its gradient in both places
  close(t, g.nested?.inner?.[0], [2, 4]);
  t.is(g.nested?.inner?.[1], null);
});

test('a sub-tree with no derivative collapses to null; the top level keeps its structure', (t) => {
  const arg = { used: T([1]), frozen: { a: T([2]), b: [T([3])] } };
  const [g] = gradient((m: typeof arg) => m.used.mul(2).sum(), arg);
  close(t, g.used, [2]);
  t.is(g.frozen, null);
  const [h] = gradient((_m: typeof arg) => T(1).sum(), arg);
  t.deepEqual(Object.keys(h), ['used', 'frozen']);
  t.is(h.used, null);
});

test('arrays: one gradient per element, accumulated when an element is shared (tied weights)', (t) => {
  const x = T([1, 2]);
  const y = T([3, 4]);
  const [g] = gradient((xs: Tensor[]) => xs[0].mul(xs[1]).sum().add(xs[2].sum()), [x, y, x]);
  t.true(Array.isArray(g));
  t.is(g.length, 3);
  close(t, g[0], [3 + 1, 4 + 1]);
  close(t, g[1], [1, 2]);
  close(t, g[2], [3 + 1, 4 + 1]);
});

test('class instances: fields by name, getters and _private fields skipped', (t) => {
  class Affine {
    _cache = T([100]);
    constructor(
      public weight: Tensor,
      public bias: Tensor,
      public label = 'affine',
    ) {}
    get scale(): number {
      return 2;
    }
    apply(x: Tensor): Tensor {
      return x.matmul(this.weight).add(this.bias).mul(this.scale);
    }
  }
  const m = new Affine(T([[1], [2]]), T([0.5]));
  const x = T([[1, 1], [2, 3]]);
  const [gm, gx] = gradient((mm: Affine, xx: Tensor) => mm.apply(xx).sum(), m, x);
  t.deepEqual(Object.keys(gm).sort(), ['bias', 'label', 'weight']);
  close(t, gm.weight, [2 * 3, 2 * 4]);
  close(t, gm.bias, [2 * 2]);
  t.is(gm.label, null);
  close(t, gx, [2, 4, 2, 4]);
});

test('a cyclic model does not loop forever', (t) => {
  const node: { w: Tensor; self?: unknown } = { w: T([2]) };
  node.self = node;
  const [g] = gradient((n: typeof node) => n.w.pow(3).sum(), node);
  close(t, g.w, [12]);
  t.is((g as Record<string, unknown>).self, g); // the cycle is mirrored
});

test('a constant f gives null gradients', (t) => {
  const x = T([1, 2]);
  t.deepEqual(gradient(() => 3, x), [null]);
  t.deepEqual(gradient((_a: Tensor) => T(5).sum(), x), [null]);
  t.deepEqual(gradient((_a: Tensor) => 1, 2), [null]);
});

test('withGradient returns the value and the gradient', (t) => {
  const x = T([1, 2, 3]);
  const { val, grad } = withGradient((a: Tensor) => a.pow(2).sum(), x);
  close(t, val, 14);
  close(t, grad[0], [2, 4, 6]);
});

test('withGradient: f returning { loss, ...aux } differentiates loss and returns the whole value', (t) => {
  const x = T([1, 2, 3]);
  const { val, grad } = withGradient((a: Tensor) => {
    const pred = a.mul(2);
    return { loss: pred.sum(), pred, note: 'aux' };
  }, x);
  close(t, val.loss, 12);
  close(t, val.pred, [2, 4, 6]);
  t.is(val.note, 'aux');
  close(t, grad[0], [2, 2, 2]);
});

test('withGradient: f returning [loss, aux] differentiates the first entry', (t) => {
  const x = T([1, 2]);
  const { val, grad } = withGradient((a: Tensor) => [a.exp().sum(), a.max()] as const, x);
  close(t, val[0], Math.E + Math.E ** 2);
  close(t, val[1], 2);
  close(t, grad[0], [Math.E, Math.E ** 2]);
});

test('a non-scalar loss is a GradientError naming its shape', (t) => {
  const x = T([[1, 2, 3], [4, 5, 6]]);
  const e = t.throws(() => gradient((a: Tensor) => a.mul(2), x), { instanceOf: GradientError });
  t.regex(e!.message, /^gradient: .*scalar.*\[2, 3\]/);
  const e2 = t.throws(() => withGradient((a: Tensor) => ({ loss: a.sum(0) }), x), { instanceOf: GradientError });
  t.regex(e2!.message, /^withGradient: .*\[3\]/);
});

test('a one-element loss of any rank is accepted', (t) => {
  const [g] = gradient((a: Tensor) => a.sum(null, true), T([[1, 2]])) as Tensor[];
  close(t, g, [1, 1]);
});

test('f returning something that is not a loss is a clear error', (t) => {
  const e = t.throws(() => gradient(() => 'nope', T([1])), { instanceOf: GradientError });
  t.regex(e!.message, /the value of f.*scalar Tensor.*string "nope"/);
  t.throws(() => gradient(42 as never, T([1])), { message: /gradient: expected f to be a function, got the number 42/ });
});

test('an error inside f leaves no tape behind: the next gradient works', (t) => {
  const x = T([1, 2]);
  t.throws(() =>
    gradient((a: Tensor) => {
      a.mul(2);
      throw new Error('boom');
    }, x),
  );
  close(t, (gradient((a: Tensor) => a.pow(2).sum(), x) as Tensor[])[0], [2, 4]);
  // and x is writable again (no tape holds it)
  x.addInPlace(1);
  close(t, x, [2, 3]);
});
