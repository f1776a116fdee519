// Tiny float tensors take JavaScript loops instead of the native call (ts/backend/small.ts).
// A tensor's values must not depend on which path ran: these tests compare the two bit for
// bit, special values included, and check where each path is (and is not) taken.
import test from 'ava';
import { type DType, type Tensor, add, mul, neg, tensor } from '../../ts/index.js';
import { opCode } from '../../ts/backend/index.js';
import { putOperands } from '../../ts/backend/meta.js';
import { SMALL_ELEMENTS, smallBinary, smallUnary } from '../../ts/backend/small.js';
import { ARRAY_TYPE } from '../../ts/dtype.js';
import { native } from '../../ts/native.js';

const opCodes = {
  binary: Object.fromEntries(['add', 'sub', 'mul', 'div', 'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'pow', 'maximum'].map((n) => [n, opCode('binary', n)])),
  unary: { neg: opCode('unary', 'neg'), exp: opCode('unary', 'exp') },
};
import { mulberry32 } from './cases.js';

const SPECIAL = [0, -0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, -1e-40, 3.4e38, -3.4e38, 0.1, 1 / 3];
const HANDLED = ['add', 'sub', 'mul', 'div', 'eq', 'ne', 'gt', 'ge', 'lt', 'le'];

function values(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => (i % 3 === 0 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : (r() - 0.5) * 10 ** Math.floor(r() * 8 - 4)));
}

/** The native kernel's answer for a (op) b, bypassing the small path. */
function nativeBinary(op: string, a: Tensor, b: Tensor, n: number): ArrayLike<number> {
  const out = tensor(new ARRAY_TYPE[a.dtype](n), { dtype: a.dtype });
  putOperands(out.shape, out, a, b);
  native.binary(out._buf as Float32Array, a._buf as Float32Array, b._buf as Float32Array, opCodes.binary[op]);
  return out._buf as Float32Array;
}

/** Same bits, except that any NaN matches any NaN (payloads are not specified). */
function sameBits(t: import('ava').ExecutionContext, js: ArrayLike<number>, nat: ArrayLike<number>, what: string): void {
  for (let i = 0; i < nat.length; i++) {
    const ok = Object.is(js[i], nat[i]) || (Number.isNaN(js[i]) && Number.isNaN(nat[i]));
    if (!ok) {
      t.fail(`${what} element ${i}: JS ${js[i]} vs native ${nat[i]}`);
      return;
    }
  }
  t.pass();
}

for (const dtype of ['float32', 'float64'] as DType[]) {
  test(`${dtype}: every op the small path takes matches the native kernel bit for bit`, (t) => {
    let seed = 1;
    for (const n of [1, 3, 4, 7, 64, SMALL_ELEMENTS]) {
      for (const op of HANDLED) {
        // both full runs; a one-element operand on either side; a view with an offset
        const a = tensor(values(n, seed++), { dtype });
        const b = tensor(values(n, seed++), { dtype });
        const s = tensor(values(1, seed++), { dtype }).reshape([]);
        const wide = tensor(values(n + 5, seed++), { dtype });
        const view = wide.slice(0, 5, n + 5);
        for (const [x, y, label] of [
          [a, b, 'run·run'],
          [a, s, 'run·scalar'],
          [s, b, 'scalar·run'],
          [view, b, 'offset view·run'],
        ] as const) {
          const out = tensor(new ARRAY_TYPE[dtype](n), { dtype });
          t.true(smallBinary(opCodes.binary[op], x, y, out), `${op} ${label} n=${n} is taken`);
          sameBits(t, out._buf as Float32Array, nativeBinary(op, x, y, n), `${dtype} ${op} ${label} n=${n}`);
        }
      }
    }
  });

  test(`${dtype}: neg on the small path matches the native kernel`, (t) => {
    const x = tensor(values(37, 99), { dtype });
    const out = tensor(new ARRAY_TYPE[dtype](37), { dtype });
    t.true(smallUnary(opCodes.unary.neg, x, out));
    const nat = tensor(new ARRAY_TYPE[dtype](37), { dtype });
    putOperands(x.shape, nat, x);
    native.unary(nat._buf as Float32Array, x._buf as Float32Array, opCodes.unary.neg);
    sameBits(t, out._buf as Float32Array, nat._buf as Float32Array, `${dtype} neg`);
  });
}

test('the small path leaves alone what it cannot do exactly', (t) => {
  const f = tensor([1, 2, 3, 4]);
  const out = tensor([0, 0, 0, 0]);
  // int32 (its overflow and division rules are the native kernel's)
  const i = tensor([1, 2, 3, 4], { dtype: 'int32' });
  t.false(smallBinary(opCodes.binary.add, i, i, tensor([0, 0, 0, 0], { dtype: 'int32' })));
  // transcendental and rounding-sensitive ops
  t.false(smallBinary(opCodes.binary.pow, f, f, out));
  t.false(smallBinary(opCodes.binary.maximum, f, f, out));
  t.false(smallUnary(opCodes.unary.exp, f, out));
  // strided operands and real broadcasting
  const m = tensor([
    [1, 2],
    [3, 4],
  ]);
  t.false(smallBinary(opCodes.binary.add, m.transpose(), m, tensor([[0, 0], [0, 0]])));
  t.false(smallBinary(opCodes.binary.add, m, tensor([1, 2]), tensor([[0, 0], [0, 0]])));
  t.deepEqual(out.toArray(), [0, 0, 0, 0], 'nothing written when the path declines');
});

test('ops on tiny and large tensors agree, on both sides of the threshold', (t) => {
  for (const n of [SMALL_ELEMENTS, SMALL_ELEMENTS + 1]) {
    const xs = values(n, 7);
    const ys = values(n, 8);
    const x = tensor(xs);
    const y = tensor(ys);
    const f32 = (v: number) => Math.fround(v);
    t.deepEqual(Array.from(add(x, y).data()), xs.map((v, k) => f32(f32(v) + f32(ys[k]))), `add n=${n}`);
    t.deepEqual(Array.from(mul(x, 3).data()), xs.map((v) => f32(f32(v) * 3)), `mul n=${n}`);
    t.deepEqual(Array.from(neg(x).data()), xs.map((v) => -f32(v)), `neg n=${n}`);
  }
});
