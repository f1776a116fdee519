// Multi-head attention, Flux's MultiHeadAttention with PyTorch's parameter blocks: four Dense
// fields qProj, kProj, vProj, outProj (weights [dim, dim]), so PyTorch's in_proj_weight is the
// three row blocks q, k, v stacked. Inputs are batch first, [batch, L, dim].
import type { DType } from '../dtype.js';
import { ArgumentError, ShapeError, expected, shapeStr } from '../errors.js';
import { type AttentionOptions, dotProductAttention } from '../ops/attention.js';
import { permute, reshape } from '../ops/movement.js';
import { asTensor } from '../ops/operand.js';
import type { RNG } from '../random.js';
import { Tensor } from '../tensor.js';
import { Layer, type Mode, isActive } from './layer.js';
import { Dense, type DenseLayer, Dropout, type DropoutLayer, paramDtype } from './layers.js';

/**
 * Options of `MultiHeadAttention`: biases, dropout on the attention weights, the dtype and the generator.
 *
 * ```ts
 * const mha = MultiHeadAttention(8, 2, { bias: false, dropout: 0.1, rng: RNG(0) });
 * params(mha).length;   // 4
 * ```
 */
export interface MultiHeadAttentionOptions {
  /** Biases in the four projections (default true). */
  bias?: boolean;
  /** Dropout on the attention weights while active (training), default 0. */
  dropout?: number;
  dtype?: DType;
  rng?: RNG;
}

/**
 * Options of a `MultiHeadAttention` call: a mask, or causal attention.
 *
 * ```ts
 * const mha = MultiHeadAttention(8, 2);
 * const x = randn(2, 5, 8);
 * mha(x, { causal: true }).shape;   // [2, 5, 8]
 * mha(x, x, x, { mask: tril(ones(5, 5)) }).shape;   // [2, 5, 8]: the same as causal
 * ```
 */
export interface MultiHeadCallOptions {
  /**
   * Broadcastable to [batch, heads, Lq, Lk], nonzero where a query may attend to a key; a 2-D
   * [Lq, Lk] or 3-D [batch, Lq, Lk] mask applies to every head.
   */
  mask?: Tensor;
  /** Query i attends to keys 0..i only. */
  causal?: boolean;
}

/**
 * `MultiHeadAttention(dim, heads)`: `mha(q, k = q, v = k, { mask, causal })` → [batch, Lq, dim].
 *
 * ```ts
 * const mha = MultiHeadAttention(8, 2);
 * mha.qProj.weight.shape;   // [8, 8]
 * mha(randn(2, 5, 8), randn(2, 7, 8)).shape;   // [2, 5, 8]: queries of 5, keys and values of 7
 * ```
 */
export class MultiHeadAttentionLayer extends Layer {
  qProj: DenseLayer;
  kProj: DenseLayer;
  vProj: DenseLayer;
  outProj: DenseLayer;
  dropout: DropoutLayer;
  readonly heads: number;
  mode: Mode = 'auto';

  constructor(dim: number, heads: number, opts: MultiHeadAttentionOptions) {
    super();
    const o = { bias: opts.bias !== false, dtype: opts.dtype, rng: opts.rng };
    this.qProj = Dense(dim, dim, undefined, o);
    this.kProj = Dense(dim, dim, undefined, o);
    this.vProj = Dense(dim, dim, undefined, o);
    this.outProj = Dense(dim, dim, undefined, o);
    this.dropout = Dropout(opts.dropout ?? 0, { rng: opts.rng });
    this.heads = heads;
  }

  get dim(): number {
    return this.qProj.weight.shape[0];
  }

  /** @internal */
  private checked(x: unknown, name: string): Tensor {
    const t = x instanceof Tensor ? x : asTensor(String(this), name, x);
    if (t.ndim !== 3 || t.shape[2] !== this.dim)
      throw new ShapeError(`${this} expects ${name} of shape [batch, L, ${this.dim}], got ${shapeStr(t.shape)}`);
    return paramDtype(this, t, this.qProj.weight.dtype);
  }

  /** [B, L, dim] → [B, heads, L, dim/heads]. */
  /** @internal */
  private split(x: Tensor): Tensor {
    const [B, L] = x.shape;
    return permute(reshape(x, [B, L, this.heads, this.dim / this.heads]), [0, 2, 1, 3]);
  }

  forward(q: Tensor, ...rest: (Tensor | MultiHeadCallOptions | undefined)[]): Tensor {
    const tensors = rest.filter((r): r is Tensor => r instanceof Tensor);
    const last = rest[rest.length - 1];
    const opts: MultiHeadCallOptions = last !== undefined && !(last instanceof Tensor) ? (last as MultiHeadCallOptions) : {};
    if (tensors.length > 2 || rest.slice(0, tensors.length).some((r) => !(r instanceof Tensor)))
      throw new ArgumentError(`${this}: expected (q), (q, kv), (q, k, v), each optionally followed by { mask, causal }`);
    const qt = this.checked(q, 'q');
    const kt = tensors[0] === undefined ? qt : this.checked(tensors[0], 'k');
    const vt = tensors[1] === undefined ? kt : this.checked(tensors[1], 'v');
    if (kt.shape[0] !== qt.shape[0] || vt.shape[0] !== qt.shape[0] || vt.shape[1] !== kt.shape[1])
      throw new ShapeError(`${this}: q ${shapeStr(qt.shape)}, k ${shapeStr(kt.shape)} and v ${shapeStr(vt.shape)} must share the batch, and k and v the length`);
    let mask = opts.mask;
    if (mask !== undefined && mask instanceof Tensor && mask.ndim === 3) mask = reshape(mask, [mask.shape[0], 1, mask.shape[1], mask.shape[2]]);
    const att: AttentionOptions = { mask, causal: opts.causal };
    if (this.dropout.p > 0 && isActive(this.mode)) att.weights = (w) => this.dropout(w) as Tensor;
    const y = dotProductAttention(this.split(this.qProj(qt)), this.split(this.kProj(kt)), this.split(this.vProj(vt)), att);
    const [B, , Lq] = y.shape;
    return this.outProj(reshape(permute(y, [0, 2, 1, 3]), [B, Lq, this.dim]));
  }

  override toString(): string {
    const extra = [this.qProj.bias === null ? ', bias=false' : '', this.dropout.p > 0 ? `, dropout=${this.dropout.p}` : ''].join('');
    return `MultiHeadAttention(${this.dim}, heads=${this.heads}${extra})`;
  }
}

/**
 * `MultiHeadAttention(dim, heads, { bias = true, dropout = 0, dtype, rng })`: the four [dim, dim]
 * projections qProj, kProj, vProj, outProj and `heads` attention heads of dim/heads each.
 *
 * ```ts
 * const mha = MultiHeadAttention(16, 4);
 * mha(randn(2, 10, 16)).shape;   // [2, 10, 16]: self-attention
 * ```
 */
export function MultiHeadAttention(dim: number, heads: number, opts: MultiHeadAttentionOptions = {}): MultiHeadAttentionLayer {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) throw expected('MultiHeadAttention', 'dim', 'a positive integer', dim);
  if (typeof heads !== 'number' || !Number.isInteger(heads) || heads < 1) throw expected('MultiHeadAttention', 'heads', 'a positive integer', heads);
  if (dim % heads !== 0) throw new ShapeError(`MultiHeadAttention: dim ${dim} is not divisible by heads ${heads}`);
  if (opts === null || typeof opts !== 'object') throw expected('MultiHeadAttention', 'options', '{ bias, dropout, dtype, rng }', opts);
  const p = opts.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw expected('MultiHeadAttention', 'dropout', 'a probability in [0, 1)', opts.dropout);
  return new MultiHeadAttentionLayer(dim, heads, opts);
}
