// Convolution and its relatives, built from one adjoint pair of kernels: `unfold` lays every
// window of a grid out as a column (im2col) and `fold` adds columns back where they were read
// (col2im). A convolution is then one batched GEMM over the columns; its gradient with respect
// to the input is a fold, with respect to the weight a GEMM; a transposed convolution is the
// fold of a GEMM. Since unfold's derivative is fold and fold's is unfold, every order of
// derivative of all of them is made of the same two kernels and matmul.
//
// Layouts are PyTorch's: x [N, C, ...spatial] with 1 to 3 spatial dims, conv weight
// [O, C/groups, ...k], transposed-conv weight [C, O/groups, ...k].
import { isRecording, record } from '../autodiff/tape.js';
import { contiguous, empty, kernel, raw } from '../backend/index.js';
import { meta } from '../backend/meta.js';
import { ArgumentError, ShapeError, expected, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { permute, reshape, transpose } from './movement.js';
import { max, mean } from './reduce.js';
import { asTensor, binaryOperands, floatOperand } from './operand.js';
import { registerOp } from './registry.js';
import { type Padding, type PerDim, type WindowOptions, type Windows, padPairs, perDim, positive, windows } from './window.js';

export type { PerDim, Padding, WindowOptions } from './window.js';

registerOp({ name: 'unfold', family: 'nn', kernels: ['im2col'], differentiable: true });
registerOp({ name: 'fold', family: 'nn', kernels: ['col2im'], differentiable: true });
registerOp({ name: 'conv', family: 'nn', kernels: ['im2col', 'matmul'], differentiable: true });
registerOp({ name: 'convTranspose', family: 'nn', kernels: ['col2im', 'matmul'], differentiable: true });
registerOp({ name: 'maxPool', family: 'nn', kernels: ['im2col', 'reduce:max'], differentiable: true });
registerOp({ name: 'meanPool', family: 'nn', kernels: ['im2col', 'reduce:sum'], differentiable: true });
const im2colK = kernel('im2col');
const col2imK = kernel('col2im');

/**
 * How im2col lays out its columns. 'windows': [N, C·∏K, L], each sample's windows (PyTorch's
 * unfold; pooling reduces over the ∏K dim). 'batch': [C·∏K, N·L], the batch inside every row, so
 * that a convolution over the whole batch is one large GEMM and its weight gradient another
 * (rather than N small ones).
 */
type Layout = 'windows' | 'batch';

function putWindows(N: number, C: number, w: Windows, layout: Layout): void {
  let p = 0;
  meta[p++] = w.nd;
  meta[p++] = layout === 'windows' ? 0 : 1;
  meta[p++] = N;
  meta[p++] = C;
  for (let d = 0; d < w.nd; d++) {
    meta[p++] = w.S[d];
    meta[p++] = w.K[d];
    meta[p++] = w.O[d];
    meta[p++] = w.stride[d];
    meta[p++] = w.lo[d];
    meta[p++] = w.dilation[d];
  }
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** im2col: x [N, C, ...S] → columns in the layout, L = ∏O; the backward rule is col2im. */
function im2col(x: Tensor, w: Windows, padValue: number, layout: Layout = 'windows'): Tensor {
  const [N, C] = x.shape;
  const c = contiguous(x);
  const CK = C * prod(w.K);
  const L = prod(w.O);
  const out = empty(layout === 'windows' ? [N, CK, L] : [CK, N * L], x.dtype, x.device);
  putWindows(N, C, w, layout);
  im2colK(raw(out), raw(c), padValue);
  if (isRecording()) record('unfold', out, [x], (g) => [() => col2im(g, w, N, C, layout)]);
  return out;
}

/** col2im: columns in the layout → [N, C, ...S], summing where windows overlap; the backward rule is im2col. */
function col2im(col: Tensor, w: Windows, N: number, C: number, layout: Layout = 'windows'): Tensor {
  const c = contiguous(col);
  const out = empty([N, C, ...w.S], col.dtype, col.device, true);
  putWindows(N, C, w, layout);
  col2imK(raw(out), raw(c));
  if (isRecording()) record('fold', out, [col], (g) => [() => im2col(g, w, 0, layout)]);
  return out;
}

/** x of shape [N, C, ...spatial] with 1 to 3 spatial dims. */
function grid(op: string, x: unknown, arg = 'x'): Tensor {
  const t = floatOperand(asTensor(op, arg, x));
  if (t.ndim < 3 || t.ndim > 5) throw new ShapeError(`${op}: expected ${arg} of shape [N, C, ...spatial] with 1 to 3 spatial dims, got ${shapeStr(t.shape)}`);
  return t;
}

/**
 * Every window of x as a column: x [N, C, ...S] → [N, C·∏k, L], L the number of windows
 * (PyTorch's F.unfold, for 1 to 3 spatial dims). `padValue` fills what padding adds (default 0).
 *
 * ```ts
 * unfold(arange(9).reshape([1, 1, 3, 3]), 2);   // Tensor [[[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]]
 * ```
 */
export function unfold(x: Tensor, k: PerDim, opts: WindowOptions & { padValue?: number } = {}): Tensor {
  const t = grid('unfold', x);
  const K = perDim('unfold', 'k', k, t.ndim - 2, 1);
  if (opts.padValue !== undefined && typeof opts.padValue !== 'number') throw expected('unfold', 'padValue', 'a number', opts.padValue);
  return im2col(t, windows('unfold', t.shape.slice(2), K, opts), opts.padValue ?? 0);
}

/**
 * The adjoint of unfold: columns [N, C·∏k, L] added back into a grid [N, C, ...outputSize]
 * (PyTorch's F.fold); where windows overlap their values sum.
 *
 * ```ts
 * fold(unfold(ones(1, 1, 3, 3), 2), [3, 3], 2);   // Tensor [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]: overlaps add up
 * ```
 */
export function fold(cols: Tensor, outputSize: readonly number[], k: PerDim, opts: WindowOptions = {}): Tensor {
  const t = floatOperand(asTensor('fold', 'cols', cols));
  if (!Array.isArray(outputSize) || outputSize.length < 1 || outputSize.length > 3 || !outputSize.every(positive))
    throw expected('fold', 'outputSize', '1 to 3 positive integers (the spatial size)', outputSize);
  const K = perDim('fold', 'k', k, outputSize.length, 1);
  const w = windows('fold', outputSize, K, opts);
  if (t.ndim !== 3 || t.shape[1] % prod(K) !== 0 || t.shape[2] !== prod(w.O))
    throw new ShapeError(`fold: expected cols of shape [N, C·${prod(K)}, ${prod(w.O)}] for output ${shapeStr(outputSize)}, got ${shapeStr(t.shape)}`);
  return col2im(t, w, t.shape[0], t.shape[1] / prod(K));
}

/**
 * Options of `conv` (and the windows': stride, pad, dilation): `groups` splits the channels into that many independent convolutions.
 *
 * ```ts
 * conv(ones(1, 4, 5, 5), ones(4, 1, 3, 3), { groups: 4 }).shape;   // [1, 4, 3, 3]: one filter per channel
 * ```
 */
export interface ConvOptions extends WindowOptions {
  groups?: number;
}

function groupsOf(op: string, g: unknown): number {
  if (g === undefined) return 1;
  if (!positive(g)) throw expected(op, 'groups', 'a positive integer', g);
  return g;
}

/**
 * Convolution (PyTorch's convNd, a cross-correlation): x [N, C, ...S], w [O, C/groups, ...k] →
 * [N, O, ...out]. `stride`, `dilation`: a number or one per spatial dim; `pad`: a number, one
 * per dim, a [lo, hi] pair per dim, or 'same' (stride 1). Differentiable to any order.
 *
 * ```ts
 * conv(ones(1, 1, 3, 3), ones(1, 1, 2, 2));   // Tensor [[[[4, 4], [4, 4]]]]
 * conv(randn(2, 3, 8, 8), randn(6, 3, 3, 3), { pad: 1, stride: 2 }).shape;   // [2, 6, 4, 4]
 * ```
 */
export function conv(x: Tensor, w: Tensor, opts: ConvOptions = {}): Tensor {
  let t = grid('conv', x);
  let wt = asTensor('conv', 'w', w);
  [t, wt] = binaryOperands('conv', t, floatOperand(wt));
  const nd = t.ndim - 2;
  const [N, C] = t.shape;
  const G = groupsOf('conv', opts.groups);
  if (wt.ndim !== t.ndim) throw new ShapeError(`conv: expected w of shape [O, C/groups, ...k] with ${nd} kernel dims, got ${shapeStr(wt.shape)} for x ${shapeStr(t.shape)}`);
  const O = wt.shape[0];
  if (C % G !== 0 || O % G !== 0) throw new ShapeError(`conv: groups ${G} must divide the input channels ${C} and the output channels ${O}`);
  if (wt.shape[1] !== C / G)
    throw new ShapeError(`conv: x ${shapeStr(t.shape)} has ${C} channels, so w needs ${C / G} input channels per group (groups ${G}), got w ${shapeStr(wt.shape)}`);
  const K = wt.shape.slice(2);
  const win = windows('conv', t.shape.slice(2), K, opts);
  const CK = (C / G) * prod(K);
  const L = prod(win.O);
  const cols = reshape(im2col(t, win, 0, 'batch'), [G, CK, N * L]);
  const y = matmul(reshape(wt, [G, O / G, CK]), cols); // [G, O/G, N·L]: one GEMM per group
  return reshape(permute(reshape(y, [O, N, L]), [1, 0, 2]), [N, O, ...win.O]);
}

/**
 * Options of `convTranspose`: conv's, and `outputPad`.
 *
 * ```ts
 * convTranspose(ones(1, 1, 3, 3), ones(1, 1, 3, 3), { stride: 2, pad: 1, outputPad: 1 }).shape;   // [1, 1, 6, 6]
 * ```
 */
export interface ConvTransposeOptions extends ConvOptions {
  /** Extra size added to one side of each output dim (PyTorch's output_padding): smaller than the stride or the dilation. */
  outputPad?: PerDim;
}

/**
 * Transposed convolution (PyTorch's conv_transposeNd), the adjoint of conv: x [N, C, ...S],
 * w [C, O/groups, ...k] → [N, O, ...out] with out = (S − 1)·stride − padLo − padHi +
 * dilation·(k − 1) + outputPad + 1.
 *
 * ```ts
 * convTranspose(ones(1, 1, 2, 2), ones(1, 1, 2, 2));   // Tensor [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]
 * convTranspose(randn(1, 4, 4, 4), randn(4, 2, 2, 2), { stride: 2 }).shape;   // [1, 2, 8, 8]
 * ```
 */
export function convTranspose(x: Tensor, w: Tensor, opts: ConvTransposeOptions = {}): Tensor {
  let t = grid('convTranspose', x);
  let wt = asTensor('convTranspose', 'w', w);
  [t, wt] = binaryOperands('convTranspose', t, floatOperand(wt));
  const nd = t.ndim - 2;
  const [N, C] = t.shape;
  const G = groupsOf('convTranspose', opts.groups);
  if (wt.ndim !== t.ndim) throw new ShapeError(`convTranspose: expected w of shape [C, O/groups, ...k] with ${nd} kernel dims, got ${shapeStr(wt.shape)}`);
  if (wt.shape[0] !== C) throw new ShapeError(`convTranspose: x ${shapeStr(t.shape)} has ${C} channels but w ${shapeStr(wt.shape)} is for ${wt.shape[0]}`);
  if (C % G !== 0) throw new ShapeError(`convTranspose: groups ${G} must divide the input channels ${C}`);
  const O = wt.shape[1] * G;
  const K = wt.shape.slice(2);
  const stride = perDim('convTranspose', 'stride', opts.stride, nd, 1);
  const dilation = perDim('convTranspose', 'dilation', opts.dilation, nd, 1);
  if (opts.pad === 'same') throw new ArgumentError("convTranspose: pad 'same' is for conv; give the padding");
  const pads = padPairs('convTranspose', opts.pad, nd, K, dilation, stride);
  const outPad =
    opts.outputPad === undefined ? new Array<number>(nd).fill(0) : typeof opts.outputPad === 'number' ? new Array<number>(nd).fill(opts.outputPad) : opts.outputPad.slice();
  if (outPad.length !== nd || outPad.some((p, d) => !Number.isInteger(p) || p < 0 || (p >= stride[d] && p >= dilation[d])))
    throw expected('convTranspose', 'outputPad', 'non-negative integers smaller than the stride or the dilation', opts.outputPad);
  const S = t.shape.slice(2);
  const out = S.map((s, d) => (s - 1) * stride[d] - pads[d][0] - pads[d][1] + dilation[d] * (K[d] - 1) + outPad[d] + 1);
  if (out.some((v) => v < 1)) throw new ShapeError(`convTranspose: the padding leaves no output (size ${shapeStr(out)})`);
  // the conv from the output grid to x's grid, whose adjoint this is
  const win: Windows = { nd, S: out, K, O: S, stride, lo: pads.map((p) => p[0]), hi: pads.map((p) => p[1]), dilation };
  const CK = (O / G) * prod(K);
  const L = prod(S);
  const xs = reshape(permute(reshape(t, [N, C, L]), [1, 0, 2]), [G, C / G, N * L]);
  const cols = matmul(transpose(reshape(wt, [G, C / G, CK])), xs); // [G, CK, N·L]
  return col2im(reshape(cols, [G * CK, N * L]), win, N, O, 'batch');
}

/**
 * Options of `maxPool` and `meanPool`.
 *
 * ```ts
 * maxPool(zeros(1, 1, 5, 5), 3, { stride: 1, pad: 1 }).shape;   // [1, 1, 5, 5]
 * ```
 */
export interface PoolOptions {
  /** Default: the window size (windows side by side). */
  stride?: PerDim;
  /** Zero (mean) or −∞ (max) padding; at most half the window. */
  pad?: Padding;
  dilation?: PerDim;
}

function pool(op: string, x: Tensor, k: PerDim, opts: PoolOptions, padValue: number): { cols: Tensor; out: number[] } {
  const t = grid(op, x);
  const nd = t.ndim - 2;
  const K = perDim(op, 'k', k, nd, 1);
  const win = windows(op, t.shape.slice(2), K, { stride: opts.stride ?? K, pad: opts.pad, dilation: opts.dilation });
  win.lo.forEach((lo, d) => {
    if (2 * Math.max(lo, win.hi[d]) > K[d]) throw new ShapeError(`${op}: the padding (${lo}, ${win.hi[d]}) must be at most half the window (${K[d]}) in spatial dim ${d}`);
  });
  const [N, C] = t.shape;
  return { cols: reshape(im2col(t, win, padValue), [N, C, prod(K), prod(win.O)]), out: [N, C, ...win.O] };
}

/**
 * Max pooling: the largest value of every window (padding counts as −∞). x [N, C, ...S].
 *
 * ```ts
 * maxPool(arange(16).reshape([1, 1, 4, 4]), 2);   // Tensor [[[[5, 7], [13, 15]]]]
 * ```
 */
export function maxPool(x: Tensor, k: PerDim, opts: PoolOptions = {}): Tensor {
  const { cols, out } = pool('maxPool', x, k, opts, Number.NEGATIVE_INFINITY);
  return reshape(max(cols, 2), out);
}

/**
 * Mean pooling: the mean of every window, padding counted as zeros (PyTorch's default, Flux's MeanPool).
 *
 * ```ts
 * meanPool(arange(16).reshape([1, 1, 4, 4]), [2, 2], { stride: 2 });   // Tensor [[[[2.5, 4.5], [10.5, 12.5]]]]
 * ```
 */
export function meanPool(x: Tensor, k: PerDim, opts: PoolOptions = {}): Tensor {
  const { cols, out } = pool('meanPool', x, k, opts, 0);
  return reshape(mean(cols, 2), out);
}
