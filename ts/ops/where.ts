// where(cond, a, b): a where cond is nonzero, b elsewhere (broadcast).
import { isRecording, record } from '../autodiff/tape.js';
import { backendOf } from '../backend/index.js';
import { DeviceError } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { installMethods } from './methods.js';
import { asOperand, binaryOperands } from './operand.js';
import { cast } from './cast.js';
import { ne } from './binary.js';
import { registerOp } from './registry.js';

registerOp({ name: 'where', family: 'binary', kernels: ['other:where'], differentiable: true });

export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = binaryOperands('where', a, b);
  let c = asOperand('where', 'cond', cond, x);
  if (c.device !== x.device)
    throw new DeviceError(`where: cond is on ${c.device} but the values are on ${x.device}`);
  // Compare with 0 before converting: casting a float cond such as 0.5 to int32 would give 0.
  if (c.dtype !== x.dtype) c = cast(ne(c, 0), x.dtype);
  const shape = broadcastShapes('where', c.shape, broadcastShapes('where', x.shape, y.shape));
  const out = backendOf(x).where(c, x, y, shape);
  if (isRecording())
    record('where', out, [c, x, y], (g, [cc]) => [null, () => where(cc, g, 0), () => where(cc, 0, g)]);
  return out;
}

declare module '../tensor.js' {
  interface Tensor {
    /** `cond.where(a, b)`: a where this is nonzero, b elsewhere. */
    where(a: TensorLike, b: TensorLike): Tensor;
  }
}
installMethods({ where });
