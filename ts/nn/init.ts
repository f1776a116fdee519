// Weight initialisers (Flux's defaults): each takes a shape [out, in, ...] and options.
import { rand, randn, zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import type { RNG } from '../random.js';
import type { Tensor } from '../tensor.js';

/**
 * Options of an `Initializer`: the dtype, the generator and the gain (a scale on the spread).
 *
 * ```ts
 * kaimingUniform([4, 4], { gain: 1, rng: RNG(3), dtype: 'float64' }).dtype;   // 'float64'
 * ```
 */
export interface InitOptions {
  dtype?: DType;
  rng?: RNG;
  gain?: number;
}
/**
 * A weight initialiser: a tensor of `shape` ([out, in, ...kernel]), made with the options' dtype and generator.
 *
 * ```ts
 * const halves: Initializer = (shape, opts) => full([...shape], 0.5, { dtype: opts?.dtype });
 * Dense(2, 1, identity, { init: halves })(tensor([1, 1]));   // Tensor [1]
 * ```
 */
export type Initializer = (shape: readonly number[], opts?: InitOptions) => Tensor;

/** fan_in, fan_out of a weight [out, in, ...kernel] */
function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1] * receptive, shape[0] * receptive];
}

function uniform(shape: readonly number[], bound: number, opts: InitOptions): Tensor {
  return rand(shape, { dtype: opts.dtype, rng: opts.rng }).mul(2 * bound).sub(bound);
}

/**
 * U(−a, a) with a = gain·√(6 / (fan_in + fan_out)): Flux's default for Dense.
 *
 * ```ts
 * const w = glorotUniform([100, 50], { rng: RNG(0) });
 * w.abs().max().item() <= Math.sqrt(6 / 150);   // true
 * ```
 */
export const glorotUniform: Initializer = (shape, opts = {}) => {
  const [fi, fo] = fans(shape);
  return uniform(shape, (opts.gain ?? 1) * Math.sqrt(6 / (fi + fo)), opts);
};

/**
 * N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).
 *
 * ```ts
 * glorotNormal([3, 2]).shape;   // [3, 2]
 * ```
 */
export const glorotNormal: Initializer = (shape, opts = {}) => {
  const [fi, fo] = fans(shape);
  return randn(shape, { dtype: opts.dtype, rng: opts.rng }).mul((opts.gain ?? 1) * Math.sqrt(2 / (fi + fo)));
};

/**
 * U(−a, a) with a = gain·√(3 / fan_in), gain √2 by default (He, for relu).
 *
 * ```ts
 * const w = kaimingUniform([100, 50], { rng: RNG(0) });
 * w.abs().max().item() <= Math.sqrt(2) * Math.sqrt(3 / 50);   // true
 * ```
 */
export const kaimingUniform: Initializer = (shape, opts = {}) => {
  const [fi] = fans(shape);
  return uniform(shape, (opts.gain ?? Math.SQRT2) * Math.sqrt(3 / fi), opts);
};

/**
 * N(0, σ²) with σ = gain / √fan_in, gain √2 by default.
 *
 * ```ts
 * Conv(3, 16, 32, relu, { init: kaimingNormal }).weight.shape;   // [32, 16, 3, 3]
 * ```
 */
export const kaimingNormal: Initializer = (shape, opts = {}) => {
  const [fi] = fans(shape);
  return randn(shape, { dtype: opts.dtype, rng: opts.rng }).mul((opts.gain ?? Math.SQRT2) / Math.sqrt(fi));
};

/**
 * Zeros of the shape (an `Initializer`).
 *
 * ```ts
 * zerosInit([2]);   // Tensor [0, 0]
 * Dense(3, 2, identity, { init: zerosInit })(ones(3));   // Tensor [0, 0]
 * ```
 */
export const zerosInit: Initializer = (shape, opts = {}) => zeros(shape, { dtype: opts.dtype });
