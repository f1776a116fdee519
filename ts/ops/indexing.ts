// Indexing by tensors of positions: gather and scatterAdd along a dim (PyTorch's gather and
// scatter_add, each the other's gradient), topk (positions from a kernel, values a gather, so
// they differentiate like any gather), tril / triu (a where with a triangular mask), and
// multinomial sampling (seeded; Gumbel top-k without replacement, the running sum with it).
import { isRecording, record } from '../autodiff/tape.js';
import { contiguous, copyInto, empty, kernel, raw } from '../backend/index.js';
import { aroundDim } from '../backend/meta.js';
import { arange, rand } from '../creation.js';
import { ArgumentError, DeviceError, IndexError, ShapeError, expected, shapeStr } from '../errors.js';
import { RNG } from '../random.js';
import { normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, le, lt, minimum, mul, sub } from './binary.js';
import { cast } from './cast.js';
import { reshape, slice, transpose } from './movement.js';
import { asTensor, floatOperand } from './operand.js';
import { cumsum, max, min, sum } from './reduce.js';
import { registerOp } from './registry.js';
import { log, neg } from './unary.js';
import { where } from './where.js';

registerOp({ name: 'gather', family: 'movement', kernels: ['gather'], differentiable: true });
registerOp({ name: 'scatterAdd', family: 'movement', kernels: ['scatterAdd'], differentiable: true });
registerOp({ name: 'topk', family: 'reduce', kernels: ['topk'], differentiable: true });
for (const name of ['tril', 'triu']) registerOp({ name, family: 'movement', kernels: ['where'], differentiable: true });
registerOp({ name: 'multinomial', family: 'creation', kernels: ['topk', 'cumsum', 'random'], differentiable: false });
const gatherK = kernel('gather');
const scatterAddK = kernel('scatterAdd');
const topkK = kernel('topk');

/** An int32 tensor of positions on x's device, every one inside [0, n) (checked: the kernels trust it). */
function positions(op: string, index: unknown, x: Tensor, dim: number): Tensor {
  const idx = index instanceof Tensor ? asTensor(op, 'index', index) : undefined;
  if (idx === undefined) throw expected(op, 'index', 'an int32 Tensor of positions', index, IndexError);
  if (idx.dtype !== 'int32') throw new IndexError(`${op}: expected index to be an int32 tensor, got ${idx.dtype}`);
  if (idx.device !== x.device) throw new DeviceError(`${op}: index is on ${idx.device} but x is on ${x.device}`);
  if (idx.ndim !== x.ndim)
    throw new ShapeError(`${op}: expected index with the ${x.ndim} dims of x ${shapeStr(x.shape)}, got index ${shapeStr(idx.shape)}`);
  x.shape.forEach((s, d) => {
    if (d !== dim && idx.shape[d] !== s)
      throw new ShapeError(`${op}: index ${shapeStr(idx.shape)} and x ${shapeStr(x.shape)} must agree in every dim but ${dim}`);
  });
  if (idx.size > 0) {
    const n = x.shape[dim];
    const lo = min(idx).item();
    const hi = max(idx).item();
    if (lo < 0 || hi >= n) throw new IndexError(`${op}: index ${lo < 0 ? lo : hi} is out of range for dim ${dim} of size ${n}`);
  }
  return contiguous(idx);
}

/**
 * Picks along `dim` by a tensor of positions (PyTorch's gather): for dim 1 of a 3-D x,
 * out[i][j][k] = x[i][index[i][j][k]][k]. index is int32 with x's dims and sizes except along
 * `dim`, where it may have any length; the result has index's shape. The gradient adds the
 * cotangent back at the positions (scatterAdd).
 *
 * ```ts
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]], { dtype: 'int32' }));   // Tensor [[2], [3]]
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const t = asTensor('gather', 'x', x);
  if (t.ndim === 0) throw new ShapeError('gather: cannot index a 0-d tensor');
  const d = normDim('gather', dim, t.ndim);
  return gatherAt(t, d, positions('gather', index, t, d));
}

/**
 * x with `src` added at the positions `index` names along `dim` (PyTorch's scatter_add): for
 * dim 1, out[i][index[i][j][k]][k] += src[i][j][k]; repeated positions add up. index and src
 * have one shape, x's except along `dim`. Gradients: the cotangent for x, its gather for src.
 *
 * ```ts
 * scatterAdd(zeros(3), 0, tensor([0, 2, 0], { dtype: 'int32' }), tensor([1, 2, 3]));   // Tensor [4, 0, 2]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const t = asTensor('scatterAdd', 'x', x);
  const s = asTensor('scatterAdd', 'src', src);
  if (t.ndim === 0) throw new ShapeError('scatterAdd: cannot index a 0-d tensor');
  if (s.dtype !== t.dtype) throw new ShapeError(`scatterAdd: src is ${s.dtype} but x is ${t.dtype}`);
  if (s.device !== t.device) throw new DeviceError(`scatterAdd: src is on ${s.device} but x is on ${t.device}`);
  const d = normDim('scatterAdd', dim, t.ndim);
  const idx = positions('scatterAdd', index, t, d);
  if (s.ndim !== idx.ndim || s.shape.some((v, i) => v !== idx.shape[i]))
    throw new ShapeError(`scatterAdd: src ${shapeStr(s.shape)} and index ${shapeStr(idx.shape)} must have one shape`);
  return scatterAddAt(t, d, idx, s);
}

// The kernels behind gather and scatterAdd, for positions already checked (contiguous int32 on
// x's device, in range, shaped to fit). The two gradients and topk call these: checking the
// positions reads them back from the device, and theirs are known good.

function gatherAt(t: Tensor, d: number, idx: Tensor): Tensor {
  const c = contiguous(t);
  const out = empty(idx.shape, t.dtype, t.device);
  const { outer, n, inner } = aroundDim(t.shape, d);
  gatherK(raw(out), raw(c), raw(idx), outer, n, inner, idx.shape[d]);
  if (isRecording() && t.dtype !== 'int32') record('gather', out, [t], (g, [a]) => [() => scatterAddAt(zerosOf(a), d, idx, g)]);
  return out;
}

function scatterAddAt(t: Tensor, d: number, idx: Tensor, s: Tensor): Tensor {
  const out = empty(t.shape, t.dtype, t.device);
  copyInto(t, out);
  const { outer, n, inner } = aroundDim(t.shape, d);
  scatterAddK(raw(out), raw(contiguous(s)), raw(idx), outer, n, inner, idx.shape[d]);
  if (isRecording() && t.dtype !== 'int32') record('scatterAdd', out, [t, s], (g) => [() => g, () => gatherAt(g, d, idx)]);
  return out;
}

function zerosOf(a: Tensor): Tensor {
  return empty(a.shape, a.dtype, a.device, true);
}

/**
 * The k largest entries along `dim` (default the last) and their positions, best first (ties by
 * position; NaN counts as the largest): `{ values, indices }`, indices int32. `largest: false`
 * gives the k smallest. The values differentiate as a gather of x.
 *
 * ```ts
 * const { values, indices } = topk(tensor([1, 5, 3, 4]), 2);
 * values;   // Tensor [5, 4]
 * indices;   // Tensor [1, 3]
 * topk(tensor([1, 5, 3, 4]), 1, { largest: false }).values;   // Tensor [1]
 * ```
 */
export function topk(x: Tensor, k: number, opts: { dim?: number; largest?: boolean } = {}): { values: Tensor; indices: Tensor } {
  const t = asTensor('topk', 'x', x);
  if (t.ndim === 0) return topk(reshape(t, [1]), k, { ...opts, dim: 0 });
  const d = normDim('topk', opts.dim ?? -1, t.ndim);
  const n = t.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > n) throw expected('topk', 'k', `an integer from 0 to ${n} (the size of dim ${d})`, k, ArgumentError);
  // the kernel works on rows: move dim last, and the positions back
  const rows = contiguous(transpose(t, d, -1));
  const idxRows = empty([...rows.shape.slice(0, -1), k], 'int32', t.device);
  topkK(raw(idxRows), raw(rows), n, k, opts.largest !== false);
  const indices = contiguous(transpose(idxRows, d, -1));
  return { values: gatherAt(t, d, indices), indices };
}

/** The triangle mask cols − rows ≤ k (lower) or ≥ k (upper) of x's last two dims, on x's device. */
function triangle(op: string, x: Tensor, k: number, lower: boolean): Tensor {
  if (x.ndim < 2) throw new ShapeError(`${op}: expected at least 2 dims, got ${shapeStr(x.shape)}`);
  if (!Number.isInteger(k)) throw expected(op, 'k', 'an integer (the diagonal: 0 main, > 0 above, < 0 below)', k);
  const [M, N] = x.shape.slice(-2);
  const rows = reshape(arange(M, { dtype: 'int32', device: x.device }), [M, 1]);
  const cols = reshape(arange(N, { dtype: 'int32', device: x.device }), [1, N]);
  const offset = sub(cols, rows);
  return lower ? le(offset, k) : le(neg(offset), -k);
}

/**
 * The lower triangle of the last two dims (on and below diagonal k), zeros above: torch.tril.
 *
 * ```ts
 * tril(ones(3, 3));   // Tensor [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
 * tril(ones(2, 2), -1);   // Tensor [[0, 0], [1, 0]]
 * ```
 */
export function tril(x: Tensor, k = 0): Tensor {
  const t = asTensor('tril', 'x', x);
  return where(triangle('tril', t, k, true), t, 0);
}

/**
 * The upper triangle of the last two dims (on and above diagonal k), zeros below: torch.triu.
 *
 * ```ts
 * triu(ones(2, 2));   // Tensor [[1, 1], [0, 1]]
 * triu(ones(2, 2), 1);   // Tensor [[0, 1], [0, 0]]
 * ```
 */
export function triu(x: Tensor, k = 0): Tensor {
  const t = asTensor('triu', 'x', x);
  return where(triangle('triu', t, k, false), t, 0);
}

/**
 * `samples` category positions drawn from each row of non-negative weights `probs` [..., K]
 * (normalised or not), int32 [..., samples]: torch.multinomial. Without replacement (the
 * default) each row's samples differ (Gumbel top-k: the k largest of log p + Gumbel noise);
 * with `replacement: true` each is an independent draw. Seeded by `rng` (default the global one).
 *
 * ```ts
 * multinomial(tensor([[0, 0, 1], [1, 0, 0]]));   // Tensor [[2], [0]]
 * multinomial(tensor([1, 1, 1, 1]), 3, { rng: RNG(0) }).shape;   // [3]
 * ```
 */
export function multinomial(probs: Tensor, samples = 1, opts: { replacement?: boolean; rng?: RNG } = {}): Tensor {
  const p = floatOperand(asTensor('multinomial', 'probs', probs));
  if (p.ndim < 1) throw new ShapeError('multinomial: expected probs with at least 1 dim (the categories last), got a 0-d tensor');
  const K = p.shape[p.ndim - 1];
  if (!Number.isInteger(samples) || samples < 1) throw expected('multinomial', 'samples', 'a positive integer', samples, ArgumentError);
  if (opts.rng !== undefined && !(opts.rng instanceof RNG)) throw expected('multinomial', 'rng', 'an RNG', opts.rng);
  if (p.size === 0) throw new ShapeError(`multinomial: expected categories to draw from, got probs ${shapeStr(p.shape)}`);
  if (!(min(p).item() >= 0) || !Number.isFinite(max(p).item()))
    throw new ArgumentError('multinomial: expected finite, non-negative weights in probs');
  const fewest = min(sum(cast(lt(0, p), 'int32'), -1)).item(); // positive weights in the sparsest row
  if (fewest === 0) throw new ArgumentError('multinomial: a row of probs has no positive weight');
  const replacement = opts.replacement === true;
  if (!replacement && fewest < samples)
    throw new ArgumentError(`multinomial: cannot draw ${samples} different categories from a row with only ${fewest} positive weights (replacement is false)`);
  const rest = p.shape.slice(0, -1);
  const rng = opts.rng;
  if (!replacement) {
    // P(the k largest of log pᵢ + Gᵢ are S, in order) is sampling without replacement
    const u = rand([...rest, K], { dtype: 'float64', rng, device: p.device });
    const gumbel = neg(log(neg(log(add(u, Number.MIN_VALUE)))));
    return topk(add(log(cast(p, 'float64')), gumbel), samples).indices;
  }
  // inverse transform: the first category whose running sum exceeds u·total
  const cdf = cumsum(cast(p, 'float64'), -1);
  const total = reshape(slice(cdf, -1, K - 1, K), [...rest, 1, 1]);
  const u = reshape(rand([...rest, samples], { dtype: 'float64', rng, device: p.device }), [...rest, samples, 1]);
  const below = sum(cast(le(reshape(cdf, [...rest, 1, K]), mul(u, total)), 'int32'), -1);
  return minimum(below, K - 1); // u·total rounding up to the total
}
