// The CPU backend: writes shapes and strides into the metadata buffer and calls the
// native kernel. Every argument was validated by the op before it got here.
import { ARRAY_TYPE, type DType, type TypedArray } from '../dtype.js';
import { native } from '../native.js';
import { numel } from '../shape.js';
import { allocate } from '../storage.js';
import { Tensor, setReader } from '../tensor.js';
import type { Backend, MatmulSpec } from './backend.js';
import { aroundDim, matrixLayout, putMatmul, putOperands, putReduce, seedWords, withDim } from './meta.js';
import { SMALL_ELEMENTS, smallBinary, smallUnary } from './small.js';

function empty(shape: readonly number[], dtype: DType, zero = false): Tensor {
  return new Tensor(allocate(dtype, numel(shape), zero), shape, dtype);
}

function contiguous(x: Tensor): Tensor {
  if (x.isContiguous && x._offset === 0 && x._buf.length === x.size) return x;
  const out = empty(x.shape, x.dtype);
  copyInto(x, out);
  return out;
}

function copyInto(src: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, src);
  native.copy(buf(src), buf(dst));
}

function binaryInto(op: number, a: Tensor, b: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, a, b);
  native.binary(op, buf(a), buf(b), buf(dst));
}

function unaryInto(op: number, x: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, x);
  native.unary(op, buf(x), buf(dst));
}

/** CPU storage is a typed array. */
function buf(t: Tensor): TypedArray {
  return t._buf as TypedArray;
}

// data() hands the caller an array of its own: never pooled, never a slab slice, never
// disposed by a scope, so transferring or keeping it cannot touch a live tensor.
setReader('cpu', (t: Tensor): TypedArray => {
  const host = new ARRAY_TYPE[t.dtype](t.size);
  copyInto(t, new Tensor(host, t.shape, t.dtype, 'cpu', undefined, 0, null, false));
  return host;
});

// Number operands of ops (x.mul(2)) become read-only 0-d constants, made once and kept out
// of tidy scopes: most code uses a handful of distinct numbers, over and over.
const constants = new Map<string, Tensor>();
function constant(v: number, dtype: DType): Tensor {
  const key = `${dtype}:${Object.is(v, -0) ? '-0' : v}`;
  let t = constants.get(key);
  if (t === undefined) {
    if (constants.size >= 4096) constants.clear();
    const data = new ARRAY_TYPE[dtype](1);
    data[0] = v;
    t = new Tensor(data, [], dtype, 'cpu', undefined, 0, null, false)._markReadonly();
    constants.set(key, t);
  }
  return t;
}

export const cpu: Backend = {
  device: 'cpu',
  empty,
  constant,

  fromArray(data, shape, dtype) {
    const out = empty(shape, dtype);
    buf(out).set(data as ArrayLike<number>);
    return out;
  },

  binary(op, a, b, shape) {
    const out = empty(shape, a.dtype);
    if (out.size <= SMALL_ELEMENTS && smallBinary(op, a, b, out)) return out;
    binaryInto(op, a, b, out);
    return out;
  },

  binaryInto,

  where(c, a, b, shape) {
    const out = empty(shape, a.dtype);
    putOperands(shape, out, c, a, b);
    native.where(buf(c), buf(a), buf(b), buf(out));
    return out;
  },

  unary(op, x) {
    const out = empty(x.shape, x.dtype);
    if (out.size <= SMALL_ELEMENTS && smallUnary(op, x, out)) return out;
    unaryInto(op, x, out);
    return out;
  },

  unaryInto,

  unaryGrad(op, x, y, g) {
    const out = empty(x.shape, x.dtype);
    native.unaryGrad(op, buf(contiguous(x)), buf(contiguous(y)), buf(contiguous(g)), buf(out));
    return out;
  },

  reduce(op, x, mask, scale, keptShape) {
    const out = empty(keptShape, x.dtype);
    putReduce(x, mask);
    native.reduce(op, buf(x), buf(out), scale);
    return out;
  },

  biasActInto(y, bias, act, cols) {
    native.biasAct(buf(y), bias === null ? null : buf(contiguous(bias)), act, cols);
  },

  argmax(x, dim, outShape) {
    const out = empty(outShape, 'int32');
    putOperands(x.shape, x);
    native.argmax(buf(x), buf(out) as Int32Array, dim);
    return out;
  },

  softmax(log, x, dim) {
    const c = contiguous(x);
    const out = empty(x.shape, x.dtype);
    const { outer, n, inner } = aroundDim(x.shape, dim);
    native.softmax(log, buf(c), buf(out), outer, n, inner);
    return out;
  },

  matmul(a, b, spec: MatmulSpec, outShape) {
    const ta = matrixLayout(a) ? a : contiguous(a);
    const tb = matrixLayout(b) ? b : contiguous(b);
    const out = empty(outShape, a.dtype);
    putMatmul(ta, tb, spec);
    native.matmul(buf(ta), buf(tb), buf(out));
    return out;
  },

  copyInto,

  gather(x, dim, idx) {
    const c = contiguous(x);
    const out = empty(withDim(x.shape, dim, idx.length), x.dtype);
    const { outer, n, inner } = aroundDim(x.shape, dim);
    native.gather(buf(c), idx, buf(out), outer, n, inner, idx.length);
    return out;
  },

  scatterAdd(g, dim, idx, size) {
    const c = contiguous(g);
    const out = empty(withDim(g.shape, dim, size), g.dtype, true);
    const { outer, inner } = aroundDim(g.shape, dim);
    native.scatterAdd(buf(c), idx, buf(out), outer, size, inner, idx.length);
    return out;
  },

  random(shape, dtype, kind, seed, counter) {
    const out = empty(shape, dtype);
    native.random(buf(out), kind === 'uniform' ? 0 : 1, ...seedWords(seed, counter));
    return out;
  },


  sgdStep(p, g, lr) {
    native.sgdStep(buf(p), buf(contiguous(g)), lr);
  },

  adamStep(p, g, m, v, lr, b1, b2, eps, step, decay) {
    native.adamStep(buf(p), buf(contiguous(g)), buf(m), buf(v), lr, b1, b2, eps, step, decay);
  },
};

