// Turning op arguments into tensors: numbers become scalars of the other operand's
// dtype (like NumPy's weak scalars), devices must match, dtypes are promoted.
import { constant } from '../backend/index.js';
import { type DType, isFloat, promote } from '../dtype.js';
import { DeviceError, DTypeError, expected } from '../errors.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { cast } from './cast.js';

/** A shared read-only 0-d tensor holding v, on `like`'s device (the CPU without one). */
export function scalar(v: number, dtype: DType, like?: Tensor): Tensor {
  return constant(v, dtype, like?.device ?? 'cpu');
}

/** A Tensor argument, checked. */
export function asTensor(op: string, arg: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x._check(op);
  throw expected(op, arg, 'a Tensor', x);
}

/**
 * A Tensor or a number; numbers take the dtype of `like` (float32 when there is none), except
 * that a number an int32 cannot hold (0.5, NaN, 2^31) is float32 next to an int32 tensor, so
 * the op promotes to float32 as NumPy does for a Python float, instead of truncating it to 0.
 */
export function asOperand(op: string, arg: string, x: unknown, like?: Tensor): Tensor {
  if (x instanceof Tensor) return x._check(op);
  if (typeof x === 'number') {
    const fitsInt = Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31;
    return scalar(x, like ? (like.dtype === 'int32' && !fitsInt ? 'float32' : like.dtype) : 'float32', like);
  }
  throw expected(op, arg, 'a Tensor or a number', x);
}

/** Two operands on one device in one dtype (the wider one). */
export function binaryOperands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  let x: Tensor;
  let y: Tensor;
  if (a instanceof Tensor) {
    x = a._check(op);
    y = asOperand(op, 'second operand', b, x);
  } else if (b instanceof Tensor) {
    y = b._check(op);
    x = asOperand(op, 'first operand', a, y);
  } else {
    x = asOperand(op, 'first operand', a);
    y = asOperand(op, 'second operand', b, x);
  }
  if (x.device !== y.device)
    throw new DeviceError(`${op}: operands are on different devices (${x.device} and ${y.device}); move one with .to('${x.device}')`);
  if (x.dtype !== y.dtype) {
    const d = promote(x.dtype, y.dtype);
    if (x.dtype !== d) x = cast(x, d);
    if (y.dtype !== d) y = cast(y, d);
  }
  return [x, y];
}

/** Ops that are only defined on real numbers compute int32 inputs in float32. */
export function floatOperand(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

export function requireFloat(op: string, arg: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw expected(op, arg, 'a float32 or float64 tensor', x, DTypeError);
}
