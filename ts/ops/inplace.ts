// In-place updates, for use outside differentiated code (parameter updates, buffers).
// They refuse tensors an active gradient is tracking, and bump a version counter so a
// backward pass that needs the old values can tell they were overwritten.
import { assertWritable } from '../autodiff/tape.js';
import { copyInto, opCode } from '../backend/index.js';
import { DTypeError, FluxionError, ShapeError, expected, shapeStr } from '../errors.js';
import { broadcastShapes, sameShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { binaryInto } from './elementwise.js';
import { notMethod } from './methods.js';
import { clone } from './movement.js';
import { asOperand, asTensor } from './operand.js';

/** Refuses in-place writes to read-only, broadcast, disposed or tracked tensors. */
export const checkTarget = notMethod(function checkTarget(op: string, t: Tensor): void {
  asTensor(op, 'this', t);
  if (t._readonly) throw new FluxionError(`${op}: this tensor is read-only`);
  for (let i = 0; i < t.ndim; i++)
    if (t._strides[i] === 0 && t.shape[i] > 1)
      throw new FluxionError(
        `${op}: cannot write in place to a broadcast view (dim ${i} repeats one element ${t.shape[i]} times); use .clone() first`,
      );
  assertWritable(op, t);
});

function operandFor(op: string, t: Tensor, other: TensorLike): Tensor {
  let o = asOperand(op, 'other', other, t);
  if (o.device !== t.device) throw new FluxionError(`${op}: other is on ${o.device} but this tensor is on ${t.device}`);
  if (!sameShape(broadcastShapes(op, t.shape, o.shape), t.shape))
    throw new ShapeError(`${op}: other of shape ${shapeStr(o.shape)} does not broadcast to this tensor's shape ${shapeStr(t.shape)}`);
  if (o.dtype !== t.dtype) o = cast(o, t.dtype);
  // Reading and writing one storage through different views (a.addInPlace(a.T)) would see
  // elements already overwritten: read from a copy instead.
  if (o._buf === t._buf && !(o._offset === t._offset && sameShape(o.shape, t.shape) && o._strides.every((s, i) => s === t._strides[i])))
    o = clone(o);
  return o;
}

function defineInPlace(op: string, kernel: string) {
  const code = opCode('binary', kernel);
  return (t: Tensor, other: TensorLike): Tensor => {
    checkTarget(op, t);
    // The quotient of integers is not an integer (and int32 division by 0 used to reach the
    // native kernel and kill the process with SIGFPE); NumPy and PyTorch refuse this too.
    if (kernel === 'div' && t.dtype === 'int32')
      throw new DTypeError(`${op}: cannot divide an int32 tensor in place (the quotient is not an integer); use .div(), which returns float32`);
    const o = operandFor(op, t, other);
    binaryInto(code, t, o, t);
    t._root()._version++;
    return t;
  };
}

/**
 * this += other (broadcast to this shape). Returns this.
 *
 * ```ts
 * const x = tensor([1, 2]);
 * x.addInPlace(1);
 * x;   // Tensor [2, 3]
 * ```
 */
export const addInPlace = defineInPlace('addInPlace', 'add');
/**
 * this -= other. Returns this.
 *
 * ```ts
 * tensor([5, 5]).subInPlace(tensor([1, 2]));   // Tensor [4, 3]
 * ```
 */
export const subInPlace = defineInPlace('subInPlace', 'sub');
/**
 * this *= other. Returns this.
 *
 * ```ts
 * tensor([[1, 2], [3, 4]]).mulInPlace(tensor([10, 100]));   // Tensor [[10, 200], [30, 400]]
 * ```
 */
export const mulInPlace = defineInPlace('mulInPlace', 'mul');
/**
 * this /= other. Returns this.
 *
 * ```ts
 * tensor([2, 4]).divInPlace(2);   // Tensor [1, 2]
 * ```
 */
export const divInPlace = defineInPlace('divInPlace', 'div');

/**
 * Copies `src` (broadcast, converted to this dtype) into this tensor. Returns this.
 *
 * ```ts
 * const x = zeros(2, 2);
 * x.get(0).assign(tensor([1, 2]));   // writes through the view
 * x;   // Tensor [[1, 2], [0, 0]]
 * ```
 */
export function assign(t: Tensor, src: TensorLike): Tensor {
  return copyIn('assign', t, src);
}

/**
 * Sets every element to `value`. Returns this.
 *
 * ```ts
 * zeros(3).fill(7);   // Tensor [7, 7, 7]
 * ```
 */
export function fill(t: Tensor, value: number): Tensor {
  if (t instanceof Object && (t as Tensor).dtype === 'int32' && typeof value === 'number' && !Number.isInteger(value))
    throw new DTypeError(`fill: cannot store ${value} in an int32 tensor (not an integer)`);
  if (typeof value !== 'number') throw expected('fill', 'value', 'a number', value);
  return copyIn('fill', t, value); // under its own name, so that errors say 'fill', not 'assign'
}

function copyIn(op: string, t: Tensor, src: TensorLike): Tensor {
  checkTarget(op, t);
  const o = operandFor(op, t, src);
  copyInto(o, t);
  t._root()._version++;
  return t;
}

