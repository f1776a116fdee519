// The shape of an op case (see test/ops/cases.ts, which holds the list), and the
// shorthands the per-family case files use.
import type { CheckOptions, DType, Tensor } from '../../../ts/index.js';
import type { Arr } from '../reference.js';

/**
 * How input values are drawn (each generator also has an integer form for int32):
 * normal   N(0, 1)
 * positive in [0.5, 2.5] (log, sqrt, pow base)
 * nonzero  |x| >= 0.25 (relu, abs, recip: away from the kink or pole)
 * distinct all values distinct by >= 0.09, also across inputs (max/min without ties)
 * int      integers in [-2, 2] (ties for comparisons, exact int32 math)
 * mask     0 or 1 (conditions)
 * large    around 100 (stability of softmax / logsumexp)
 */
export type Gen = 'normal' | 'positive' | 'nonzero' | 'distinct' | 'int' | 'mask' | 'large';

/**
 * Memory layout of an input. The values are always the same logical values; only the
 * storage differs: a transposed view, every other element of a wider buffer (the gaps
 * hold NaN, so a kernel that reads them is caught), a view at a nonzero offset, or a
 * stride-0 broadcast of a smaller tensor.
 */
export type Layout = 'contiguous' | 'transposed' | 'strided' | 'offset' | { expandFrom: number[] };

export interface InputSpec {
  shape: number[];
  gen?: Gen;
  layout?: Layout;
  /** A fixed dtype for this input (index tensors, promotion cases); default: the case dtype. */
  dtype?: DType;
  /** false: held constant by the gradient checks (conditions, indices). */
  grad?: boolean;
}

/** Tolerance classes; see TOLERANCES. */
export type TolClass = 'exact' | 'default' | 'transcendental' | 'accumulate';

export interface OpCase {
  /** Unique; used as the test title. */
  name: string;
  /** The exported op this case exercises (the coverage test checks every export has one). */
  op: string;
  fn: (...xs: Tensor[]) => Tensor | Tensor[];
  inputs: InputSpec[];
  /** The same computation on the inputs' logical values. */
  ref: (...xs: Arr[]) => Arr | Arr[];
  /** Default: float32 and float64. */
  dtypes?: DType[];
  /** Output dtype for a given case dtype (default: the case dtype). */
  outDtype?: DType | ((d: DType) => DType);
  /** false: no gradient checks (comparisons, argmax, ties, int-only paths). Default true. */
  differentiable?: boolean;
  tol?: TolClass;
  /** Options for gradcheck / gradgradcheck when the defaults do not suit the case. */
  gradcheck?: CheckOptions;
}

export const FLOAT: DType[] = ['float32', 'float64'];
export const ALL: DType[] = ['float32', 'float64', 'int32'];

/** { atol, rtol } per tolerance class and dtype: |actual - expected| <= atol + rtol |expected|. */
export const TOLERANCES: Record<TolClass, Record<DType, { atol: number; rtol: number }>> = {
  exact: { float32: { atol: 0, rtol: 0 }, float64: { atol: 0, rtol: 0 }, int32: { atol: 0, rtol: 0 } },
  default: { float32: { atol: 1e-6, rtol: 1e-5 }, float64: { atol: 1e-12, rtol: 1e-12 }, int32: { atol: 0, rtol: 0 } },
  transcendental: { float32: { atol: 1e-6, rtol: 2e-5 }, float64: { atol: 1e-12, rtol: 1e-12 }, int32: { atol: 0, rtol: 0 } },
  // float32 sums and products of several terms (matmul, softmax, logsumexp)
  accumulate: { float32: { atol: 1e-5, rtol: 1e-4 }, float64: { atol: 1e-12, rtol: 1e-12 }, int32: { atol: 0, rtol: 0 } },
};

/** Shorthand for an input spec. */
export function I(shape: number[], opts: Omit<InputSpec, 'shape'> | Gen | Layout = {}): InputSpec {
  if (typeof opts === 'string') {
    const layouts = ['contiguous', 'transposed', 'strided', 'offset'];
    return layouts.includes(opts) ? { shape, layout: opts as Layout } : { shape, gen: opts as Gen };
  }
  if ('expandFrom' in opts) return { shape, layout: opts };
  return { shape, ...opts };
}
