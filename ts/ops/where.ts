// where(cond, a, b): a where cond is nonzero, b elsewhere (broadcast).
import { isRecording, record } from '../autodiff/tape.js';
import { empty, kernel, raw } from '../backend/index.js';
import { putOperands } from '../backend/meta.js';
import { DeviceError } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { ne } from './binary.js';
import { cast } from './cast.js';
import { asOperand, binaryOperands } from './operand.js';
import { registerOp } from './registry.js';

registerOp({ name: 'where', family: 'binary', kernels: ['where'], differentiable: true });
const whereK = kernel('where');

/**
 * `a` where `cond` is nonzero and `b` elsewhere, all three broadcast together; the gradient flows
 * to `a` and `b` only where each was chosen.
 *
 * ```ts
 * const x = tensor([-1, 2]);
 * where(gt(x, 0), x, 0);   // Tensor [0, 2]
 * ```
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = binaryOperands('where', a, b);
  let c = asOperand('where', 'cond', cond, x);
  if (c.device !== x.device)
    throw new DeviceError(`where: cond is on ${c.device} but the values are on ${x.device}`);
  // Compare with 0 before converting: casting a float cond such as 0.5 to int32 would give 0.
  if (c.dtype !== x.dtype) c = cast(ne(c, 0), x.dtype);
  const shape = broadcastShapes('where', c.shape, broadcastShapes('where', x.shape, y.shape));
  const out = empty(shape, x.dtype, x.device);
  putOperands(shape, out, c, x, y);
  whereK(raw(out), raw(c), raw(x), raw(y));
  if (isRecording())
    record('where', out, [c, x, y], (g, [cc]) => [null, () => where(cc, g, 0), () => where(cc, 0, g)]);
  return out;
}
