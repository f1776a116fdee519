// Normalisation layers, composed from public ops (so differentiable to any order), with
// PyTorch's conventions: BatchNorm normalises with the batch's biased variance while training
// and tracks running statistics updated with the unbiased one; the running statistics are
// state, not parameters (outside `trainable()`, so neither params nor optimisers see them), but
// they are fields, so checkpoints save them and gpu()/f64() move them.
import { ignoreDerivatives } from '../autodiff/tape.js';
import { copyInto } from '../backend/index.js';
import { ones, zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { ShapeError, expected, shapeStr } from '../errors.js';
import { add, div, mul, sub } from '../ops/binary.js';
import { reshape } from '../ops/movement.js';
import { asTensor } from '../ops/operand.js';
import { mean, variance } from '../ops/reduce.js';
import { sqrt } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { identity } from './activations.js';
import { Layer, type Mode, functionName, isActive } from './layer.js';
import { paramDtype } from './layers.js';

type Activation = (x: Tensor) => Tensor;

/**
 * Options shared by the normalisation layers.
 *
 * ```ts
 * const ln = LayerNorm(4, identity, { eps: 1e-6, affine: false });
 * params(ln).length;   // 0
 * ```
 */
export interface NormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** A learnt scale γ (`weight`) and shift β (`bias`); default true (InstanceNorm: false). */
  affine?: boolean;
  dtype?: DType;
}

function checkCount(op: string, arg: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw expected(op, arg, 'a positive integer', n);
  return n;
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw expected(op, 'eps', 'a non-negative number', eps);
  return eps;
}

/** (x − μ) / √(σ² + ε). */
function standardise(x: Tensor, mu: Tensor, v: Tensor, eps: number): Tensor {
  return div(sub(x, mu), sqrt(add(v, eps)));
}

/** γ and β (shaped to broadcast, e.g. along the channel dim), then the activation. */
function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null, shape: number[], σ: Activation): Tensor {
  let z = y;
  if (weight !== null) z = mul(z, reshape(weight, shape));
  if (bias !== null) z = add(z, reshape(bias, shape));
  return σ === identity ? z : σ(z);
}

/** [1, C, 1, ...] for an input of `ndim` dims: per-channel values broadcast over the rest. */
function channelShape(C: number, ndim: number): number[] {
  return [1, C, ...new Array<number>(Math.max(0, ndim - 2)).fill(1)];
}

/** A write into a statistic's storage that no gradient follows (running statistics are state). */
function setState(target: Tensor, value: Tensor): void {
  copyInto(value, target);
  target._root()._version++;
}

/**
 * Options of `BatchNorm`.
 *
 * ```ts
 * const bn = BatchNorm(3, identity, { momentum: 0.01, trackStats: true });
 * bn.momentum;   // 0.01
 * ```
 */
export interface BatchNormOptions extends NormOptions {
  /** Weight of the batch in the running averages (default 0.1, PyTorch's). */
  momentum?: number;
  /** Keep running statistics for inference (default true); without them both modes use the batch's. */
  trackStats?: boolean;
}

/**
 * Batch normalisation over the channel dim 1 of [N, C] or [N, C, ...]: active (training, by the
 * mode rules Dropout follows) it normalises with the batch's mean and biased variance and updates
 * the running statistics with the unbiased one; otherwise it uses the running statistics.
 *
 * ```ts
 * const bn = trainMode(BatchNorm(1));
 * bn(tensor([[1], [3]]));   // Tensor [[-1], [1]]
 * ```
 */
export class BatchNormLayer extends Layer {
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  σ: Activation;
  eps: number;
  momentum: number;
  mode: Mode = 'auto';
  readonly channels: number;

  constructor(channels: number, σ: Activation, opts: BatchNormOptions) {
    super();
    const { dtype } = opts;
    this.channels = channels;
    this.weight = opts.affine === false ? null : ones([channels], { dtype });
    this.bias = opts.affine === false ? null : zeros([channels], { dtype });
    this.runningMean = opts.trackStats === false ? null : zeros([channels], { dtype });
    this.runningVar = opts.trackStats === false ? null : ones([channels], { dtype });
    this.σ = σ;
    this.eps = checkEps('BatchNorm', opts.eps ?? 1e-5);
    this.momentum = opts.momentum ?? 0.1;
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) throw expected('BatchNorm', 'momentum', 'a number in [0, 1]', opts.momentum);
  }

  trainable(): Record<string, unknown> {
    return { weight: this.weight, bias: this.bias };
  }

  forward(x: Tensor): Tensor {
    let t = asTensor(String(this), 'input', x);
    const C = this.channels;
    if (t.ndim < 2 || t.shape[1] !== C) throw new ShapeError(`${this} expects input [N, ${C}, ...] (channels in dim 1), got ${shapeStr(t.shape)}`);
    const ref = this.weight ?? this.runningMean;
    if (ref !== null) t = paramDtype(this, t, ref.dtype);
    const dims = t.shape.map((_, i) => i).filter((i) => i !== 1);
    const shape = channelShape(C, t.ndim);
    const tracked = this.runningMean !== null && this.runningVar !== null;
    if (tracked && !isActive(this.mode)) {
      const y = standardise(t, reshape(this.runningMean as Tensor, shape), reshape(this.runningVar as Tensor, shape), this.eps);
      return affine(y, this.weight, this.bias, shape, this.σ);
    }
    const mu = mean(t, dims, true);
    const v = variance(t, dims, { correction: 0, keepdims: true });
    if (tracked && isActive(this.mode)) {
      const n = t.size / C;
      ignoreDerivatives(() => {
        const m = this.momentum;
        const rm = this.runningMean as Tensor;
        const rv = this.runningVar as Tensor;
        setState(rm, add(mul(rm, 1 - m), mul(reshape(mu, [C]), m)));
        setState(rv, add(mul(rv, 1 - m), mul(reshape(v, [C]), (m * n) / Math.max(1, n - 1))));
      });
    }
    return affine(standardise(t, mu, v, this.eps), this.weight, this.bias, shape, this.σ);
  }

  override toString(): string {
    const act = this.σ === identity ? '' : `, ${functionName(this.σ)}`;
    const extra = [this.weight === null ? 'affine=false' : '', this.runningMean === null ? 'trackStats=false' : ''].filter(Boolean);
    return `BatchNorm(${this.channels}${act}${extra.map((e) => `, ${e}`).join('')})`;
  }
}

/**
 * `BatchNorm(channels, σ?, { eps, momentum, affine, trackStats, dtype })`, Flux's BatchNorm.
 *
 * ```ts
 * const bn = BatchNorm(3, relu);
 * bn(randn(8, 3, 4, 4)).shape;   // [8, 3, 4, 4]
 * params(bn).length;   // 2: γ and β; the running statistics are not trained
 * ```
 */
export function BatchNorm(channels: number, σ: Activation = identity, opts: BatchNormOptions = {}): BatchNormLayer {
  checkCount('BatchNorm', 'channels', channels);
  if (typeof σ !== 'function') throw expected('BatchNorm', 'σ', 'an activation function', σ);
  return new BatchNormLayer(channels, σ, opts);
}

/**
 * Layer normalisation over the trailing dims of `shape` (each sample on its own), γ and β of that shape.
 *
 * ```ts
 * LayerNorm(2)(tensor([[1, 3], [0, 10]]));   // Tensor [[-1, 1], [-1, 1]]
 * ```
 */
export class LayerNormLayer extends Layer {
  weight: Tensor | null;
  bias: Tensor | null;
  σ: Activation;
  eps: number;
  readonly shape: number[];

  constructor(shape: number[], σ: Activation, opts: NormOptions) {
    super();
    this.shape = shape;
    this.weight = opts.affine === false ? null : ones(shape, { dtype: opts.dtype });
    this.bias = opts.affine === false ? null : zeros(shape, { dtype: opts.dtype });
    this.σ = σ;
    this.eps = checkEps('LayerNorm', opts.eps ?? 1e-5);
  }

  forward(x: Tensor): Tensor {
    let t = asTensor(String(this), 'input', x);
    const k = this.shape.length;
    if (t.ndim < k || this.shape.some((s, i) => t.shape[t.ndim - k + i] !== s))
      throw new ShapeError(`${this} expects input [..., ${this.shape.join(', ')}], got ${shapeStr(t.shape)}`);
    if (this.weight !== null) t = paramDtype(this, t, this.weight.dtype);
    const dims = this.shape.map((_, i) => t.ndim - k + i);
    const mu = mean(t, dims, true);
    const v = variance(t, dims, { correction: 0, keepdims: true });
    return affine(standardise(t, mu, v, this.eps), this.weight, this.bias, this.shape, this.σ);
  }

  override toString(): string {
    const act = this.σ === identity ? '' : `, ${functionName(this.σ)}`;
    const shape = this.shape.length === 1 ? String(this.shape[0]) : `[${this.shape.join(', ')}]`;
    return `LayerNorm(${shape}${act}${this.weight === null ? ', affine=false' : ''})`;
  }
}

/**
 * `LayerNorm(shape, σ?, { eps, affine, dtype })`: shape a number (the last dim) or the trailing dims.
 *
 * ```ts
 * const ln = LayerNorm(8);
 * ln(randn(2, 5, 8)).shape;   // [2, 5, 8]
 * LayerNorm([5, 8]).weight.shape;   // [5, 8]
 * ```
 */
export function LayerNorm(shape: number | readonly number[], σ: Activation = identity, opts: NormOptions = {}): LayerNormLayer {
  const list = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => Number.isInteger(s) && s >= 1))
    throw expected('LayerNorm', 'shape', 'a positive integer or a list of them (the trailing dims)', shape);
  if (typeof σ !== 'function') throw expected('LayerNorm', 'σ', 'an activation function', σ);
  return new LayerNormLayer(list.slice(), σ, opts);
}

/**
 * Group normalisation: the channels of [N, C, ...] in `groups` groups, each normalised per sample.
 *
 * ```ts
 * GroupNorm(2, 4)(randn(2, 4, 3, 3)).shape;   // [2, 4, 3, 3]
 * ```
 */
export class GroupNormLayer extends Layer {
  weight: Tensor | null;
  bias: Tensor | null;
  σ: Activation;
  eps: number;
  readonly groups: number;
  readonly channels: number;

  constructor(groups: number, channels: number, σ: Activation, opts: NormOptions) {
    super();
    this.groups = groups;
    this.channels = channels;
    this.weight = opts.affine === false ? null : ones([channels], { dtype: opts.dtype });
    this.bias = opts.affine === false ? null : zeros([channels], { dtype: opts.dtype });
    this.σ = σ;
    this.eps = checkEps('GroupNorm', opts.eps ?? 1e-5);
  }

  forward(x: Tensor): Tensor {
    let t = asTensor(String(this), 'input', x);
    const C = this.channels;
    if (t.ndim < 2 || t.shape[1] !== C) throw new ShapeError(`${this} expects input [N, ${C}, ...] (channels in dim 1), got ${shapeStr(t.shape)}`);
    if (this.weight !== null) t = paramDtype(this, t, this.weight.dtype);
    const g = reshape(t, [t.shape[0], this.groups, -1]);
    const mu = mean(g, 2, true);
    const v = variance(g, 2, { correction: 0, keepdims: true });
    const y = reshape(standardise(g, mu, v, this.eps), t.shape);
    return affine(y, this.weight, this.bias, channelShape(C, t.ndim), this.σ);
  }

  override toString(): string {
    const act = this.σ === identity ? '' : `, ${functionName(this.σ)}`;
    return `GroupNorm(${this.groups}, ${this.channels}${act}${this.weight === null ? ', affine=false' : ''})`;
  }
}

/**
 * `GroupNorm(groups, channels, σ?, { eps, affine, dtype })`: groups must divide channels.
 *
 * ```ts
 * GroupNorm(4, 8, relu).weight.shape;   // [8]
 * ```
 */
export function GroupNorm(groups: number, channels: number, σ: Activation = identity, opts: NormOptions = {}): GroupNormLayer {
  checkCount('GroupNorm', 'groups', groups);
  checkCount('GroupNorm', 'channels', channels);
  if (channels % groups !== 0) throw new ShapeError(`GroupNorm: groups ${groups} must divide the channels ${channels}`);
  if (typeof σ !== 'function') throw expected('GroupNorm', 'σ', 'an activation function', σ);
  return new GroupNormLayer(groups, channels, σ, opts);
}

/**
 * Instance normalisation: every (sample, channel) of [N, C, ...spatial] normalised over its spatial dims.
 *
 * ```ts
 * InstanceNorm(1)(tensor([[[1, 3]]]));   // Tensor [[[-1, 1]]]
 * ```
 */
export class InstanceNormLayer extends Layer {
  weight: Tensor | null;
  bias: Tensor | null;
  σ: Activation;
  eps: number;
  readonly channels: number;

  constructor(channels: number, σ: Activation, opts: NormOptions) {
    super();
    this.channels = channels;
    this.weight = opts.affine === true ? ones([channels], { dtype: opts.dtype }) : null;
    this.bias = opts.affine === true ? zeros([channels], { dtype: opts.dtype }) : null;
    this.σ = σ;
    this.eps = checkEps('InstanceNorm', opts.eps ?? 1e-5);
  }

  forward(x: Tensor): Tensor {
    let t = asTensor(String(this), 'input', x);
    const C = this.channels;
    if (t.ndim < 3 || t.shape[1] !== C) throw new ShapeError(`${this} expects input [N, ${C}, ...spatial] (channels in dim 1), got ${shapeStr(t.shape)}`);
    if (this.weight !== null) t = paramDtype(this, t, this.weight.dtype);
    const dims = t.shape.slice(2).map((_, i) => i + 2);
    const mu = mean(t, dims, true);
    const v = variance(t, dims, { correction: 0, keepdims: true });
    return affine(standardise(t, mu, v, this.eps), this.weight, this.bias, channelShape(C, t.ndim), this.σ);
  }

  override toString(): string {
    const act = this.σ === identity ? '' : `, ${functionName(this.σ)}`;
    return `InstanceNorm(${this.channels}${act}${this.weight !== null ? ', affine=true' : ''})`;
  }
}

/**
 * `InstanceNorm(channels, σ?, { eps, affine = false, dtype })` (PyTorch's and Flux's default: no γ, β).
 *
 * ```ts
 * InstanceNorm(3)(randn(2, 3, 5, 5)).shape;   // [2, 3, 5, 5]
 * params(InstanceNorm(3)).length;   // 0: no γ, β by default
 * ```
 */
export function InstanceNorm(channels: number, σ: Activation = identity, opts: NormOptions = {}): InstanceNormLayer {
  checkCount('InstanceNorm', 'channels', channels);
  if (typeof σ !== 'function') throw expected('InstanceNorm', 'σ', 'an activation function', σ);
  return new InstanceNormLayer(channels, σ, opts);
}

