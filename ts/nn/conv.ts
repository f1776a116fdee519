// Convolutional layers, Flux style: `Conv([3, 3], 1, 16, relu)` holds weight [16, 1, 3, 3] and
// bias [16] (PyTorch's layouts, so weights move between the two one to one) and maps
// [N, 1, H, W] → [N, 16, H', W']. ConvTranspose holds weight [in, out/groups, ...k].
import { zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { ShapeError, expected, shapeStr } from '../errors.js';
import { add } from '../ops/binary.js';
import { type ConvOptions, type ConvTransposeOptions, conv, convTranspose } from '../ops/conv.js';
import { reshape } from '../ops/movement.js';
import { asTensor } from '../ops/operand.js';
import type { RNG } from '../random.js';
import { Tensor } from '../tensor.js';
import { identity } from './activations.js';
import { type Initializer, glorotUniform } from './init.js';
import { Layer, functionName, optionsText } from './layer.js';
import { paramDtype } from './layers.js';

type Activation = (x: Tensor) => Tensor;

/**
 * Options of `Conv` and `ConvTranspose`: the op's (stride, pad, dilation, groups) and how the layer is made.
 *
 * ```ts
 * const c = Conv(3, 1, 4, relu, { stride: 2, pad: 1, bias: false });
 * c(rand(2, 1, 8, 8)).shape;   // [2, 4, 4, 4]
 * c.bias === null;   // true
 * ```
 */
export interface ConvLayerOptions extends ConvOptions {
  /** false for no bias (default: zeros). */
  bias?: boolean;
  /** Weight initialiser (default: Glorot uniform, as Flux). */
  init?: Initializer;
  dtype?: DType;
  rng?: RNG;
}

/** The kernel size: a list (one per spatial dim), or a number for a square 2-D kernel. */
function kernelSize(op: string, k: unknown): number[] {
  const list = typeof k === 'number' ? [k, k] : k;
  if (!Array.isArray(list) || list.length < 1 || list.length > 3 || !list.every((v) => Number.isInteger(v) && v >= 1))
    throw expected(op, 'k', 'the kernel size: 1 to 3 positive integers (or one number for k × k)', k);
  return list;
}

function channels(op: string, arg: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw expected(op, arg, 'a positive integer', n);
  return n;
}

const CONV_KEYS = ['stride', 'pad', 'dilation', 'groups', 'outputPad'] as const;

abstract class ConvBase extends Layer {
  weight: Tensor;
  bias: Tensor | null;
  σ: Activation;
  readonly stride?: ConvOptions['stride'];
  readonly pad?: ConvOptions['pad'];
  readonly dilation?: ConvOptions['dilation'];
  readonly groups: number;

  constructor(weight: Tensor, bias: Tensor | null, σ: Activation, opts: ConvOptions) {
    super();
    this.weight = weight;
    this.bias = bias;
    this.σ = σ;
    if (opts.stride !== undefined) this.stride = opts.stride;
    if (opts.pad !== undefined) this.pad = opts.pad;
    if (opts.dilation !== undefined) this.dilation = opts.dilation;
    this.groups = opts.groups ?? 1;
  }

  /** Input channels the layer takes. */
  abstract get inChannels(): number;
  abstract get outChannels(): number;

  protected check(x: unknown): Tensor {
    const t = x instanceof Tensor ? x : asTensor(this.toString(), 'input', x);
    const nd = this.weight.ndim - 2;
    if (t.ndim !== nd + 2 || t.shape[1] !== this.inChannels)
      throw new ShapeError(`${this.toString()} expects input [N, ${this.inChannels}, ...${nd} spatial dims] (channels in dim 1), got ${shapeStr(t.shape)}`);
    return paramDtype(this, t, this.weight.dtype);
  }

  protected finish(y: Tensor): Tensor {
    const z = this.bias === null ? y : add(y, reshape(this.bias, [this.outChannels, ...new Array<number>(y.ndim - 2).fill(1)]));
    return this.σ === identity ? z : this.σ(z);
  }

  protected describe(name: string, options: ConvTransposeOptions): string {
    const k = this.weight.shape.slice(2);
    const act = this.σ === identity ? '' : `, ${functionName(this.σ)}`;
    return `${name}([${k.join(', ')}], ${this.inChannels} => ${this.outChannels}${act}${optionsText(options, CONV_KEYS)}${this.bias === null ? ', bias=false' : ''})`;
  }
}

/**
 * y = σ(conv(x, weight) + bias): weight [out, in/groups, ...k], bias [out].
 *
 * ```ts
 * const c = Conv([3, 3], 2, 4);
 * c.weight.shape;   // [4, 2, 3, 3]
 * c.bias.shape;   // [4]
 * ```
 */
export class ConvLayer extends ConvBase {
  get inChannels(): number {
    return this.weight.shape[1] * this.groups;
  }
  get outChannels(): number {
    return this.weight.shape[0];
  }
  forward(x: Tensor): Tensor {
    return this.finish(conv(this.check(x), this.weight, this));
  }
  override toString(): string {
    return this.describe('Conv', this);
  }
}

/**
 * `Conv(k, in, out, σ?, { stride, pad, dilation, groups, bias, init, dtype })`, Flux's
 * `Conv(k, in => out, σ)`: k is the kernel size (a list for 1 to 3 spatial dims, or a number
 * for a square 2-D kernel); pad a number, per dim, [lo, hi] per dim, or 'same'.
 *
 * ```ts
 * const c = Conv(3, 1, 4, relu);
 * c(rand(2, 1, 8, 8)).shape;   // [2, 4, 6, 6]
 * Conv(3, 1, 4, relu, { pad: 'same' })(rand(2, 1, 8, 8)).shape;   // [2, 4, 8, 8]
 * Conv([5], 3, 6)(rand(2, 3, 20)).shape;   // [2, 6, 16]: a 1-D convolution
 * ```
 */
export function Conv(k: number | readonly number[], inCh: number, outCh: number, σ: Activation = identity, opts: ConvLayerOptions = {}): ConvLayer {
  const K = kernelSize('Conv', k);
  channels('Conv', 'in', inCh);
  channels('Conv', 'out', outCh);
  if (typeof σ !== 'function') throw expected('Conv', 'σ', 'an activation function', σ);
  const G = opts.groups ?? 1;
  if (!Number.isInteger(G) || G < 1 || inCh % G !== 0 || outCh % G !== 0)
    throw new ShapeError(`Conv: groups ${G} must be a positive integer dividing the input channels ${inCh} and the output channels ${outCh}`);
  const weight = (opts.init ?? glorotUniform)([outCh, inCh / G, ...K], { dtype: opts.dtype, rng: opts.rng });
  const bias = opts.bias === false ? null : zeros([outCh], { dtype: opts.dtype });
  return new ConvLayer(weight, bias, σ, opts);
}

/**
 * y = σ(convTranspose(x, weight) + bias): weight [in, out/groups, ...k], bias [out].
 *
 * ```ts
 * const t = ConvTranspose(2, 4, 1);
 * t.weight.shape;   // [4, 1, 2, 2]
 * ```
 */
export class ConvTransposeLayer extends ConvBase {
  readonly outputPad?: ConvTransposeOptions['outputPad'];
  constructor(weight: Tensor, bias: Tensor | null, σ: Activation, opts: ConvTransposeOptions) {
    super(weight, bias, σ, opts);
    if (opts.outputPad !== undefined) this.outputPad = opts.outputPad;
  }
  get inChannels(): number {
    return this.weight.shape[0];
  }
  get outChannels(): number {
    return this.weight.shape[1] * this.groups;
  }
  forward(x: Tensor): Tensor {
    return this.finish(convTranspose(this.check(x), this.weight, this));
  }
  override toString(): string {
    return this.describe('ConvTranspose', this);
  }
}

/**
 * `ConvTranspose(k, in, out, σ?, { stride, pad, dilation, groups, outputPad, bias, init, dtype })`.
 *
 * ```ts
 * const up = ConvTranspose(2, 4, 1, identity, { stride: 2 });
 * up(rand(2, 4, 4, 4)).shape;   // [2, 1, 8, 8]
 * ```
 */
export function ConvTranspose(
  k: number | readonly number[],
  inCh: number,
  outCh: number,
  σ: Activation = identity,
  opts: ConvLayerOptions & { outputPad?: ConvTransposeOptions['outputPad'] } = {},
): ConvTransposeLayer {
  const K = kernelSize('ConvTranspose', k);
  channels('ConvTranspose', 'in', inCh);
  channels('ConvTranspose', 'out', outCh);
  if (typeof σ !== 'function') throw expected('ConvTranspose', 'σ', 'an activation function', σ);
  const G = opts.groups ?? 1;
  if (!Number.isInteger(G) || G < 1 || inCh % G !== 0 || outCh % G !== 0)
    throw new ShapeError(`ConvTranspose: groups ${G} must be a positive integer dividing the input channels ${inCh} and the output channels ${outCh}`);
  const weight = (opts.init ?? glorotUniform)([inCh, outCh / G, ...K], { dtype: opts.dtype, rng: opts.rng });
  const bias = opts.bias === false ? null : zeros([outCh], { dtype: opts.dtype });
  return new ConvTransposeLayer(weight, bias, σ, opts);
}
