// What the package exports: what custom layers need, and nothing internal.
import test from 'ava';
import * as flx from '../ts/index.js';
import { Layer, type Mode, type Tensor, gradient, isActive, tensor, testMode, trainMode } from '../ts/index.js';
import * as reduce from '../ts/ops/reduce.js';

test('internal helpers and switches are not exported', (t) => {
  const internal = ['fusedBackward', 'sumTo', 'describe', 'expected', 'shapeStr', 'native', 'nativePath', 'kernelReport', 'opRegistry', 'makeCallable', 'listStr'];
  t.deepEqual(
    internal.filter((k) => k in flx),
    [],
  );
});

test('every reduction op is exported (the list in ts/ops/index.ts leaves out only sumTo)', (t) => {
  const missing = Object.entries(reduce)
    .filter(([k, v]) => typeof v === 'function' && k !== 'sumTo')
    .map(([k]) => k)
    .filter((k) => !(k in flx));
  t.deepEqual(missing, []);
});

/** A custom layer that follows trainMode/testMode as Dropout does: it scales by 2 while training. */
class Doubling extends Layer {
  mode: Mode = 'auto';
  forward(x: Tensor): Tensor {
    return isActive(this.mode) ? x.mul(2) : x;
  }
}

test('a custom layer follows trainMode / testMode and the automatic mode through isActive', (t) => {
  const m = new Doubling();
  const x = tensor([1, 2]);
  t.deepEqual(m(x).toArray(), [1, 2], "'auto' outside gradient: inactive");
  let inside: number[] = [];
  gradient((v: Tensor) => {
    const y = m(v);
    inside = Array.from(y.data());
    return y.sum();
  }, x);
  t.deepEqual(inside, [2, 4], "'auto' inside gradient: active");
  trainMode(m);
  t.deepEqual(m(x).toArray(), [2, 4]);
  testMode(m);
  t.deepEqual(m(x).toArray(), [1, 2]);
});
