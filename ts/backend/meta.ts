// Filling the metadata buffer: the shapes, offsets and strides every kernel reads.
// Shared by all devices, so the CPU and CUDA kernels see one layout.
import { meta } from '../native.js';
import type { Tensor } from '../tensor.js';

/** The metadata buffer, for kernels that lay out more than views (matmul's sizes, reduce's flags). */
export { meta };

/** Writes offset and strides of `t` broadcast to `shape` (stride 0 on new or size-1 dims). */
export function putView(pos: number, t: Tensor, shape: readonly number[]): number {
  const nd = shape.length;
  const lead = nd - t.shape.length;
  meta[pos++] = t._offset;
  for (let i = 0; i < nd; i++) {
    const j = i - lead;
    meta[pos++] = j < 0 || t.shape[j] === 1 ? 0 : t._strides[j];
  }
  return pos;
}

export function putShape(pos: number, shape: readonly number[]): number {
  meta[pos++] = shape.length;
  for (let i = 0; i < shape.length; i++) meta[pos++] = shape[i];
  return pos;
}

/** ndim, shape, then each operand's offset and strides broadcast to `shape` (out first). */
export function putOperands(shape: readonly number[], ...ts: Tensor[]): void {
  let p = putShape(0, shape);
  for (const t of ts) p = putView(p, t, shape);
}

/** A shape seen as [outer, n, inner] around `dim` (softmax, gather and scatter kernels). */
export function aroundDim(shape: readonly number[], dim: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape[dim], inner };
}

/** `shape` with dim `dim` resized to `size`. */
export function withDim(shape: readonly number[], dim: number, size: number): number[] {
  const s = shape.slice();
  s[dim] = size;
  return s;
}

