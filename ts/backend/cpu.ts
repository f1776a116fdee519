// The CPU backend: writes shapes and strides into the metadata buffer and calls the
// native kernel. Every argument was validated by the op before it got here.
import type { DType, TypedArray } from '../dtype.js';
import { meta, native } from '../native.js';
import { contiguousStrides, numel } from '../shape.js';
import { allocate } from '../storage.js';
import { Tensor, setReader } from '../tensor.js';
import type { Backend, MatmulSpec } from './backend.js';

/** Writes offset and strides of `t` broadcast to `shape` (stride 0 on new or size-1 dims). */
function putView(pos: number, t: Tensor, shape: readonly number[]): number {
  const nd = shape.length;
  const lead = nd - t.shape.length;
  meta[pos++] = t._offset;
  for (let i = 0; i < nd; i++) {
    const j = i - lead;
    meta[pos++] = j < 0 || t.shape[j] === 1 ? 0 : t._strides[j];
  }
  return pos;
}

function putShape(pos: number, shape: readonly number[]): number {
  meta[pos++] = shape.length;
  for (let i = 0; i < shape.length; i++) meta[pos++] = shape[i];
  return pos;
}

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
  let p = putShape(0, dst.shape);
  p = putView(p, dst, dst.shape);
  putView(p, src, dst.shape);
  native.copy(src._buf, dst._buf);
}

function binaryInto(op: number, a: Tensor, b: Tensor, dst: Tensor): void {
  let p = putShape(0, dst.shape);
  p = putView(p, dst, dst.shape);
  p = putView(p, a, dst.shape);
  putView(p, b, dst.shape);
  native.binary(op, a._buf, b._buf, dst._buf);
}

setReader((t: Tensor): TypedArray => {
  const out = empty(t.shape, t.dtype);
  copyInto(t, out);
  return out._buf;
});

export const cpu: Backend = {
  device: 'cpu',
  empty,

  fromArray(data, shape, dtype) {
    const out = empty(shape, dtype);
    (out._buf as TypedArray).set(data as ArrayLike<number>);
    return out;
  },

  binary(op, a, b, shape) {
    const out = empty(shape, a.dtype);
    binaryInto(op, a, b, out);
    return out;
  },

  binaryInto,

  where(c, a, b, shape) {
    const out = empty(shape, a.dtype);
    let p = putShape(0, shape);
    p = putView(p, out, shape);
    p = putView(p, c, shape);
    p = putView(p, a, shape);
    putView(p, b, shape);
    native.where(c._buf, a._buf, b._buf, out._buf);
    return out;
  },

  unary(op, x) {
    const out = empty(x.shape, x.dtype);
    let p = putShape(0, x.shape);
    p = putView(p, out, x.shape);
    putView(p, x, x.shape);
    native.unary(op, x._buf, out._buf);
    return out;
  },

  unaryGrad(op, x, y, g) {
    const out = empty(x.shape, x.dtype);
    native.unaryGrad(op, contiguous(x)._buf, contiguous(y)._buf, contiguous(g)._buf, out._buf);
    return out;
  },

  reduce(op, x, mask, scale, keptShape) {
    const out = empty(keptShape, x.dtype);
    let p = putShape(0, x.shape);
    p = putView(p, x, x.shape);
    for (let i = 0; i < mask.length; i++) meta[p++] = mask[i] ? 1 : 0;
    native.reduce(op, x._buf, out._buf, scale);
    return out;
  },

  argmax(x, dim, outShape) {
    const out = empty(outShape, 'int32');
    const p = putShape(0, x.shape);
    putView(p, x, x.shape);
    native.argmax(x._buf, out._buf as Int32Array, dim);
    return out;
  },

  softmax(log, x, dim) {
    const c = contiguous(x);
    const out = empty(x.shape, x.dtype);
    const outer = numel(x.shape.slice(0, dim));
    const inner = numel(x.shape.slice(dim + 1));
    native.softmax(log, c._buf, out._buf, outer, x.shape[dim], inner);
    return out;
  },

  matmul(a, b, spec: MatmulSpec, outShape) {
    // Each matrix goes to BLAS as is when its last two dims are row-major or transposed
    // with unit stride; anything else is copied once.
    const mat = (t: Tensor): [Tensor, boolean, number] => {
      const nd = t.shape.length;
      const rows = t.shape[nd - 2];
      const cols = t.shape[nd - 1];
      const sr = t._strides[nd - 2];
      const sc = t._strides[nd - 1];
      if ((sc === 1 || cols === 1) && (rows === 1 || sr >= Math.max(1, cols)))
        return [t, false, rows === 1 ? Math.max(1, cols) : sr];
      if ((sr === 1 || rows === 1) && (cols === 1 || sc >= Math.max(1, rows)))
        return [t, true, cols === 1 ? Math.max(1, rows) : sc];
      const c = contiguous(t);
      return [c, false, Math.max(1, cols)];
    };
    const [ta, transA, lda] = mat(a);
    const [tb, transB, ldb] = mat(b);
    const out = empty(outShape, a.dtype);
    const nb = spec.batch.length;
    let p = putShape(0, spec.batch);
    // batch strides of each operand, broadcast to the batch shape
    for (const t of [ta, tb]) {
      const lead = nb - (t.shape.length - 2);
      meta[p++] = t._offset;
      for (let i = 0; i < nb; i++) {
        const j = i - lead;
        meta[p++] = j < 0 || t.shape[j] === 1 ? 0 : t._strides[j];
      }
    }
    meta[p++] = spec.m;
    meta[p++] = spec.n;
    meta[p++] = spec.k;
    meta[p++] = transA ? 1 : 0;
    meta[p++] = lda;
    meta[p++] = transB ? 1 : 0;
    meta[p++] = ldb;
    native.matmul(ta._buf, tb._buf, out._buf);
    return out;
  },

  copyInto,

  gather(x, dim, idx) {
    const c = contiguous(x);
    const shape = x.shape.slice();
    shape[dim] = idx.length;
    const out = empty(shape, x.dtype);
    native.gather(c._buf, idx, out._buf, numel(x.shape.slice(0, dim)), x.shape[dim], numel(x.shape.slice(dim + 1)), idx.length);
    return out;
  },

  scatterAdd(g, dim, idx, size) {
    const c = contiguous(g);
    const shape = g.shape.slice();
    shape[dim] = size;
    const out = empty(shape, g.dtype, true);
    native.scatterAdd(c._buf, idx, out._buf, numel(g.shape.slice(0, dim)), size, numel(g.shape.slice(dim + 1)), idx.length);
    return out;
  },

  random(shape, dtype, kind, seed, counter) {
    const out = empty(shape, dtype);
    const lo = (v: bigint) => Number(v & 0xffffffffn);
    const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
    native.random(out._buf, kind === 'uniform' ? 0 : 1, lo(seed), hi(seed), lo(counter), hi(counter));
    return out;
  },

  sgdStep(p, g, lr) {
    native.sgdStep(p._buf, contiguous(g)._buf, lr);
  },

  adamStep(p, g, m, v, lr, b1, b2, eps, step, decay) {
    native.adamStep(p._buf, contiguous(g)._buf, m._buf, v._buf, lr, b1, b2, eps, step, decay);
  },
};

export { contiguousStrides };
