// Loss functions, Flux style: prediction first, target second, `agg` (default mean)
// reduces over the batch. The class dim is the LAST dim (batch comes first).
// Targets may be one-hot / probabilities, or integer labels where that makes sense.
import { arange, tensor } from '../creation.js';
import { ArgumentError, ShapeError, expected, shapeStr } from '../errors.js';
import { abs, log, softplus } from '../ops/unary.js';
import { logsoftmax } from '../ops/reduce.js';
import { add, eq, lt, minimum, mul, squaredDifference, sub } from '../ops/binary.js';
import { asTensor } from '../ops/operand.js';
import { cast } from '../ops/cast.js';
import { reshape, to, unsqueeze } from '../ops/movement.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * How per-sample losses are combined: 'mean' (default), 'sum', 'none', or a function.
 *
 * ```ts
 * mse(tensor([1, 2]), 0, { agg: 'sum' }).item();   // 5
 * mse(tensor([1, 2]), 0, { agg: 'none' });   // Tensor [1, 4]
 * mse(tensor([1, 2]), 0, { agg: (x) => x.max() }).item();   // 4
 * ```
 */
export type Agg = 'mean' | 'sum' | 'none' | ((x: Tensor) => Tensor);

/**
 * Options of the losses: how the per-sample losses are combined (`agg`, default 'mean').
 *
 * ```ts
 * mae(tensor([1, -3]), 0, { agg: 'sum' }).item();   // 4
 * ```
 */
export interface LossOptions {
  agg?: Agg;
}

function aggregate(op: string, x: Tensor, agg: Agg = 'mean'): Tensor {
  if (agg === 'mean') return x.mean();
  if (agg === 'sum') return x.sum();
  if (agg === 'none') return x;
  if (typeof agg === 'function') return agg(x);
  throw expected(op, 'agg', "'mean', 'sum', 'none' or a function", agg);
}

function pair(op: string, yhat: unknown, y: unknown): [Tensor, Tensor] {
  const p = asTensor(op, 'prediction', yhat);
  let t = y instanceof Tensor ? y : typeof y === 'number' ? tensor(y, { dtype: p.dtype, device: p.device }) : asTensor(op, 'target', y);
  if (t.dtype !== p.dtype) t = cast(t, p.dtype);
  if (t.device !== p.device) t = to(t, p.device);
  return [p, checkSizes(op, p, t)];
}

/**
 * Flux's `_check_sizes`: prediction and target agree in every dim counted from the first (the
 * batch), a missing trailing dim counting as 1, so [N, 1] against [N] is fine but [6, 3]
 * against [3] is an error (broadcasting would have compared every row with the one target).
 * A 0-d target (a number) goes with anything. Returns the target in the prediction's shape.
 */
function checkSizes(op: string, p: Tensor, t: Tensor): Tensor {
  if (t.ndim === 0 || sameShape(p.shape, t.shape)) return t;
  const n = Math.max(p.ndim, t.ndim);
  for (let d = 0; d < n; d++)
    if ((p.shape[d] ?? 1) !== (t.shape[d] ?? 1))
      throw new ShapeError(`${op}: prediction ${shapeStr(p.shape)} and target ${shapeStr(t.shape)} differ in dim ${d} (${p.shape[d] ?? 1} vs ${t.shape[d] ?? 1}); give the target the prediction's shape`);
  return reshape(t, p.shape);
}

function sameShapes(op: string, p: Tensor, t: Tensor): void {
  if (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i]))
    throw new ShapeError(`${op}: prediction ${shapeStr(p.shape)} and target ${shapeStr(t.shape)} must have the same shape`);
}

/**
 * Class targets: one-hot / probabilities shaped like the prediction, or integer labels
 * (an int32 tensor or number[] with one label per row) turned into one-hot.
 */
function classTarget(op: string, p: Tensor, y: unknown): Tensor {
  const k = p.shape[p.ndim - 1];
  if (Array.isArray(y) || (y instanceof Tensor && y.ndim === p.ndim - 1)) {
    let labels = y instanceof Tensor ? y : tensor(y as number[], { dtype: 'int32', device: p.device });
    if (labels.ndim !== p.ndim - 1 || labels.shape.some((d, i) => d !== p.shape[i]))
      throw new ShapeError(`${op}: ${labels.size} labels of shape ${shapeStr(labels.shape)} for predictions of shape ${shapeStr(p.shape)}`);
    if (labels.device !== p.device) labels = to(labels, p.device);
    checkLabels(op, labels, k);
    // one-hot where the data is (no trip through JavaScript): labels[..., None] == [0, 1, ..., k-1]
    const classes = arange(k, { dtype: p.dtype, device: p.device });
    return eq(unsqueeze(cast(labels, p.dtype), -1), classes);
  }
  const t = asTensor(op, 'target', y);
  sameShapes(op, p, t);
  return to(t.dtype === p.dtype ? t : cast(t, p.dtype), p.device);
}

/** Labels must be integers in [0, k): one reduction to check, the offending value only on failure. */
function checkLabels(op: string, labels: Tensor, k: number): void {
  if (labels.size === 0) return;
  const ok = labels.min().item() >= 0 && labels.max().item() < k && (labels.dtype === 'int32' || labels.sub(cast(labels, 'int32')).abs().max().item() === 0);
  if (ok) return;
  const bad = Array.from(labels.data()).find((v) => !Number.isInteger(v) || v < 0 || v >= k);
  throw new ArgumentError(`${op}: label ${bad} is not an integer in [0, ${k})`);
}

/** Per-sample values over the class dim: sum over the last dim (keeps the batch dims). */
function perSample(x: Tensor): Tensor {
  return x.ndim === 0 ? x : x.sum(-1);
}

/**
 * Mean squared error.
 *
 * ```ts
 * mse(tensor([1, 2]), tensor([1, 4])).item();   // 2
 * ```
 */
export function mse(yhat: Tensor, y: Tensor | number, opts: LossOptions = {}): Tensor {
  const [p, t] = pair('mse', yhat, y);
  return aggregate('mse', squaredDifference(p, t), opts.agg);
}

/**
 * Mean absolute error.
 *
 * ```ts
 * mae(tensor([1, 2]), tensor([1, 4])).item();   // 1
 * ```
 */
export function mae(yhat: Tensor, y: Tensor | number, opts: LossOptions = {}): Tensor {
  const [p, t] = pair('mae', yhat, y);
  return aggregate('mae', abs(sub(p, t)), opts.agg);
}

/**
 * Huber loss: quadratic within δ (default 1) of the target, linear outside.
 *
 * ```ts
 * huberLoss(tensor([0.5, 3]), tensor([0, 0])).item();   // 1.3125
 * huberLoss(tensor([3]), 0, { delta: 2 }).item();   // 4
 * ```
 */
export function huberLoss(yhat: Tensor, y: Tensor | number, opts: LossOptions & { delta?: number } = {}): Tensor {
  const [p, t] = pair('huberLoss', yhat, y);
  const delta = opts.delta ?? 1;
  const a = abs(sub(p, t));
  const q = minimum(a, delta);
  // 0.5 q² + δ (|d| − q): equals 0.5 d² inside, δ(|d| − δ/2) outside, smooth at the seam
  return aggregate('huberLoss', add(mul(mul(q, q), 0.5), mul(sub(a, q), delta)), opts.agg);
}

/**
 * Cross entropy of probabilities ŷ against one-hot (or label) targets: −Σ y log(ŷ + ε).
 *
 * ```ts
 * crossEntropy(tensor([[0.5, 0.5], [0.9, 0.1]]), [0, 0]).item();   // 0.3993
 * crossEntropy(tensor([[0.5, 0.5]]), tensor([[0, 1]])).item();   // 0.6931: one-hot targets
 * ```
 */
export function crossEntropy(yhat: Tensor, y: Tensor | number[], opts: LossOptions & { eps?: number } = {}): Tensor {
  const p = asTensor('crossEntropy', 'prediction', yhat);
  const t = classTarget('crossEntropy', p, y);
  const eps = opts.eps ?? (p.dtype === 'float64' ? 1e-12 : 1e-7);
  return aggregate('crossEntropy', perSample(mul(t, log(add(p, eps)))).neg(), opts.agg);
}

/**
 * Cross entropy of logits (softmax applied inside, stably via logsoftmax).
 *
 * ```ts
 * logitCrossEntropy(tensor([[0, 0]]), [1]).item();   // 0.6931
 * logitCrossEntropy(tensor([[2, 0, 0]]), tensor([0], { dtype: 'int32' })).item();   // 0.2395
 * ```
 */
export function logitCrossEntropy(logits: Tensor, y: Tensor | number[], opts: LossOptions = {}): Tensor {
  const p = asTensor('logitCrossEntropy', 'prediction', logits);
  const t = classTarget('logitCrossEntropy', p, y);
  return aggregate('logitCrossEntropy', perSample(mul(t, logsoftmax(p, -1))).neg(), opts.agg);
}

/**
 * Binary cross entropy of probabilities: −y log(ŷ + ε) − (1 − y) log(1 − ŷ + ε).
 *
 * ```ts
 * binaryCrossEntropy(tensor([0.5, 0.9]), tensor([1, 1])).item();   // 0.3993
 * ```
 */
export function binaryCrossEntropy(yhat: Tensor, y: Tensor | number, opts: LossOptions & { eps?: number } = {}): Tensor {
  const [p, t] = pair('binaryCrossEntropy', yhat, y);
  const eps = opts.eps ?? (p.dtype === 'float64' ? 1e-12 : 1e-7);
  const l = add(mul(t, log(add(p, eps))), mul(sub(1, t), log(add(sub(1, p), eps)))).neg();
  return aggregate('binaryCrossEntropy', l, opts.agg);
}

/**
 * Binary cross entropy of logits, stable: softplus(x) − x·y.
 *
 * ```ts
 * logitBinaryCrossEntropy(tensor([0]), tensor([1])).item();   // 0.6931
 * ```
 */
export function logitBinaryCrossEntropy(logits: Tensor, y: Tensor | number, opts: LossOptions = {}): Tensor {
  const [p, t] = pair('logitBinaryCrossEntropy', logits, y);
  return aggregate('logitBinaryCrossEntropy', sub(softplus(p), mul(p, t)), opts.agg);
}

/**
 * KL divergence of the target distribution y from the prediction ŷ: Σ y (log y − log ŷ), per sample.
 *
 * ```ts
 * kldivergence(tensor([[0.5, 0.5]]), tensor([[0.5, 0.5]])).item();   // 0
 * kldivergence(tensor([[0.25, 0.75]]), tensor([[0.5, 0.5]])).item();   // 0.1438
 * ```
 */
export function kldivergence(yhat: Tensor, y: Tensor, opts: LossOptions & { eps?: number } = {}): Tensor {
  const [p, t] = pair('kldivergence', yhat, y);
  sameShapes('kldivergence', p, t);
  const eps = opts.eps ?? (p.dtype === 'float64' ? 1e-12 : 1e-7);
  // 0·log 0 = 0: the entropy term uses y + ε inside the log only where y > 0 matters
  const ent = mul(t, log(add(t, mul(lt(t, eps), eps))));
  return aggregate('kldivergence', perSample(sub(ent, mul(t, log(add(p, eps))))), opts.agg);
}
