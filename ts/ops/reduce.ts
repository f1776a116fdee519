// Reductions over any set of dims (keepdims optional), argmax, softmax and logsoftmax, and
// their inverse, broadcasting (expand): sum's derivative is an expand and expand's a sum, so
// the two live together.
import { isRecording, record } from '../autodiff/tape.js';
import { contiguous, empty, kernel, opCode, raw } from '../backend/index.js';
import { aroundDim, meta, putOperands, putShape, putView } from '../backend/meta.js';
import { ShapeError, shapeStr } from '../errors.js';
import { type ShapeArgs, broadcastShapes, checkShape, dimsArg, normDim, normDims, numel, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { div, eq, mul, sub } from './binary.js';
import { notMethod } from './methods.js';
import { reshape } from './movement.js';
import { asTensor, floatOperand } from './operand.js';
import { registerOp } from './registry.js';
import { exp, sqrt } from './unary.js';
import { where } from './where.js';

/**
 * A dim, a list of dims, or undefined/null for all dims.
 *
 * ```ts
 * sum(ones(2, 3, 4), [0, 2]);   // Tensor [8, 8, 8]
 * sum(ones(2, 3), null).item();   // 6
 * ```
 */
export type Dims = number | readonly number[] | null | undefined;

for (const name of ['sum', 'mean', 'max', 'min'])
  registerOp({ name, family: 'reduce', kernels: [`reduce:${name === 'mean' ? 'sum' : name}`], differentiable: true });
registerOp({ name: 'argmax', family: 'reduce', kernels: ['argmax'], differentiable: false });
registerOp({ name: 'softmax', family: 'nn', kernels: ['softmax'], differentiable: true });
registerOp({ name: 'logsoftmax', family: 'nn', kernels: ['softmax'], differentiable: true });
registerOp({ name: 'expand', family: 'movement', kernels: [], differentiable: true });
registerOp({ name: 'cumsum', family: 'reduce', kernels: ['cumsum'], differentiable: true });
const reduceK = kernel('reduce');
const argmaxK = kernel('argmax');
const softmaxK = kernel('softmax');
const cumsumK = kernel('cumsum');

/** ndim, shape, x offset + strides, then one reduced flag per dim. */
function putReduce(x: Tensor, mask: readonly boolean[]): void {
  let p = putShape(0, x.shape);
  p = putView(p, x, x.shape);
  for (let i = 0; i < mask.length; i++) meta[p++] = mask[i] ? 1 : 0;
}


interface ReduceCtx {
  mask: boolean[];
  keepShape: number[]; // the input shape with reduced dims set to 1
}

function shapes(x: Tensor, mask: boolean[], keepdims: boolean) {
  const keepShape = x.shape.map((d, i) => (mask[i] ? 1 : d));
  const kept = x.shape.filter((_, i) => !mask[i]);
  return { keepShape, outShape: keepdims ? keepShape : kept, kept };
}

function reduceOp(name: 'sum' | 'mean' | 'max' | 'min', xIn: Tensor, dims: Dims, keepdims: boolean): Tensor {
  let x = asTensor(name, 'x', xIn);
  if (name === 'mean') x = floatOperand(x);
  const mask = normDims(name, dims, x.ndim);
  const { keepShape, outShape, kept } = shapes(x, mask, keepdims);
  const count = numel(x.shape) / Math.max(1, numel(kept));
  if ((name === 'max' || name === 'min') && x.size === 0 && (numel(kept) > 0 || kept.length === 0))
    throw new ShapeError(`${name}: cannot reduce over an empty dimension (shape ${shapeStr(x.shape)})`);
  const code = opCode('reduce', name === 'mean' ? 'sum' : name);
  const scale = name === 'mean' ? 1 / count : 1;
  let out = empty(kept, x.dtype, x.device);
  putReduce(x, mask);
  reduceK(raw(out), raw(x), code, scale);
  if (keepdims) out = reshape(out, outShape);
  if (isRecording()) {
    const ctx: ReduceCtx = { mask, keepShape };
    if (name === 'sum' || name === 'mean')
      record(name, out, [x], (g, [a]) => [() => expand(reshape(name === 'mean' ? mul(g, scale) : g, ctx.keepShape), a.shape)], ctx);
    else
      record(name, out, [x], (g, [a], y) => [
        () => {
          // Ties share the gradient evenly.
          const hit = eq(a, reshape(y, ctx.keepShape));
          const n = sum(hit, dimsOf(ctx.mask), true);
          return mul(hit, reshape(div(g, reshape(n, y.shape)), ctx.keepShape));
        },
      ], ctx);
  }
  return out;
}

function dimsOf(mask: boolean[]): number[] {
  const d: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) d.push(i);
  return d;
}

/**
 * Sum over `dims` (all when omitted).
 *
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * sum(x).item();   // 10
 * sum(x, 0);   // Tensor [4, 6]
 * x.sum(1, true).shape;   // [2, 1]
 * ```
 */
export function sum(x: Tensor, dims?: Dims, keepdims = false): Tensor {
  return reduceOp('sum', x, dims, keepdims);
}
/**
 * Mean over `dims` (all when omitted); int32 input is averaged in float32.
 *
 * ```ts
 * mean(tensor([[1, 2], [3, 4]]), 1);   // Tensor [1.5, 3.5]
 * mean(tensor([1, 2], { dtype: 'int32' })).dtype;   // 'float32'
 * ```
 */
export function mean(x: Tensor, dims?: Dims, keepdims = false): Tensor {
  return reduceOp('mean', x, dims, keepdims);
}
/**
 * Maximum over `dims`; the gradient is shared evenly among tied maxima.
 *
 * ```ts
 * max(tensor([[1, 5], [3, 4]]), 1);   // Tensor [5, 4]
 * gradient((x: Tensor) => max(x), tensor([2, 2, 1]))[0];   // Tensor [0.5, 0.5, 0]: shared by the tie
 * ```
 */
export function max(x: Tensor, dims?: Dims, keepdims = false): Tensor {
  return reduceOp('max', x, dims, keepdims);
}
/**
 * Minimum over `dims`; the gradient is shared evenly among tied minima.
 *
 * ```ts
 * min(tensor([[1, 5], [3, 4]]), 0);   // Tensor [1, 4]
 * ```
 */
export function min(x: Tensor, dims?: Dims, keepdims = false): Tensor {
  return reduceOp('min', x, dims, keepdims);
}

/**
 * Index of the largest element along `dim` (int32; of the flattened tensor when dim is omitted).
 *
 * ```ts
 * argmax(tensor([[1, 5], [4, 3]]), 1);   // Tensor [1, 0]
 * argmax(tensor([[1, 5], [7, 4]])).item();   // 2: of the flattened tensor
 * ```
 */
export function argmax(x: Tensor, dim?: number, keepdims = false): Tensor {
  return argBest('argmax', asTensor('argmax', 'x', x), dim, keepdims);
}

/**
 * Index of the smallest element along `dim`.
 *
 * ```ts
 * argmin(tensor([[1, 5], [3, 0]]), 1);   // Tensor [0, 1]
 * ```
 */
export function argmin(x: Tensor, dim?: number, keepdims = false): Tensor {
  return argBest('argmin', asTensor('argmin', 'x', x), dim, keepdims);
}

// One body for both, so that errors name the op that was called (argmin used to report
// them as argmax's). argmin is the argmax of -x.
function argBest(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdims: boolean): Tensor {
  if (x.size === 0) throw new ShapeError(`${op}: cannot take the ${op} of an empty tensor (shape ${shapeStr(x.shape)})`);
  let t = op === 'argmin' ? mul(x, -1) : x;
  if (dim === undefined || dim === null) {
    t = reshape(t, [t.size]);
    const out = argmaxOf(t, 0, []);
    return keepdims ? reshape(out, x.shape.map(() => 1)) : out;
  }
  const d = normDim(op, dim, t.ndim);
  const outShape = t.shape.filter((_, i) => i !== d);
  const out = argmaxOf(t, d, outShape);
  return keepdims ? reshape(out, t.shape.map((s, i) => (i === d ? 1 : s))) : out;
}

function argmaxOf(x: Tensor, dim: number, outShape: readonly number[]): Tensor {
  const out = empty(outShape, 'int32', x.device);
  putOperands(x.shape, x);
  argmaxK(raw(out), raw(x), dim);
  return out;
}

/** softmax or logsoftmax along dim, through the kernel (over a contiguous copy of x when needed). */
function softmaxOf(log: boolean, x: Tensor, dim: number): Tensor {
  const c = contiguous(x);
  const out = empty(x.shape, x.dtype, x.device);
  const { outer, n, inner } = aroundDim(x.shape, dim);
  softmaxK(raw(out), raw(c), log, outer, n, inner);
  return out;
}

/**
 * softmax along `dim` (default: the last), computed stably.
 *
 * ```ts
 * softmax(tensor([0, 0]));   // Tensor [0.5, 0.5]
 * softmax(tensor([[0, Math.log(3)]]), 1);   // Tensor [[0.25, 0.75]]
 * ```
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  const t = floatOperand(asTensor('softmax', 'x', x));
  const d = normDim('softmax', dim, Math.max(t.ndim, 1));
  if (t.ndim === 0) return softmax(reshape(t, [1]), 0).reshape([]);
  const out = softmaxOf(false, t, d);
  if (isRecording())
    record('softmax', out, [t], (g, _, y) => [() => mul(y, sub(g, sum(mul(g, y), d, true)))]);
  return out;
}

/**
 * log(softmax(x)) along `dim`, computed without forming softmax (stable for large logits).
 *
 * ```ts
 * logsoftmax(tensor([0, 0]));   // Tensor [-0.6931, -0.6931]
 * logsoftmax(tensor([1000, 1000]));   // Tensor [-0.6931, -0.6931]: no overflow
 * ```
 */
export function logsoftmax(x: Tensor, dim = -1): Tensor {
  const t = floatOperand(asTensor('logsoftmax', 'x', x));
  if (t.ndim === 0) return logsoftmax(reshape(t, [1]), 0).reshape([]);
  const d = normDim('logsoftmax', dim, t.ndim);
  const out = softmaxOf(true, t, d);
  if (isRecording())
    record('logsoftmax', out, [t], (g, _, y) => [() => sub(g, mul(exp(y), sum(g, d, true)))]);
  return out;
}

/**
 * Running sums along `dim`: out[i] = x[0] + ... + x[i] (with `reverse`, x[i] + ... + x[n-1]),
 * accumulated in double; int32 sums wrap like int32 arithmetic. The gradient of a running sum
 * is the reverse running sum of the cotangent, so every order of derivative is a cumsum.
 *
 * ```ts
 * cumsum(tensor([1, 2, 3]), 0);   // Tensor [1, 3, 6]
 * cumsum(tensor([1, 2, 3]), 0, { reverse: true });   // Tensor [6, 5, 3]
 * ```
 */
export function cumsum(x: Tensor, dim: number, opts: { reverse?: boolean } = {}): Tensor {
  const t = asTensor('cumsum', 'x', x);
  if (t.ndim === 0) return cumsum(reshape(t, [1]), 0, opts).reshape([]);
  const d = normDim('cumsum', dim, t.ndim);
  const reverse = opts.reverse === true;
  const c = contiguous(t);
  const out = empty(t.shape, t.dtype, t.device);
  const { outer, n, inner } = aroundDim(t.shape, d);
  cumsumK(raw(out), raw(c), outer, n, inner, reverse);
  if (isRecording() && t.dtype !== 'int32') record('cumsum', out, [t], (g) => [() => cumsum(g, d, { reverse: !reverse })]);
  return out;
}

/**
 * Variance over `dims` (all when omitted): Σ(x − mean)² / (n − correction), correction 1 by
 * default (the unbiased estimate; 0 for the population variance), as torch.var.
 *
 * ```ts
 * variance(tensor([1, 2, 3, 4])).item();   // 1.6667
 * variance(tensor([1, 2, 3, 4]), null, { correction: 0 }).item();   // 1.25
 * variance(tensor([[1, 3], [2, 2]]), 1);   // Tensor [2, 0]
 * ```
 */
export function variance(x: Tensor, dims?: Dims, opts: { correction?: number; keepdims?: boolean } = {}): Tensor {
  const t = floatOperand(asTensor('variance', 'x', x));
  const correction = opts.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0)
    throw new ShapeError(`variance: expected correction to be a non-negative number, got ${correction}`);
  const mask = normDims('variance', dims, t.ndim);
  const n = t.shape.reduce((p, s, i) => (mask[i] ? p * s : p), 1);
  const d = sub(t, mean(t, dims, true));
  return div(sum(mul(d, d), dims, opts.keepdims ?? false), n - correction);
}

/**
 * Standard deviation: the square root of `variance` (same options).
 *
 * ```ts
 * std(tensor([2, 4, 4, 4, 5, 5, 7, 9]), null, { correction: 0 }).item();   // 2
 * ```
 */
export function std(x: Tensor, dims?: Dims, opts: { correction?: number; keepdims?: boolean } = {}): Tensor {
  return sqrt(variance(x, dims, opts));
}

/**
 * log(sum(exp(x))) over `dims`, stable.
 *
 * ```ts
 * logsumexp(tensor([0, 0])).item();   // 0.6931
 * logsumexp(tensor([[1000, 1000]]), 1);   // Tensor [1000.6931]
 * ```
 */
export function logsumexp(x: Tensor, dims?: Dims, keepdims = false): Tensor {
  const t = floatOperand(asTensor('logsumexp', 'x', x));
  const { keepShape, outShape } = shapes(t, normDims('logsumexp', dims, t.ndim), keepdims);
  // The shift cancels in the derivative, so it is taken as a constant: the max where that is
  // finite, else 0, so that a slice of -inf gives -inf rather than NaN (-inf - -inf), and an
  // empty reduction (which has no max) gives log(0) = -inf.
  let mc: Tensor;
  if (t.size === 0) mc = empty(keepShape, t.dtype, t.device, true);
  else {
    mc = max(t, dims, true).detach();
    mc = where(eq(sub(mc, mc), 0), mc, 0);
  }
  const s = sum(exp(sub(t, mc)), dims, true).log().add(mc);
  return keepdims ? s : reshape(s, outShape);
}

/** Sums `g` down to `shape` (the inverse of broadcasting `shape` up to g's shape). Internal: the backward walker's. */
export const sumTo = notMethod(function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const t = asTensor('sumTo', 'g', g);
  // Checked here because sumTo is public: wrong arguments used to fail inside reshape or
  // expand, or with a TypeError. A gradient smaller than `shape` is broadcast up to it.
  checkShape('sumTo', 'shape', shape);
  if (sameShape(t.shape, shape)) return t;
  const b = broadcastShapes('sumTo', t.shape, shape);
  if (!sameShape(b, t.shape) && !(t.ndim < shape.length && sameShape(b, shape)))
    throw new ShapeError(`sumTo: cannot sum g of shape ${shapeStr(t.shape)} to shape ${shapeStr(shape)}, which does not broadcast to it`);
  const lead = t.ndim - shape.length;
  if (lead < 0) return expand(t, shape);
  const mask = t.shape.map((d, i) => i < lead || (shape[i - lead] === 1 && d !== 1));
  if (!mask.some((m) => m)) return reshape(t, shape);
  return reshape(sum(t, dimsOf(mask), true), shape);
});

/**
 * Broadcasts to `shape` without copying (stride 0 on the repeated dims): `expand(x, 4, 3)` or `expand(x, [4, 3])`.
 *
 * ```ts
 * expand(tensor([1, 2]), 3, 2);   // Tensor [[1, 2], [1, 2], [1, 2]]
 * tensor([[1], [2]]).expand([2, 3]).shape;   // [2, 3]
 * ```
 */
export function expand(x: Tensor, ...dims: ShapeArgs): Tensor {
  const t = asTensor('expand', 'x', x);
  const shape = checkShape('expand', 'shape', dimsArg('expand', dims));
  if (sameShape(t.shape, shape)) return t;
  const lead = shape.length - t.ndim;
  if (lead < 0) throw new ShapeError(`expand: cannot expand ${shapeStr(t.shape)} to fewer dims ${shapeStr(shape)}`);
  const strides = shape.map((d, i) => {
    const j = i - lead;
    if (j < 0) return 0;
    if (t.shape[j] === d) return t._strides[j];
    if (t.shape[j] === 1) return 0;
    throw new ShapeError(`expand: cannot expand ${shapeStr(t.shape)} to ${shapeStr(shape)} (dim ${i}: ${t.shape[j]} vs ${d})`);
  });
  const out = new Tensor(t._buf, shape.slice(), t.dtype, t.device, strides, t._offset, t._root());
  if (isRecording()) record('expand', out, [t], (g, [a]) => [() => sumTo(g, a.shape)]);
  return out;
}

