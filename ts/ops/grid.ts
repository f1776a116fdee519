// Ops on the spatial dims of x [N, C, ...spatial], built from public ops so that every order of
// derivative comes with them: adaptive pooling (mean: one matrix per dim; max: the windows
// gathered, then a max), padding (constant: a copy into the interior; reflect and replicate:
// gathered indices), upsampling (nearest: gathered indices; bilinear: one interpolation matrix
// per dim) and pixel shuffle (a reshape and a permutation).
import { isRecording, record } from '../autodiff/tape.js';
import { copyInto, empty, fromArray } from '../backend/index.js';
import { ShapeError, expected, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { type IndexSpec, get, indexSelect, permute, reshape, transpose } from './movement.js';
import { range } from './range.js';
import { asTensor, floatOperand } from './operand.js';
import { max } from './reduce.js';
import { registerOp } from './registry.js';
import { type PerDim, perDim, positive } from './window.js';

registerOp({ name: 'pad', family: 'nn', kernels: ['copy', 'gather'], differentiable: true });

function spatial(op: string, x: unknown): Tensor {
  const t = asTensor(op, 'x', x);
  if (t.ndim < 3) throw new ShapeError(`${op}: expected x of shape [N, C, ...spatial] with at least one spatial dim, got ${shapeStr(t.shape)}`);
  return t;
}

/** Output sizes, one per spatial dim: a number for all, or one each. */
function outSizes(op: string, v: PerDim, nd: number): number[] {
  return perDim(op, 'outSize', v, nd, 1);
}

/** The window of output i of O over S inputs (PyTorch's adaptive pooling): [floor(iS/O), ceil((i+1)S/O)). */
function adaptiveWindow(i: number, S: number, O: number): [number, number] {
  return [Math.floor((i * S) / O), Math.ceil(((i + 1) * S) / O)];
}

/** x with spatial dim d multiplied by the rows of `m` [O, S]: sum_s m[o, s] · x[..., s, ...]. */
function mapDim(x: Tensor, d: number, m: number[][]): Tensor {
  const A = fromArray(m.flat(), [m.length, m[0]?.length ?? 0], x.dtype, x.device);
  const axis = 2 + d;
  return transpose(matmul(transpose(x, axis, -1), transpose(A)), axis, -1);
}

/**
 * Mean pooling to a given output size: output i of each dim averages its adaptive window.
 *
 * ```ts
 * adaptiveMeanPool(arange(16).reshape([1, 1, 4, 4]), 1);   // Tensor [[[[7.5]]]]
 * adaptiveMeanPool(zeros(2, 3, 10, 7), [2, 3]).shape;   // [2, 3, 2, 3]
 * ```
 */
export function adaptiveMeanPool(x: Tensor, outSize: PerDim): Tensor {
  let t = floatOperand(spatial('adaptiveMeanPool', x));
  const O = outSizes('adaptiveMeanPool', outSize, t.ndim - 2);
  const S = t.shape.slice(2);
  for (let d = 0; d < O.length; d++) {
    if (O[d] === S[d]) continue;
    const rows = Array.from({ length: O[d] }, (_, i) => {
      const [a, b] = adaptiveWindow(i, S[d], O[d]);
      return Array.from({ length: S[d] }, (_, s) => (s >= a && s < b ? 1 / (b - a) : 0));
    });
    t = mapDim(t, d, rows);
  }
  return t;
}

/**
 * Max pooling to a given output size: output i of each dim is the max of its adaptive window.
 *
 * ```ts
 * adaptiveMaxPool(arange(16).reshape([1, 1, 4, 4]), 2);   // Tensor [[[[5, 7], [13, 15]]]]
 * ```
 */
export function adaptiveMaxPool(x: Tensor, outSize: PerDim): Tensor {
  const t = floatOperand(spatial('adaptiveMaxPool', x));
  const nd = t.ndim - 2;
  const O = outSizes('adaptiveMaxPool', outSize, nd);
  const S = t.shape.slice(2);
  // every output's window as flat positions, padded to the largest window by repeating its
  // first position (a repeat does not change the max; its gradient share sums back to it)
  const wins = S.map((s, d) => Array.from({ length: O[d] }, (_, i) => adaptiveWindow(i, s, O[d])));
  const kmax = wins.reduce((k, w) => k * Math.max(...w.map(([a, b]) => b - a)), 1);
  const idx: number[] = [];
  const visit = (d: number, outIdx: number[]) => {
    if (d === nd) {
      const ranges = outIdx.map((i, e) => wins[e][i]);
      const positions: number[] = [];
      const walk = (e: number, flat: number) => {
        if (e === nd) return void positions.push(flat);
        for (let s = ranges[e][0]; s < ranges[e][1]; s++) walk(e + 1, flat * S[e] + s);
      };
      walk(0, 0);
      while (positions.length < kmax) positions.push(positions[0]);
      idx.push(...positions);
      return;
    }
    for (let i = 0; i < O[d]; i++) visit(d + 1, [...outIdx, i]);
  };
  visit(0, []);
  const [N, C] = t.shape;
  const picked = indexSelect(reshape(t, [N, C, -1]), 2, idx);
  return reshape(max(reshape(picked, [N, C, -1, kmax]), 3), [N, C, ...O]);
}

/**
 * Padding of the trailing dims: a number (every spatial dim of [N, C, ...]), one per dim, or [lo, hi] per dim.
 *
 * ```ts
 * pad(zeros(1, 1, 2, 2), 1).shape;   // [1, 1, 4, 4]
 * pad(tensor([[1, 2]]), [[0, 0], [1, 2]]);   // Tensor [[0, 1, 2, 0, 0]]
 * ```
 */
export type PadSpec = number | readonly number[] | readonly (readonly [number, number])[];

function padsOf(t: Tensor, pads: PadSpec): [number, number][] {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  let list: [number, number][] | null = null;
  if (ok(pads)) {
    if (t.ndim < 3) throw new ShapeError(`pad: a single number pads the spatial dims of [N, C, ...spatial]; x has shape ${shapeStr(t.shape)}: give one pad per dim`);
    list = t.shape.slice(2).map(() => [pads as number, pads as number]);
  } else if (Array.isArray(pads) && pads.length >= 1 && pads.length <= t.ndim) {
    if (pads.every(ok)) list = (pads as number[]).map((p) => [p, p]);
    else if (pads.every((p) => Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]))) list = (pads as [number, number][]).map(([a, b]) => [a, b]);
  }
  if (list === null) throw expected('pad', 'pads', `a non-negative integer, or per trailing dim (at most ${t.ndim}) one or a [lo, hi] pair`, pads);
  return list;
}

/**
 * Pads the trailing dims of x: `pads` gives [lo, hi] (or one number for both) per dim, the first
 * pair for the first of those dims. `mode` 'constant' fills with `value` (default 0); 'reflect'
 * mirrors about the edge (pads smaller than the dim); 'replicate' repeats the edge.
 *
 * ```ts
 * pad(tensor([[1, 2, 3]]), [0, 1], { mode: 'reflect' });   // Tensor [[2, 1, 2, 3, 2]]
 * pad(tensor([[1, 2, 3]]), [[0, 0], [2, 0]], { mode: 'replicate' });   // Tensor [[1, 1, 1, 2, 3]]
 * pad(tensor([[1]]), [[0, 0], [1, 1]], { value: 9 });   // Tensor [[9, 1, 9]]
 * ```
 */
export function pad(x: Tensor, pads: PadSpec, opts: { mode?: 'constant' | 'reflect' | 'replicate'; value?: number } = {}): Tensor {
  const t = asTensor('pad', 'x', x);
  const list = padsOf(t, pads);
  const mode = opts.mode ?? 'constant';
  const first = t.ndim - list.length;
  if (mode === 'constant') {
    const value = opts.value ?? 0;
    if (typeof value !== 'number') throw expected('pad', 'value', 'a number', value);
    const shape = t.shape.map((s, d) => (d < first ? s : s + list[d - first][0] + list[d - first][1]));
    const out = empty(shape, t.dtype, t.device);
    copyInto(fromArray([value], [], t.dtype, t.device), out);
    const interior: IndexSpec[] = t.shape.map((s, d) => (d < first ? null : range(list[d - first][0], list[d - first][0] + s)));
    copyInto(t, get(out, ...interior));
    if (isRecording()) record('pad', out, [t], (g) => [() => get(g, ...interior)]);
    return out;
  }
  if (mode !== 'reflect' && mode !== 'replicate') throw expected('pad', 'mode', "'constant', 'reflect' or 'replicate'", mode);
  let y = t;
  list.forEach(([lo, hi], i) => {
    const d = first + i;
    const S = t.shape[d];
    if (lo === 0 && hi === 0) return;
    if (mode === 'reflect' && (lo >= S || hi >= S))
      throw new ShapeError(`pad: reflect padding (${lo}, ${hi}) must be smaller than the dim it pads (dim ${d} of size ${S})`);
    if (S === 0) throw new ShapeError(`pad: cannot ${mode}-pad an empty dim (dim ${d})`);
    const idx = Array.from({ length: S + lo + hi }, (_, j) => {
      const k = j - lo;
      if (mode === 'replicate') return Math.min(S - 1, Math.max(0, k));
      return k < 0 ? -k : k >= S ? 2 * (S - 1) - k : k;
    });
    y = indexSelect(y, d, idx);
  });
  return y;
}

/**
 * Upsamples the spatial dims by `scale` (a number or one per dim): 'nearest' repeats each
 * element (integer scales); 'bilinear' interpolates linearly along every spatial dim
 * (PyTorch's align_corners=false: pixel centres aligned, edges clamped).
 *
 * ```ts
 * upsample(tensor([[[[1, 2]]]]), { scale: [1, 2] });   // Tensor [[[[1, 1, 2, 2]]]]
 * upsample(zeros(1, 3, 4, 4), { scale: 2, mode: 'bilinear' }).shape;   // [1, 3, 8, 8]
 * ```
 */
export function upsample(x: Tensor, opts: { scale: PerDim | number; mode?: 'nearest' | 'bilinear' }): Tensor {
  let t = spatial('upsample', x);
  if (opts === null || typeof opts !== 'object') throw expected('upsample', 'options', '{ scale, mode }', opts);
  const nd = t.ndim - 2;
  const mode = opts.mode ?? 'nearest';
  const S = t.shape.slice(2);
  if (mode === 'nearest') {
    const scale = perDim('upsample', 'scale', opts.scale, nd, 1);
    scale.forEach((r, d) => {
      if (r !== 1) t = indexSelect(t, 2 + d, Array.from({ length: S[d] * r }, (_, i) => Math.floor(i / r)));
    });
    return t;
  }
  if (mode !== 'bilinear') throw expected('upsample', 'mode', "'nearest' or 'bilinear'", mode);
  const scales = typeof opts.scale === 'number' ? new Array<number>(nd).fill(opts.scale) : opts.scale;
  if (!Array.isArray(scales) || scales.length !== nd || !scales.every((r) => typeof r === 'number' && r > 0 && Number.isFinite(r)))
    throw expected('upsample', 'scale', `a positive number or ${nd} of them`, opts.scale);
  t = floatOperand(t);
  scales.forEach((r, d) => {
    const out = Math.floor(S[d] * r);
    const rows = Array.from({ length: out }, (_, o) => {
      const row = new Array<number>(S[d]).fill(0);
      const src = Math.max(0, (o + 0.5) / r - 0.5);
      const i0 = Math.min(Math.floor(src), S[d] - 1);
      const i1 = Math.min(i0 + 1, S[d] - 1);
      const lam = src - i0;
      row[i0] += 1 - lam;
      row[i1] += lam;
      return row;
    });
    t = mapDim(t, d, rows);
  });
  return t;
}

/**
 * [N, C·r², H, W] → [N, C, H·r, W·r]: channel c·r² + i·r + j becomes pixel (h·r + i, w·r + j) (PyTorch's PixelShuffle).
 *
 * ```ts
 * pixelShuffle(arange(4).reshape([1, 4, 1, 1]), 2);   // Tensor [[[[0, 1], [2, 3]]]]
 * ```
 */
export function pixelShuffle(x: Tensor, r: number): Tensor {
  const t = asTensor('pixelShuffle', 'x', x);
  if (!positive(r)) throw expected('pixelShuffle', 'r', 'a positive integer', r);
  if (t.ndim !== 4 || t.shape[1] % (r * r) !== 0)
    throw new ShapeError(`pixelShuffle: expected x of shape [N, C·${r * r}, H, W], got ${shapeStr(t.shape)}`);
  const [N, Cr, H, W] = t.shape;
  const C = Cr / (r * r);
  return reshape(permute(reshape(t, [N, C, r, r, H, W]), [0, 1, 4, 2, 5, 3]), [N, C, H * r, W * r]);
}
