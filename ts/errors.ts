// Every error Fluxion throws names the op, the argument, what was expected and what was
// received. One template (`expected`) keeps the messages uniform.
import { callable } from './callable.js';

/**
 * The base of every error Fluxion throws; each names the op, the argument, what was expected and
 * what it got. Constructible with or without `new`, as Error is.
 *
 * ```ts
 * ShapeError('matmul: sizes differ') instanceof FluxionError;   // true
 * FluxionError('something failed').name;   // 'FluxionError'
 * ```
 */
class FluxionError extends Error {
  override name = 'FluxionError';
}
/**
 * A shape or size that does not fit the op.
 *
 * ```ts
 * let err: unknown;
 * try {
 *   tensor([1, 2]).add(tensor([1, 2, 3]));
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof ShapeError;   // true
 * err instanceof FluxionError;   // true
 * ```
 */
class ShapeError extends FluxionError {
  override name = 'ShapeError';
}
/**
 * A dtype the op cannot take.
 *
 * ```ts
 * let err: unknown;
 * try {
 *   rand(2, { dtype: 'int32' });
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof DTypeError;   // true
 * err instanceof FluxionError;   // true
 * ```
 */
class DTypeError extends FluxionError {
  override name = 'DTypeError';
}
/**
 * Operands on different devices, or a device this build or machine cannot use.
 *
 * ```ts
 * const e = DeviceError('add: operands on cpu and cuda');
 * e.name;   // 'DeviceError'
 * e instanceof FluxionError;   // true
 * ```
 */
class DeviceError extends FluxionError {
  override name = 'DeviceError';
}
/**
 * An index or axis outside its range.
 *
 * ```ts
 * let err: unknown;
 * try {
 *   tensor([1, 2]).get(5);
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof IndexError;   // true
 * err instanceof FluxionError;   // true
 * ```
 */
class IndexError extends FluxionError {
  override name = 'IndexError';
}
/**
 * A wrong kind of argument (not a tensor, not a function, ...).
 *
 * ```ts
 * let err: unknown;
 * try {
 *   Dropout(1.5);
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof ArgumentError;   // true
 * err instanceof FluxionError;   // true
 * ```
 */
class ArgumentError extends FluxionError {
  override name = 'ArgumentError';
}
/**
 * Misuse of differentiation: non-scalar loss, a saved tensor modified in place, ...
 *
 * ```ts
 * let err: unknown;
 * try {
 *   gradient((x: Tensor) => x.mul(2), tensor([1, 2]))   // the loss must be a scalar;
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof GradientError;   // true
 * err instanceof FluxionError;   // true
 * ```
 */
class GradientError extends FluxionError {
  override name = 'GradientError';
}

// Constructible with or without `new`, as Error itself is.
const FluxionError_ = callable(FluxionError);
type FluxionError_ = FluxionError;
const ShapeError_ = callable(ShapeError);
type ShapeError_ = ShapeError;
const DTypeError_ = callable(DTypeError);
type DTypeError_ = DTypeError;
const DeviceError_ = callable(DeviceError);
type DeviceError_ = DeviceError;
const IndexError_ = callable(IndexError);
type IndexError_ = IndexError;
const ArgumentError_ = callable(ArgumentError);
type ArgumentError_ = ArgumentError;
const GradientError_ = callable(GradientError);
type GradientError_ = GradientError;
export { FluxionError_ as FluxionError, ShapeError_ as ShapeError, DTypeError_ as DTypeError, DeviceError_ as DeviceError, IndexError_ as IndexError, ArgumentError_ as ArgumentError, GradientError_ as GradientError };

// (structural: this module imports nothing but callable.ts, so that every other module may import it)
function isTensorLike(x: unknown): x is { shape: readonly number[]; dtype: string; device: string } {
  return typeof x === 'object' && x !== null && 'shape' in x && 'dtype' in x && '_buf' in x;
}

/** A short description of any value, for error messages. */
/** A short list of numbers (or of number lists) shown as written, so a bad size reads as the user typed it. */
function shortArray(x: unknown[]): string | undefined {
  const flat = (v: unknown): string | undefined => (typeof v === 'number' ? String(v) : undefined);
  if (x.length === 0 || x.length > 8) return undefined;
  const parts = x.map((v) => (Array.isArray(v) && v.length <= 8 && v.every((e) => typeof e === 'number') ? `[${v.join(', ')}]` : flat(v)));
  return parts.every((p) => p !== undefined) ? `the array [${parts.join(', ')}]` : undefined;
}

export function describe(x: unknown): string {
  if (isTensorLike(x)) return `a ${x.dtype} tensor of shape [${x.shape.join(', ')}] on ${x.device}`;
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x === 'number') return `the number ${x}`;
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x)}`;
  if (typeof x === 'boolean') return `the boolean ${x}`;
  if (typeof x === 'bigint') return `the bigint ${x}n`;
  if (typeof x === 'function')
    return typeof (x as { forward?: unknown }).forward === 'function' ? `the layer ${String(x)}` : `a function${x.name ? ` (${x.name})` : ''}`;
  if (typeof x === 'symbol') return 'a symbol';
  if (Array.isArray(x)) return shortArray(x) ?? `an array of length ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  const name = (x as object).constructor?.name;
  return name && name !== 'Object' ? `an object of class ${name}` : 'an object';
}

/** `op: expected <arg> to be <what>, got <received>` */
export function expected(op: string, arg: string, what: string, got: unknown, Kind = ArgumentError): FluxionError {
  return new Kind(`${op}: expected ${arg} to be ${what}, got ${describe(got)}`);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
