// Dtype conversion, differentiable between float dtypes.
import { copyInto, empty } from '../backend/index.js';
import { type DType, isDType, isFloat } from '../dtype.js';
import { DTypeError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { isRecording, record } from '../autodiff/tape.js';
import { registerOp } from './registry.js';

registerOp({ name: 'cast', family: 'movement', kernels: ['copy'], differentiable: true });

/**
 * A copy of `x` in another dtype (float -> int32 truncates toward zero). Returns `x` if the dtype is already right.
 *
 * ```ts
 * cast(tensor([1.7, -1.7]), 'int32');   // Tensor [1, -1]
 * cast(tensor([1, 2]), 'float64').dtype;   // 'float64'
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (!(x instanceof Tensor)) throw expected('cast', 'x', 'a Tensor', x);
  x._check('cast');
  if (!isDType(dtype)) throw expected('cast', 'dtype', "'float32', 'float64' or 'int32'", dtype, DTypeError);
  if (x.dtype === dtype) return x;
  const out = empty(x.shape, dtype, x.device);
  copyInto(x, out);
  if (isRecording() && isFloat(x.dtype) && isFloat(dtype))
    record('cast', out, [x], (g, [a]) => [() => cast(g, a.dtype)]);
  return out;
}
