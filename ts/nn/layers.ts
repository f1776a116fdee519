// The basic layers. Each is a few lines: fields, a friendly constructor, `forward`,
// and `toString` — things you could have written yourself (see the README's Affine).
import { zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { ArgumentError, IndexError, ShapeError, describe, expected, shapeStr } from '../errors.js';
import { cast } from '../ops/cast.js';
import { linear } from '../ops/matmul.js';
import { indexSelect, reshape } from '../ops/movement.js';
import { asTensor } from '../ops/operand.js';
import type { RNG } from '../random.js';
import { rand } from '../creation.js';
import { Tensor } from '../tensor.js';
import { identity } from './activations.js';
import { type Initializer, glorotUniform } from './init.js';
import { Layer, type Mode, functionName, isActive } from './layer.js';

type Activation = (x: Tensor) => Tensor;

/**
 * Options of `Dense`: the bias, the weight initialiser, the dtype and the generator.
 *
 * ```ts
 * Dense(4, 2, relu, { bias: false }).bias === null;   // true
 * Dense(2, 1, identity, { init: (s) => ones(s) })(tensor([1, 2]));   // Tensor [3]
 * ```
 */
export interface DenseOptions {
  /** false for no bias, or a tensor to use as the bias (default: zeros). */
  bias?: boolean | Tensor;
  /** Weight initialiser (default: Glorot uniform, as Flux). */
  init?: Initializer;
  dtype?: DType;
  rng?: RNG;
}

let warnedDtype = false;
/**
 * The input in the dtype of the layer's parameters. As in Flux, a float64 input to a float32
 * layer is converted (warned about once): otherwise it would silently make every output, and
 * the gradient, float64 and slow. Convert the data with f32(x), or the model with f64(m).
 *
 * ```ts
 * const x = tensor([1, 2], { dtype: 'float64' });
 * paramDtype(Dense(2, 3), x, 'float32').dtype;   // 'float32'
 * ```
 */
export function paramDtype(layer: object, x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype || x.dtype === 'int32' || dtype === 'int32') return x;
  if (!warnedDtype) {
    warnedDtype = true;
    process.emitWarning(
      `fluxion: ${String(layer)} has ${dtype} parameters but got a ${x.dtype} input, which is converted to ${dtype}; convert the data (f32(x)) or the model (f64(model)) to avoid this`,
      { code: 'FLUXION_DTYPE' },
    );
  }
  return cast(x, dtype);
}

function checkSize(op: string, arg: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw expected(op, arg, 'a positive integer', n);
  return n;
}

/**
 * y = σ(x Wᵀ + b): weight [out, in], bias [out]; maps [..., in] → [..., out].
 *
 * ```ts
 * const d = Dense(2, 3, relu);
 * d.weight.shape;   // [3, 2]
 * d.bias;   // Tensor [0, 0, 0]
 * d(rand(4, 2)).shape;   // [4, 3]
 * ```
 */
export class DenseLayer extends Layer {
  weight: Tensor;
  bias: Tensor | null;
  σ: Activation;

  constructor(weight: Tensor, bias: Tensor | null, σ: Activation = identity) {
    super();
    if (weight.ndim !== 2) throw new ShapeError(`Dense: expected a 2-D weight [out, in], got ${shapeStr(weight.shape)}`);
    if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]))
      throw new ShapeError(`Dense: expected bias of shape [${weight.shape[0]}], got ${shapeStr(bias.shape)}`);
    this.weight = weight;
    this.bias = bias;
    this.σ = σ;
  }

  forward(x: Tensor): Tensor {
    const inF = this.weight.shape[1];
    const t = x instanceof Tensor ? x : asTensor(this.toString(), 'input', x); // the name only on the error path
    if (t.ndim === 0 || t.shape[t.ndim - 1] !== inF)
      throw new ShapeError(`${this.toString()} expects last dimension ${inF}, got ${shapeStr(t.shape)}`);
    return linear(paramDtype(this, t, this.weight.dtype), this.weight, this.bias, this.σ === identity ? undefined : this.σ);
  }

  override toString(): string {
    const [out, inF] = this.weight.shape;
    const act = this.σ === identity ? '' : `, ${functionName(this.σ)}`;
    return `Dense(${inF} => ${out}${act}${this.bias === null ? '; bias=false' : ''})`;
  }
}

/**
 * `Dense(in, out, σ?, { bias, init })`, as Flux's `Dense(in => out, σ)`.
 *
 * ```ts
 * const d = Dense(2, 1, identity, { init: (s) => ones(s) });
 * d(tensor([1, 2]));   // Tensor [3]
 * d(ones(5, 2)).shape;   // [5, 1]
 * String(Dense(10, 5, relu));   // 'Dense(10 => 5, relu)'
 * ```
 */
export function Dense(inF: number, outF: number, σ: Activation = identity, opts: DenseOptions = {}): DenseLayer {
  checkSize('Dense', 'in', inF);
  checkSize('Dense', 'out', outF);
  if (typeof σ !== 'function') throw expected('Dense', 'σ', 'an activation function', σ);
  const init = opts.init ?? glorotUniform;
  const weight = init([outF, inF], { dtype: opts.dtype, rng: opts.rng });
  let bias: Tensor | null = null;
  if (opts.bias instanceof Tensor) bias = opts.bias;
  else if (opts.bias !== false) bias = zeros([outF], { dtype: opts.dtype });
  return new DenseLayer(weight, bias, σ);
}

/**
 * Runs its layers on one input and joins the results: `connection(l1(x), l2(x), ...)`; with several inputs, layer i gets input i.
 *
 * ```ts
 * const p = Parallel((a, b) => a.add(b), (x: Tensor) => x.mul(2), (x: Tensor) => x.mul(3));
 * p(tensor([1, 2]));   // Tensor [5, 10]
 * p.layers.length;   // 2
 * ```
 */
export class ParallelLayer<R = unknown> extends Layer {
  constructor(
    public connection: (...ys: Tensor[]) => R,
    public layers: ((x: Tensor) => unknown)[],
  ) {
    super();
  }
  forward(...xs: Tensor[]): R {
    if (xs.length === 1) return this.connection(...this.layers.map((l) => l(xs[0]) as Tensor));
    if (xs.length !== this.layers.length)
      throw new ArgumentError(`Parallel: got ${xs.length} inputs for ${this.layers.length} layers (give one input, or one per layer)`);
    return this.connection(...this.layers.map((l, i) => l(xs[i]) as Tensor));
  }
  override toString(): string {
    return `Parallel(${functionName(this.connection)}, ${this.layers.map((l) => (l instanceof Layer ? l.toString() : functionName(l))).join(', ')})`;
  }
}
/**
 * `Parallel(connection, l1, l2, ...)`, Flux's Parallel: `connection(l1(x), l2(x), ...)`, or with several
 * inputs `connection(l1(x1), l2(x2), ...)`.
 *
 * ```ts
 * const p = Parallel((a, b) => concat([a, b], -1), Dense(4, 2), Dense(4, 3));
 * p(rand(8, 4)).shape;   // [8, 5]
 * ```
 */
export function Parallel<R>(connection: (...ys: Tensor[]) => R, ...layers: ((x: Tensor) => unknown)[]): ParallelLayer<R> {
  if (typeof connection !== 'function') throw expected('Parallel', 'connection', 'a function', connection);
  return new ParallelLayer(connection, layers);
}

/**
 * `connection(layer(x), x)`: a residual block when the connection is `add`.
 *
 * ```ts
 * const res = SkipConnection((x: Tensor) => x.mul(2), (y, x) => y.add(x));
 * res(tensor([1, 2]));   // Tensor [3, 6]
 * ```
 */
export class SkipConnectionLayer<R = unknown> extends Layer {
  constructor(
    public layers: (x: Tensor) => unknown,
    public connection: (y: Tensor, x: Tensor) => R,
  ) {
    super();
  }
  forward(x: Tensor): R {
    return this.connection(this.layers(x) as Tensor, x);
  }
  override toString(): string {
    const inner = this.layers instanceof Layer ? this.layers.toString() : functionName(this.layers);
    return `SkipConnection(${inner}, ${functionName(this.connection)})`;
  }
}
/**
 * `SkipConnection(layer, connection)`, Flux's SkipConnection: `connection(layer(x), x)`, a residual
 * block when the connection adds.
 *
 * ```ts
 * const block = SkipConnection(Chain(Dense(8, 8, relu), Dense(8, 8)), (y, x) => y.add(x));
 * block(rand(4, 8)).shape;   // [4, 8]
 * ```
 */
export function SkipConnection<R>(layer: (x: Tensor) => unknown, connection: (y: Tensor, x: Tensor) => R): SkipConnectionLayer<R> {
  if (typeof layer !== 'function') throw expected('SkipConnection', 'layer', 'a layer or function', layer);
  if (typeof connection !== 'function') throw expected('SkipConnection', 'connection', 'a function', connection);
  return new SkipConnectionLayer(layer, connection);
}

/**
 * A lookup table: integer indices [...] → vectors [..., dim]; weight [vocab, dim].
 *
 * ```ts
 * const emb = Embedding(10, 4);
 * emb.weight.shape;   // [10, 4]
 * emb(3).shape;   // [4]
 * emb(tensor([[1, 2, 3]], { dtype: 'int32' })).shape;   // [1, 3, 4]
 * ```
 */
export class EmbeddingLayer extends Layer {
  constructor(public weight: Tensor) {
    super();
  }
  forward(idx: Tensor | number[] | number): Tensor {
    const vocab = this.weight.shape[0];
    const t = typeof idx === 'number' || Array.isArray(idx) ? null : asTensor('Embedding', 'indices', idx);
    const values = t === null ? (typeof idx === 'number' ? [idx] : (idx as unknown[])) : Array.from(t.data());
    // checked here to name the layer (indexSelect would take -1 as the last row)
    values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocab)
        throw new IndexError(`${this.toString()}: index ${typeof v === 'number' ? v : describe(v)} at position ${i} is outside [0, ${vocab})`);
    });
    const rows = indexSelect(this.weight, 0, values as number[]);
    if (typeof idx === 'number') return reshape(rows, [this.weight.shape[1]]);
    return t === null ? rows : reshape(rows, [...t.shape, this.weight.shape[1]]);
  }
  override toString(): string {
    return `Embedding(${this.weight.shape[0]} => ${this.weight.shape[1]})`;
  }
}
/**
 * `Embedding(vocab, dim, { init, dtype, rng })`, Flux's Embedding: a lookup table of `vocab` vectors of
 * `dim` elements (Glorot uniform by default).
 *
 * ```ts
 * const emb = Embedding(100, 8);
 * emb([5, 7, 5]).shape;   // [3, 8]
 * ```
 */
export function Embedding(vocab: number, dim: number, opts: { init?: Initializer; dtype?: DType; rng?: RNG } = {}): EmbeddingLayer {
  checkSize('Embedding', 'vocab', vocab);
  checkSize('Embedding', 'dim', dim);
  const init = opts.init ?? ((s, o) => glorotUniform(s, o));
  return new EmbeddingLayer(init([vocab, dim], { dtype: opts.dtype, rng: opts.rng }));
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1−p), only in training.
 *
 * ```ts
 * const d = Dropout(0.5);
 * d.p;   // 0.5
 * d(ones(4));   // Tensor [1, 1, 1, 1]: 'auto' mode, and not inside gradient
 * ```
 */
export class DropoutLayer extends Layer {
  mode: Mode = 'auto';
  constructor(
    public p: number,
    public _rng?: RNG,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    if (!isActive(this.mode) || this.p === 0) return x;
    const keep = rand(x.shape, { dtype: x.dtype, rng: this._rng }).ge(this.p);
    return x.mul(keep).mul(1 / (1 - this.p));
  }
  override toString(): string {
    return `Dropout(${this.p})`;
  }
  trainable(): Record<string, unknown> {
    return {};
  }
}
/**
 * `Dropout(p, { rng })`, Flux's Dropout: zeroes each element with probability p in training (inside
 * `gradient` by default, or after `trainMode`), and passes the input through otherwise.
 *
 * ```ts
 * const d = Dropout(0.5, { rng: RNG(0) });
 * const y = trainMode(d)(ones(1000));
 * y.max().item();   // 2: the kept elements are scaled by 1/(1 − p)
 * testMode(d)(ones(3));   // Tensor [1, 1, 1]
 * ```
 */
export function Dropout(p: number, opts: { rng?: RNG } = {}): DropoutLayer {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw expected('Dropout', 'p', 'a probability in [0, 1)', p);
  return new DropoutLayer(p, opts.rng);
}
