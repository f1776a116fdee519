// Elementwise kernels in JavaScript for tiny CPU tensors.
//
// Why: crossing into the addon costs about 0.1-0.15 µs per call (argument conversion
// of three typed arrays plus the metadata read), which is most of the cost of an op on a
// few dozen elements: scalar code (x*x*3 + 2x + 1), per-sample losses, optimiser
// scalars. Below SMALL_ELEMENTS a plain JS loop is faster than that call.
//
// Only ops whose result IEEE 754 fixes exactly are done here (+ - * /, comparisons,
// negation): JS computes in float64 and a Float32Array store rounds once, which for a
// single + - * / of two float32 values is exactly the correctly rounded float32 result the
// native kernel produces. So a tensor's values never depend on which path ran.
// Transcendental ops (exp, tanh, ...) would differ from the C library in the last bit and
// stay native; int32 stays native too (its overflow and division rules live there).
import type { TypedArray } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { opCode } from './index.js';

/**
 * At or below this many output elements the JS loop is used. Measured here (2026-11, Node 20):
 * about 1.15 ns per element in JS against a native call of about 160 ns at these sizes, even
 * at 128 elements; 16 elements take 25 ns.
 */
export const SMALL_ELEMENTS = 128;

const B = Object.fromEntries(['add', 'sub', 'mul', 'div', 'eq', 'ne', 'gt', 'ge', 'lt', 'le'].map((n) => [n, opCode('binary', n)]));
const U = { neg: opCode('unary', 'neg') };

/** True when `t` reads as a plain run of `n` elements from `t._offset` (or is one element). */
function flat(t: Tensor, n: number): boolean {
  return t.size === 1 || (t.size === n && t.isContiguous);
}

/**
 * out = a (op) b for float operands that are each either a contiguous run of out.size
 * elements or a single element broadcast. Returns false (nothing written) when the op or
 * the layout is not one this path handles.
 */
export function smallBinary(op: number, a: Tensor, b: Tensor, out: Tensor): boolean {
  if (a.dtype === 'int32') return false;
  const n = out.size;
  if (!flat(a, n) || !flat(b, n)) return false;
  const x = a._buf as TypedArray;
  const y = b._buf as TypedArray;
  const o = out._buf as TypedArray;
  const xo = a._offset;
  const yo = b._offset;
  // A one-element operand steps by 0; `sx`/`sy` are the element steps.
  const sx = a.size === 1 ? 0 : 1;
  const sy = b.size === 1 ? 0 : 1;
  let i = 0;
  let p = xo;
  let q = yo;
  // add, sub and mul are unrolled by four (about 30% faster in V8); every loop runs on
  // running indices, which V8 compiles about twice as fast as computed ones (xo + i * sx).
  const sx2 = 2 * sx;
  const sy2 = 2 * sy;
  const sx3 = 3 * sx;
  const sy3 = 3 * sy;
  const sx4 = 4 * sx;
  const sy4 = 4 * sy;
  switch (op) {
    case B.add:
      for (; i + 4 <= n; i += 4, p += sx4, q += sy4) {
        o[i] = x[p] + y[q];
        o[i + 1] = x[p + sx] + y[q + sy];
        o[i + 2] = x[p + sx2] + y[q + sy2];
        o[i + 3] = x[p + sx3] + y[q + sy3];
      }
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] + y[q];
      return true;
    case B.sub:
      for (; i + 4 <= n; i += 4, p += sx4, q += sy4) {
        o[i] = x[p] - y[q];
        o[i + 1] = x[p + sx] - y[q + sy];
        o[i + 2] = x[p + sx2] - y[q + sy2];
        o[i + 3] = x[p + sx3] - y[q + sy3];
      }
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] - y[q];
      return true;
    case B.mul:
      for (; i + 4 <= n; i += 4, p += sx4, q += sy4) {
        o[i] = x[p] * y[q];
        o[i + 1] = x[p + sx] * y[q + sy];
        o[i + 2] = x[p + sx2] * y[q + sy2];
        o[i + 3] = x[p + sx3] * y[q + sy3];
      }
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] * y[q];
      return true;
    case B.div:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] / y[q];
      return true;
    case B.eq:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] === y[q] ? 1 : 0;
      return true;
    case B.ne:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] !== y[q] ? 1 : 0;
      return true;
    case B.gt:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] > y[q] ? 1 : 0;
      return true;
    case B.ge:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] >= y[q] ? 1 : 0;
      return true;
    case B.lt:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] < y[q] ? 1 : 0;
      return true;
    case B.le:
      for (; i < n; i++, p += sx, q += sy) o[i] = x[p] <= y[q] ? 1 : 0;
      return true;
    default:
      return false;
  }
}

/** out = -x for a contiguous float x; false when the op or layout is not handled here. */
export function smallUnary(op: number, x: Tensor, out: Tensor): boolean {
  if (op !== U.neg || x.dtype === 'int32' || !x.isContiguous) return false;
  const src = x._buf as TypedArray;
  const o = out._buf as TypedArray;
  const off = x._offset;
  for (let i = 0; i < out.size; i++) o[i] = -src[off + i];
  return true;
}
