// Pooling and reshaping layers: each is its op with the options kept, printed Flux style.
import { ShapeError, expected, shapeStr } from '../errors.js';
import { type PerDim, type PoolOptions, maxPool, meanPool } from '../ops/conv.js';
import { adaptiveMaxPool, adaptiveMeanPool, pixelShuffle, upsample } from '../ops/grid.js';
import { reshape } from '../ops/movement.js';
import { asTensor } from '../ops/operand.js';
import { max, mean } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { Layer, optionsText } from './layer.js';

const listStr = (v: PerDim) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

function spatialInput(layer: Layer, x: unknown): Tensor {
  const t = asTensor(String(layer), 'input', x);
  if (t.ndim < 3) throw new ShapeError(`${layer} expects input [N, C, ...spatial], got ${shapeStr(t.shape)}`);
  return t;
}

const POOL_KEYS = ['stride', 'pad', 'dilation'] as const;
// the stride defaults to the window, so a given stride is always shown
const poolOptions = (o: PoolOptions) => optionsText(o, POOL_KEYS, { pad: 0, dilation: 1 });

/** A window or output size, checked when the layer is made: a positive integer, or 1 to 3 of them. */
function sizes(op: string, arg: string, v: unknown): PerDim {
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1;
  if (ok(v) || (Array.isArray(v) && v.length >= 1 && v.length <= 3 && v.every(ok))) return Array.isArray(v) ? v.slice() : (v as number);
  throw expected(op, arg, 'a positive integer or 1 to 3 of them (one per spatial dim)', v);
}

function poolOpts(op: string, opts: unknown): PoolOptions {
  if (opts === null || typeof opts !== 'object') throw expected(op, 'options', '{ stride, pad, dilation }', opts);
  return { ...(opts as PoolOptions) };
}

/**
 * The max of each window: `MaxPool([2, 2])` (stride = the window unless given).
 *
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * const p = MaxPool(2);
 * p(x);   // Tensor [[[[5, 7], [13, 15]]]]
 * ```
 */
export class MaxPoolLayer extends Layer {
  constructor(
    public k: PerDim,
    public opts: PoolOptions,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool(spatialInput(this, x), this.k, this.opts);
  }
  override toString(): string {
    return `MaxPool(${listStr(this.k)}${poolOptions(this.opts)})`;
  }
}
/**
 * `MaxPool(k, { stride = k, pad, dilation })`: the max of each window, Flux's MaxPool (padding counts as −∞).
 *
 * ```ts
 * MaxPool([2, 2])(rand(8, 3, 32, 32)).shape;   // [8, 3, 16, 16]
 * MaxPool(3, { stride: 1, pad: 1 })(rand(8, 3, 32, 32)).shape;   // [8, 3, 32, 32]
 * ```
 */
export function MaxPool(k: PerDim, opts: PoolOptions = {}): MaxPoolLayer {
  return new MaxPoolLayer(sizes('MaxPool', 'k', k), poolOpts('MaxPool', opts));
}

/**
 * The mean of each window, padding counted as zeros: `MeanPool([2, 2])`.
 *
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * MeanPool(2)(x);   // Tensor [[[[2.5, 4.5], [10.5, 12.5]]]]
 * ```
 */
export class MeanPoolLayer extends Layer {
  constructor(
    public k: PerDim,
    public opts: PoolOptions,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return meanPool(spatialInput(this, x), this.k, this.opts);
  }
  override toString(): string {
    return `MeanPool(${listStr(this.k)}${poolOptions(this.opts)})`;
  }
}
/**
 * `MeanPool(k, { stride = k, pad, dilation })`: the mean of each window, padding counted as zeros (Flux's MeanPool, PyTorch's AvgPool default).
 *
 * ```ts
 * MeanPool([2, 2])(rand(8, 3, 32, 32)).shape;   // [8, 3, 16, 16]
 * ```
 */
export function MeanPool(k: PerDim, opts: PoolOptions = {}): MeanPoolLayer {
  return new MeanPoolLayer(sizes('MeanPool', 'k', k), poolOpts('MeanPool', opts));
}

/**
 * Mean pooling to a fixed output size per spatial dim.
 *
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * AdaptiveMeanPool([1, 1])(x);   // Tensor [[[[7.5]]]]
 * ```
 */
export class AdaptiveMeanPoolLayer extends Layer {
  constructor(public outSize: PerDim) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveMeanPool(spatialInput(this, x), this.outSize);
  }
  override toString(): string {
    return `AdaptiveMeanPool(${listStr(this.outSize)})`;
  }
}
/**
 * `AdaptiveMeanPool(outSize)`: mean pooling to a fixed output size (PyTorch's AdaptiveAvgPool windows).
 *
 * ```ts
 * AdaptiveMeanPool([7, 7])(rand(2, 3, 30, 20)).shape;   // [2, 3, 7, 7]
 * ```
 */
export function AdaptiveMeanPool(outSize: PerDim): AdaptiveMeanPoolLayer {
  return new AdaptiveMeanPoolLayer(sizes('AdaptiveMeanPool', 'outSize', outSize));
}

/**
 * Max pooling to a fixed output size per spatial dim.
 *
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * AdaptiveMaxPool([2, 2])(x);   // Tensor [[[[5, 7], [13, 15]]]]
 * ```
 */
export class AdaptiveMaxPoolLayer extends Layer {
  constructor(public outSize: PerDim) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool(spatialInput(this, x), this.outSize);
  }
  override toString(): string {
    return `AdaptiveMaxPool(${listStr(this.outSize)})`;
  }
}
/**
 * `AdaptiveMaxPool(outSize)`: max pooling to a fixed output size.
 *
 * ```ts
 * AdaptiveMaxPool([1, 1])(rand(2, 3, 9, 9)).shape;   // [2, 3, 1, 1]
 * ```
 */
export function AdaptiveMaxPool(outSize: PerDim): AdaptiveMaxPoolLayer {
  return new AdaptiveMaxPoolLayer(sizes('AdaptiveMaxPool', 'outSize', outSize));
}

/**
 * The mean over all spatial dims, kept as size 1: [N, C, H, W] → [N, C, 1, 1] (Flux's GlobalMeanPool).
 *
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * GlobalMeanPool()(x);   // Tensor [[[[7.5]]]]
 * ```
 */
export class GlobalMeanPoolLayer extends Layer {
  forward(x: Tensor): Tensor {
    const t = spatialInput(this, x);
    return mean(t, t.shape.slice(2).map((_, i) => i + 2), true);
  }
  override toString(): string {
    return 'GlobalMeanPool()';
  }
}
/**
 * `GlobalMeanPool()`: [N, C, ...spatial] → [N, C, 1, ...], the mean over every spatial dim.
 *
 * ```ts
 * GlobalMeanPool()(rand(2, 16, 7, 7)).shape;   // [2, 16, 1, 1]
 * ```
 */
export function GlobalMeanPool(): GlobalMeanPoolLayer {
  return new GlobalMeanPoolLayer();
}

/**
 * The max over all spatial dims, kept as size 1.
 *
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * GlobalMaxPool()(x);   // Tensor [[[[15]]]]
 * ```
 */
export class GlobalMaxPoolLayer extends Layer {
  forward(x: Tensor): Tensor {
    const t = spatialInput(this, x);
    return max(t, t.shape.slice(2).map((_, i) => i + 2), true);
  }
  override toString(): string {
    return 'GlobalMaxPool()';
  }
}
/**
 * `GlobalMaxPool()`: [N, C, ...spatial] → [N, C, 1, ...], the max over every spatial dim.
 *
 * ```ts
 * GlobalMaxPool()(rand(2, 16, 7, 7)).shape;   // [2, 16, 1, 1]
 * ```
 */
export function GlobalMaxPool(): GlobalMaxPoolLayer {
  return new GlobalMaxPoolLayer();
}

/**
 * Every dim but the batch merged into one: [N, ...] → [N, prod(...)].
 *
 * ```ts
 * Flatten()(zeros(2, 3, 4, 4)).shape;   // [2, 48]
 * ```
 */
export class FlattenLayer extends Layer {
  forward(x: Tensor): Tensor {
    const t = asTensor('Flatten()', 'input', x);
    if (t.ndim === 0) throw new ShapeError(`Flatten() expects a batch dim, got a 0-d tensor`);
    return reshape(t, [t.shape[0], -1]);
  }
  override toString(): string {
    return 'Flatten()';
  }
}
/**
 * `Flatten()`: [N, ...] → [N, product of the rest], e.g. between convolutions and a Dense layer.
 *
 * ```ts
 * const m = Chain(Conv(3, 1, 8, relu), MaxPool(2), Flatten(), Dense(8 * 13 * 13, 10));
 * m(rand(4, 1, 28, 28)).shape;   // [4, 10]
 * ```
 */
export function Flatten(): FlattenLayer {
  return new FlattenLayer();
}

/**
 * `Upsample({ scale: 2, mode: 'nearest' | 'bilinear' })`.
 *
 * ```ts
 * Upsample({ scale: 2 })(tensor([[[[1, 2]]]]));   // Tensor [[[[1, 1, 2, 2], [1, 1, 2, 2]]]]
 * ```
 */
export class UpsampleLayer extends Layer {
  constructor(public opts: { scale: PerDim; mode?: 'nearest' | 'bilinear' }) {
    super();
  }
  forward(x: Tensor): Tensor {
    return upsample(spatialInput(this, x), this.opts);
  }
  override toString(): string {
    return `Upsample(${this.opts.mode ?? 'nearest'}, scale=${listStr(this.opts.scale)})`;
  }
}
/**
 * `Upsample({ scale, mode })`: repeats ('nearest', integer scales) or interpolates ('bilinear') the spatial dims.
 *
 * ```ts
 * Upsample({ scale: 2, mode: 'bilinear' })(rand(1, 3, 8, 8)).shape;   // [1, 3, 16, 16]
 * ```
 */
export function Upsample(opts: { scale: PerDim; mode?: 'nearest' | 'bilinear' }): UpsampleLayer {
  if (opts === null || typeof opts !== 'object') throw expected('Upsample', 'options', '{ scale, mode }', opts);
  if (opts.mode !== undefined && opts.mode !== 'nearest' && opts.mode !== 'bilinear') throw expected('Upsample', 'mode', "'nearest' or 'bilinear'", opts.mode);
  const ok = (n: unknown) => typeof n === 'number' && n > 0 && Number.isFinite(n) && (opts.mode === 'bilinear' || Number.isInteger(n));
  const { scale } = opts;
  if (!(ok(scale) || (Array.isArray(scale) && scale.length >= 1 && scale.length <= 3 && scale.every(ok))))
    throw expected('Upsample', 'scale', opts.mode === 'bilinear' ? 'a positive number or 1 to 3 of them' : 'a positive integer or 1 to 3 of them (nearest)', scale);
  return new UpsampleLayer({ ...opts, scale: Array.isArray(scale) ? scale.slice() : scale });
}

/**
 * `PixelShuffle(r)`: [N, C·r², H, W] → [N, C, H·r, W·r].
 *
 * ```ts
 * PixelShuffle(2)(arange(4).reshape([1, 4, 1, 1]));   // Tensor [[[[0, 1], [2, 3]]]]
 * ```
 */
export class PixelShuffleLayer extends Layer {
  constructor(public r: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return pixelShuffle(asTensor(String(this), 'input', x), this.r);
  }
  override toString(): string {
    return `PixelShuffle(${this.r})`;
  }
}
/**
 * `PixelShuffle(r)`: [N, C·r², H, W] → [N, C, H·r, W·r] (sub-pixel convolution's rearrangement).
 *
 * ```ts
 * PixelShuffle(2)(zeros(1, 8, 3, 3)).shape;   // [1, 2, 6, 6]
 * ```
 */
export function PixelShuffle(r: number): PixelShuffleLayer {
  if (!Number.isInteger(r) || r < 1) throw expected('PixelShuffle', 'r', 'a positive integer', r);
  return new PixelShuffleLayer(r);
}
