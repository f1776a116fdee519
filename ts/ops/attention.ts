// Scaled dot-product attention, composed from matmul and softmax (so every order of derivative
// is theirs): softmax(q kᵀ · scale + bias) v, where the bias is 0 where a query may attend to a
// key and −∞ where it may not. Masked entries then get weight 0 and gradient 0.
import { arange, full } from '../creation.js';
import { ArgumentError, ShapeError, expected, shapeStr } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, gt, mul, ne } from './binary.js';
import { cast } from './cast.js';
import { matmul } from './matmul.js';
import { reshape, transpose } from './movement.js';
import { asTensor, binaryOperands, floatOperand } from './operand.js';
import { max, min, softmax } from './reduce.js';
import { registerOp } from './registry.js';
import { where } from './where.js';

registerOp({ name: 'dotProductAttention', family: 'nn', kernels: ['matmul', 'softmax'], differentiable: true });

/**
 * Options of `dotProductAttention`: a mask, causal attention, the scale of the scores, and a function
 * applied to the attention weights (dropout).
 *
 * ```ts
 * const q = randn(1, 3, 4);
 * dotProductAttention(q, q, q, { causal: true, scale: 0.5 }).shape;   // [1, 3, 4]
 * dotProductAttention(q, q, q, { mask: tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]]) }).shape;   // [1, 3, 4]: the same as causal
 * ```
 */
export interface AttentionOptions {
  /** Broadcastable to [..., Lq, Lk]: nonzero (true) where the query may attend to the key. */
  mask?: Tensor;
  /** Query i attends to keys 0..i only (the keys' positions align with the queries' from the start). */
  causal?: boolean;
  /** Multiplies q kᵀ; default 1/√d. */
  scale?: number;
  /** Applied to the attention weights before they weigh v (dropout), e.g. by MultiHeadAttention. */
  weights?: (w: Tensor) => Tensor;
}

/** 0 where allowed, −∞ where not, shaped to broadcast against the scores [..., Lq, Lk]. */
function maskBias(q: Tensor, Lq: number, Lk: number, scoresShape: number[], o: AttentionOptions): Tensor | null {
  let allowed: Tensor | null = null;
  if (o.mask !== undefined && o.mask !== null) {
    if (!(o.mask instanceof Tensor)) throw expected('dotProductAttention', 'mask', 'a Tensor (nonzero where a query may attend)', o.mask);
    const m = asTensor('dotProductAttention', 'mask', o.mask);
    if (m.device !== q.device) throw new ShapeError(`dotProductAttention: mask is on ${m.device} but q is on ${q.device}`);
    let shape: number[];
    try {
      shape = broadcastShapes('dotProductAttention', m.shape, scoresShape);
    } catch {
      throw new ShapeError(`dotProductAttention: mask ${shapeStr(m.shape)} does not broadcast to the scores [..., Lq, Lk] = ${shapeStr(scoresShape)}`);
    }
    if (shape.length !== scoresShape.length || shape.some((s, i) => s !== scoresShape[i]))
      throw new ShapeError(`dotProductAttention: mask ${shapeStr(m.shape)} does not broadcast to the scores [..., Lq, Lk] = ${shapeStr(scoresShape)}`);
    allowed = cast(ne(m, 0), 'int32');
  }
  if (o.causal === true) {
    const rows = reshape(arange(Lq, { dtype: 'int32', device: q.device }), [Lq, 1]);
    const cols = reshape(arange(Lk, { dtype: 'int32', device: q.device }), [1, Lk]);
    const past = cast(gt(add(rows, 1), cols), 'int32'); // key j ≤ query i
    allowed = allowed === null ? past : mul(allowed, past);
  }
  if (allowed === null) return null;
  // a query with no key to attend to would give 0/0; say so instead of returning NaN (only a
  // mask can do that: causal alone always leaves key 0, and reading back costs a sync per call)
  if (o.mask !== undefined && o.mask !== null && allowed.size > 0 && min(max(allowed, -1)).item() === 0)
    throw new ArgumentError('dotProductAttention: the mask leaves a query with no key to attend to (a row of the mask is all false)');
  return where(allowed, full([1], 0, { dtype: q.dtype, device: q.device }), Number.NEGATIVE_INFINITY);
}

/**
 * softmax(q kᵀ · scale, masked) v for q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv] (leading
 * dims broadcast): [..., Lq, dv]. `mask` (broadcastable to [..., Lq, Lk], nonzero = may attend)
 * and `causal` restrict the keys; a query left with no key is an error, not NaN. `scale`
 * defaults to 1/√d.
 *
 * ```ts
 * dotProductAttention(tensor([[1, 0]]), tensor([[1, 0], [1, 0]]), tensor([[1, 2], [3, 4]]));   // Tensor [[2, 3]]: equal scores, the mean of v
 * dotProductAttention(ones(2, 2), ones(2, 2), tensor([[1, 1], [3, 3]]), { causal: true });   // Tensor [[1, 1], [2, 2]]
 * dotProductAttention(randn(2, 4, 5, 8), randn(2, 4, 7, 8), randn(2, 4, 7, 16)).shape;   // [2, 4, 5, 16]
 * ```
 */
export function dotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  let qt = floatOperand(asTensor('dotProductAttention', 'q', q));
  let kt = asTensor('dotProductAttention', 'k', k);
  let vt = asTensor('dotProductAttention', 'v', v);
  [qt, kt] = binaryOperands('dotProductAttention', qt, kt);
  [qt, vt] = binaryOperands('dotProductAttention', qt, vt);
  if (opts === null || typeof opts !== 'object') throw expected('dotProductAttention', 'options', '{ mask, causal, scale }', opts);
  for (const [name, t] of [['q', qt], ['k', kt], ['v', vt]] as const)
    if (t.ndim < 2) throw new ShapeError(`dotProductAttention: expected ${name} of shape [..., L, d], got ${shapeStr(t.shape)}`);
  const d = qt.shape[qt.ndim - 1];
  const Lq = qt.shape[qt.ndim - 2];
  const Lk = kt.shape[kt.ndim - 2];
  if (kt.shape[kt.ndim - 1] !== d) throw new ShapeError(`dotProductAttention: q ${shapeStr(qt.shape)} and k ${shapeStr(kt.shape)} must share the last dim d`);
  if (vt.shape[vt.ndim - 2] !== Lk) throw new ShapeError(`dotProductAttention: k ${shapeStr(kt.shape)} and v ${shapeStr(vt.shape)} must have the same number of keys`);
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw expected('dotProductAttention', 'scale', 'a finite number', opts.scale);
  // scaled on q ([..., Lq, d]) rather than on the scores ([..., Lq, Lk]): the smaller pass
  let scores = matmul(mul(qt, scale), transpose(kt)); // [..., Lq, Lk]
  const bias = maskBias(qt, Lq, Lk, scores.shape.slice(), opts);
  if (bias !== null) scores = add(scores, bias);
  let weights = softmax(scores, -1);
  if (opts.weights) weights = opts.weights(weights);
  return matmul(weights, vt);
}
