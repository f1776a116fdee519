// Filling the metadata buffer: the shapes, offsets and strides every kernel reads.
// Shared by all devices, so the CPU and CUDA kernels see one layout.
import { meta } from '../native.js';
import type { Tensor } from '../tensor.js';
import type { MatmulSpec } from './backend.js';

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

/** ndim, shape, x offset + strides, then one reduced flag per dim. */
export function putReduce(x: Tensor, mask: readonly boolean[]): void {
  let p = putShape(0, x.shape);
  p = putView(p, x, x.shape);
  for (let i = 0; i < mask.length; i++) meta[p++] = mask[i] ? 1 : 0;
}

/**
 * How a matrix operand goes to GEMM: as is when its last two dims are row-major or
 * transposed with unit stride (no copy), else it must be made contiguous first.
 * Returns [transposed, leading dimension], or null when a copy is needed.
 */
export function matrixLayout(t: Tensor): [boolean, number] | null {
  const nd = t.shape.length;
  const rows = t.shape[nd - 2];
  const cols = t.shape[nd - 1];
  const sr = t._strides[nd - 2];
  const sc = t._strides[nd - 1];
  if ((sc === 1 || cols === 1) && (rows === 1 || sr >= Math.max(1, cols))) return [false, rows === 1 ? Math.max(1, cols) : sr];
  if ((sr === 1 || rows === 1) && (cols === 1 || sc >= Math.max(1, rows))) return [true, cols === 1 ? Math.max(1, rows) : sc];
  // contiguous data of an empty matrix has zero strides: any leading dimension BLAS accepts will do
  if (t.isContiguous) return [false, Math.max(1, cols)];
  return null;
}

/** The matmul metadata for operands already in a GEMM-ready layout. */
export function putMatmul(a: Tensor, b: Tensor, spec: MatmulSpec): void {
  const la = matrixLayout(a) as [boolean, number];
  const lb = matrixLayout(b) as [boolean, number];
  const nb = spec.batch.length;
  let p = putShape(0, spec.batch);
  for (const t of [a, b]) {
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
  meta[p++] = la[0] ? 1 : 0;
  meta[p++] = la[1];
  meta[p++] = lb[0] ? 1 : 0;
  meta[p++] = lb[1];
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

/** A 64-bit seed and counter as the four 32-bit words the random kernels take. */
export function seedWords(seed: bigint, counter: bigint): [number, number, number, number] {
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  return [lo(seed), hi(seed), lo(counter), hi(counter)];
}
