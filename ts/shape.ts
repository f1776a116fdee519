// Shape arithmetic, done once: strides, broadcasting, dim normalisation.
import { ArgumentError, IndexError, ShapeError, describe, expected, shapeStr } from './errors.js';

export const MAX_DIMS = 16;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major contiguity (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

/** NumPy broadcasting: align trailing dims; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  if (sameShape(a, b)) return a as number[];
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
    const db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else throw new ShapeError(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
  }
  return out;
}

/**
 * A user-given list for an error message: numbers as they are, anything else described.
 * (String() and join() throw on symbols and null-prototype objects, which would turn a
 * clear error into a TypeError from inside the message.)
 */
export function listStr(xs: readonly unknown[]): string {
  return `[${xs.map(valueStr).join(', ')}]`;
}

/** One user-given value for an error message: a number as it is, anything else described. */
export function valueStr(v: unknown): string {
  return typeof v === 'number' ? String(v) : describe(v);
}

/** Validates a user-given shape: an array of non-negative integers, at most MAX_DIMS long. */
export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw expected(op, arg, 'an array of non-negative integers', shape);
  if (shape.length > MAX_DIMS) throw new ShapeError(`${op}: expected ${arg} to have at most ${MAX_DIMS} dims, got ${shape.length}`);
  for (const d of shape)
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new ShapeError(`${op}: expected ${arg} to be an array of non-negative integers, got ${listStr(shape)}`);
  // Sizes travel to the kernels as exact integers; [0, 1e300] used to pass (1e300 is an
  // integer, and the shape holds no element) and reach native code as a garbage size.
  if (shape.some((d) => d > Number.MAX_SAFE_INTEGER) || numel(shape) > Number.MAX_SAFE_INTEGER)
    throw new ShapeError(`${op}: ${arg} ${listStr(shape)} is too large: sizes and element counts must stay below 2^53`);
  return shape as number[];
}

/** Normalises a possibly negative dim into [0, ndim). */
export function normDim(op: string, dim: unknown, ndim: number, arg = 'dim'): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw expected(op, arg, `an integer in [${-Math.max(ndim, 1)}, ${Math.max(ndim, 1) - 1}]`, dim, IndexError);
  const d = dim < 0 ? dim + ndim : dim;
  if (d < 0 || d >= ndim)
    throw new IndexError(`${op}: expected ${arg} in [${-ndim}, ${ndim - 1}] for a tensor with ${ndim} dims, got ${dim}`);
  return d;
}

/** Dims to reduce over: undefined/null = all; a number or an array of distinct dims. */
export function normDims(op: string, dims: unknown, ndim: number): boolean[] {
  const mask = new Array<boolean>(ndim).fill(dims === undefined || dims === null);
  if (dims === undefined || dims === null) return mask;
  const list = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(list)) throw expected(op, 'dims', 'a dim, an array of dims, or undefined', dims, IndexError);
  for (const d of list) {
    const k = normDim(op, d, ndim, 'dims');
    if (mask[k]) throw new IndexError(`${op}: dim ${d} is repeated in dims ${listStr(list)}`);
    mask[k] = true;
  }
  return mask;
}

/**
 * A shape (or a list of dims) as a caller may write it: separate numbers, `f(2, 3)`, or one
 * array, `f([2, 3])`. The one rule for every op that takes dims (zeros, ones, full, rand,
 * randn, reshape, expand, permute, ...); `ShapeArgs` is its type.
 */
export type ShapeArgs = number[] | [readonly number[]];

/**
 * The dims of a `ShapeArgs` argument list, not yet checked beyond their form (reshape allows a -1,
 * permute negative dims): one array, or numbers only. `zeros([2], 3)` is an error, not a guess.
 */
export function dimsArg(op: string, args: readonly unknown[], arg = 'shape'): unknown[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0].slice();
  if (args.some((a) => typeof a !== 'number')) {
    const got = args.length === 1 ? describe(args[0]) : `(${args.map(valueOrList).join(', ')})`;
    throw new ArgumentError(`${op}: expected ${arg} to be separate integers, ${op}(2, 3), or one array, ${op}([2, 3]); got ${got}`);
  }
  return args.slice();
}

function valueOrList(v: unknown): string {
  return Array.isArray(v) ? listStr(v) : valueStr(v);
}

/**
 * Splits a trailing options object (a plain object) off variadic arguments; a trailing
 * `undefined` is "no options", as for an optional parameter (`f(5, maybeOpts)`). A tensor or
 * other class instance is not options: `full(2, 3, someTensor)` must fail on the value, not
 * become `full(2, 3)`.
 */
export function splitOptions(args: readonly unknown[]): [unknown[], unknown] {
  const last = args[args.length - 1];
  if (args.length > 0 && (last === undefined || isPlainObject(last))) return [args.slice(0, -1), last];
  return [args.slice(), undefined];
}

function isPlainObject(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
