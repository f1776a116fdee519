// The windows of a grid (convolution, pooling): per spatial dim the window size, stride,
// padding and dilation, from the forms the ops accept, and the output size they give.
import { ArgumentError, ShapeError, expected, shapeStr } from '../errors.js';

/**
 * A size per spatial dim: a number for all, or one per dim.
 *
 * ```ts
 * maxPool(zeros(1, 1, 4, 6), [2, 3]).shape;   // [1, 1, 2, 2]
 * ```
 */
export type PerDim = number | readonly number[];
/**
 * Padding: a number (both sides, every dim), one per dim, one [lo, hi] pair per dim, or 'same'.
 *
 * ```ts
 * conv(ones(1, 1, 5, 5), ones(2, 1, 3, 3), { pad: 'same' }).shape;   // [1, 2, 5, 5]
 * conv(ones(1, 1, 5, 5), ones(2, 1, 3, 3), { pad: [[0, 2], [1, 1]] }).shape;   // [1, 2, 5, 5]
 * ```
 */
export type Padding = number | readonly number[] | readonly (readonly [number, number])[] | 'same';

/**
 * Where a grid's windows sit: `stride` and `dilation` (a number or one per spatial dim) and `pad` (see Padding).
 *
 * ```ts
 * unfold(zeros(1, 1, 5, 5), 3, { stride: 2, dilation: 1, pad: 1 }).shape;   // [1, 9, 9]
 * ```
 */
export interface WindowOptions {
  stride?: PerDim;
  pad?: Padding;
  dilation?: PerDim;
}

/** The windows of a grid: per spatial dim the size S, window K, outputs O, stride, padding and dilation. */
export interface Windows {
  nd: number;
  S: number[];
  K: number[];
  O: number[];
  stride: number[];
  lo: number[];
  hi: number[];
  dilation: number[];
}

/** A positive integer. */
export function positive(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/** One value per spatial dim from a number or a list, each a positive integer. */
export function perDim(op: string, arg: string, v: PerDim | undefined, nd: number, dflt: number): number[] {
  if (v === undefined) return new Array<number>(nd).fill(dflt);
  const list = typeof v === 'number' ? new Array<number>(nd).fill(v) : v;
  if (!Array.isArray(list) || list.length !== nd || !list.every(positive))
    throw expected(op, arg, `a positive integer or ${nd} of them (one per spatial dim)`, v);
  return list.slice();
}

/** [lo, hi] per spatial dim from the Padding forms. 'same' needs the window sizes (stride 1). */
export function padPairs(op: string, pad: Padding | undefined, nd: number, K: number[], dilation: number[], stride: number[]): [number, number][] {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (pad === undefined) return new Array(nd).fill(0).map(() => [0, 0]);
  if (pad === 'same') {
    if (stride.some((s) => s !== 1)) throw new ArgumentError(`${op}: pad 'same' needs stride 1, got stride ${shapeStr(stride)}`);
    // the total padding keeps the size; an odd total puts the extra element at the end (as PyTorch)
    return K.map((k, d) => {
      const total = dilation[d] * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (ok(pad)) return new Array(nd).fill(0).map(() => [pad as number, pad as number]);
  if (Array.isArray(pad) && pad.length === nd) {
    if (pad.every(ok)) return (pad as number[]).map((p) => [p, p]);
    if (pad.every((p) => Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]))) return (pad as [number, number][]).map(([a, b]) => [a, b]);
  }
  throw expected(op, 'pad', `a non-negative integer, ${nd} of them, ${nd} [lo, hi] pairs, or 'same'`, pad);
}

/** The output size of every spatial dim, checked: the window must fit the padded input. */
export function windows(op: string, S: readonly number[], K: number[], o: WindowOptions): Windows {
  const nd = S.length;
  const stride = perDim(op, 'stride', o.stride, nd, 1);
  const dilation = perDim(op, 'dilation', o.dilation, nd, 1);
  const pads = padPairs(op, o.pad, nd, K, dilation, stride);
  const O = S.map((s, d) => {
    const span = dilation[d] * (K[d] - 1) + 1;
    const padded = s + pads[d][0] + pads[d][1];
    if (span > padded)
      throw new ShapeError(`${op}: the window (${K.join('×')}, dilation ${dilation.join('×')}) is larger than the padded input ${shapeStr(S.map((v, i) => v + pads[i][0] + pads[i][1]))} in spatial dim ${d}`);
    return Math.floor((padded - span) / stride[d]) + 1;
  });
  return { nd, S: S.slice(), K, O, stride, lo: pads.map((p) => p[0]), hi: pads.map((p) => p[1]), dilation };
}

