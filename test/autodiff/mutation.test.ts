// The mutation policy. In-place writes (subInPlace, assign, fill, ...) bump a version
// counter: a write to a tensor a tape saved, made between the forward and the backward
// pass, is reported at backward time; a write to a tensor a recording tape tracks throws
// at once; writes outside differentiated code just work.
import test from 'ava';
import { GradientError, type Tensor, gradient, params, pullback, tensor, withGradient } from '../../ts/index.js';
import { close } from '../helpers.js';

const T = (v: number | number[] | number[][]) => tensor(v, { dtype: 'float64' });

const savedMsg = /^gradient: the (input \d|output) of '\w+' \(shape \[[\d, ]*\]\) was modified in place after it was used \(version \d+ -> \d+\).*clone\(\)/;
const trackedMsg = (op: string) => new RegExp(`^${op}: cannot modify a tensor in place while it is being differentiated \\(shape \\[[\\d, ]*\\]\\)`);

test('pullback: writing to a captured tensor before calling back is reported', (t) => {
  const w = T([4, 5, 6]);
  const { back } = pullback((a: Tensor) => a.mul(w).sum(), T([1, 2, 3]));
  w.subInPlace(1);
  const e = t.throws(() => back(1), { instanceOf: GradientError });
  t.regex(e!.message, savedMsg);
  t.regex(e!.message, /input 1 of 'mul' \(shape \[3\]\).*version 0 -> 1/);
});

test('pullback: writing to an argument before calling back is reported', (t) => {
  const x = T([1, 2, 3]);
  const { back } = pullback((a: Tensor) => a.exp(), x);
  x.assign(T([0, 0, 0]));
  t.throws(() => back(T([1, 1, 1])), { instanceOf: GradientError, message: /input 0 of 'exp'/ });
});

test('pullback: writing to the value before calling back is reported (exp saves its output)', (t) => {
  const { val, back } = pullback((a: Tensor) => a.exp(), T([1, 2]));
  val.fill(0);
  t.throws(() => back(T([1, 1])), { instanceOf: GradientError, message: /the output of 'exp'/ });
});

test('pullback: a write through a view of a saved tensor is reported too', (t) => {
  const w = T([[1, 2], [3, 4]]);
  const { back } = pullback((a: Tensor) => a.matmul(w).sum(), T([[1, 0], [0, 1]]));
  w.get(1).mulInPlace(2); // writes the second row only
  t.throws(() => back(1), { instanceOf: GradientError, message: /input 1 of 'matmul'/ });
});

test('pullback: every in-place op counts (addInPlace, subInPlace, mulInPlace, divInPlace, assign, fill)', (t) => {
  const writes: ((w: Tensor) => unknown)[] = [
    (w) => w.addInPlace(1),
    (w) => w.subInPlace(1),
    (w) => w.mulInPlace(2),
    (w) => w.divInPlace(2),
    (w) => w.assign(T([7, 8])),
    (w) => w.fill(3),
  ];
  for (const write of writes) {
    const w = T([1, 2]);
    const { back } = pullback((a: Tensor) => a.mul(w).sum(), T([3, 4]));
    write(w);
    t.throws(() => back(1), { instanceOf: GradientError, message: savedMsg });
  }
});

test('pullback: a write to a tensor the pass does not need is fine', (t) => {
  const w = T([1, 2]);
  const other = T([9]);
  const { back } = pullback((a: Tensor) => a.mul(w).sum(), T([3, 4]));
  other.fill(0);
  close(t, back(1)[0], [1, 2]);
});

test('inside f: writing to an untracked tensor after an op used it is reported at backward time', (t) => {
  const c = T([1, 2, 3]);
  const e = t.throws(
    () =>
      gradient((a: Tensor) => {
        const z = a.mul(c);
        c.fill(0);
        return z.sum();
      }, T([1, 1, 1])),
    { instanceOf: GradientError },
  );
  t.regex(e!.message, /input 1 of 'mul'/);
  // The write itself was allowed: c was not being differentiated.
  close(t, c, [0, 0, 0]);
});

test('inside f: writing in place to the argument throws at once', (t) => {
  const x = T([1, 2, 3]);
  const e = t.throws(
    () =>
      gradient((a: Tensor) => {
        const y = a.mul(2);
        a.fill(0);
        return y.sum();
      }, x),
    { instanceOf: GradientError },
  );
  t.regex(e!.message, trackedMsg('fill'));
  close(t, x, [1, 2, 3]); // untouched
});

test('inside f: writing to a tracked intermediate throws at once', (t) => {
  const x = T([1, 2, 3]);
  t.throws(
    () =>
      gradient((a: Tensor) => {
        const y = a.mul(2);
        y.addInPlace(1);
        return y.sum();
      }, x),
    { instanceOf: GradientError, message: trackedMsg('addInPlace') },
  );
});

test('inside f: writing to a view, a reshape or a detached copy of a tracked tensor throws', (t) => {
  const x = T([[1, 2], [3, 4]]);
  const writes: [string, (a: Tensor) => unknown][] = [
    ['fill', (a) => a.get(0).fill(0)],
    ['subInPlace', (a) => a.reshape([4]).subInPlace(1)],
    ['mulInPlace', (a) => a.detach().mulInPlace(2)], // detach shares storage
    ['assign', (a) => a.T.assign(T([[0, 0], [0, 0]]))],
  ];
  for (const [op, write] of writes)
    t.throws(
      () =>
        gradient((a: Tensor) => {
          write(a);
          return a.sum();
        }, x),
      { instanceOf: GradientError, message: trackedMsg(op) },
      op,
    );
  close(t, x, [1, 2, 3, 4]);
});

test('inside gradient with params: writing to a parameter throws', (t) => {
  const W = T([1, 2]);
  t.throws(
    () =>
      gradient(() => {
        const l = W.mul(W).sum();
        W.subInPlace(0.1);
        return l;
      }, params(W)),
    { instanceOf: GradientError, message: trackedMsg('subInPlace') },
  );
});

test('inside a nested gradient: a tensor the outer tape tracks cannot be written', (t) => {
  t.throws(
    () =>
      gradient((x: Tensor) => {
        const y = x.mul(2);
        const [g] = gradient((z: Tensor) => {
          y.assign(1); // y belongs to the outer tape, which is recording
          return z.mul(z).sum();
        }, T([1]));
        return y.sum().add(g as Tensor);
      }, T([3])),
    { instanceOf: GradientError, message: trackedMsg('assign') },
  );
});

test('inside f: writing to a fresh untracked tensor before using it is fine', (t) => {
  const [g] = gradient((a: Tensor) => {
    const k = T([0, 0, 0]);
    k.fill(2);
    k.addInPlace(T([1, 2, 3]));
    return a.mul(k).sum();
  }, T([1, 1, 1]));
  close(t, g, [3, 4, 5]);
});

test('outside differentiated code: writes work and later gradients see the new values', (t) => {
  const x = T([1, 2]);
  const f = (a: Tensor) => a.pow(2).sum();
  close(t, gradient(f, x)[0], [2, 4]);
  x.addInPlace(1); // after gradient returned: x is no longer tracked
  close(t, x, [2, 3]);
  close(t, gradient(f, x)[0], [4, 6]);
  const { val, grad } = withGradient(f, x);
  (grad[0] as Tensor).mulInPlace(0); // gradients are plain tensors
  val.fill(-1);
  close(t, val, -1);
});

test('after back() has run, writing to a saved tensor only breaks later calls of back', (t) => {
  const w = T([2, 3]);
  const { back } = pullback((a: Tensor) => a.mul(w).sum(), T([1, 1]));
  close(t, back(1)[0], [2, 3]);
  w.fill(0);
  t.throws(() => back(1), { instanceOf: GradientError });
});

test('a pullback of a second tape is independent of a write that broke the first', (t) => {
  const w = T([2, 3]);
  const first = pullback((a: Tensor) => a.mul(w).sum(), T([1, 1]));
  w.fill(5);
  const second = pullback((a: Tensor) => a.mul(w).sum(), T([1, 1]));
  t.throws(() => first.back(1), { instanceOf: GradientError });
  close(t, second.back(1)[0], [5, 5]);
});
