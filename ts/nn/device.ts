// Converting whole models or data structures: gpu, cpu, f32, f64. Each returns a
// converted copy (tensors mapped through an identity-caching walk, so tied weights
// stay tied).
import { cudaProblem } from '../backend/device.js';
import { cast } from '../ops/cast.js';
import { to } from '../ops/movement.js';
import { Tensor } from '../tensor.js';
import { fmap } from '../tree.js';

let warned = false;

/**
 * Moves a model (or tensor, or any tree of tensors) to the GPU; without a usable GPU returns it unchanged and warns once.
 *
 * ```ts
 * const m = gpu(Chain(Dense(2, 3), Dense(3, 1)));
 * m.layers[0].weight.device;   // on the GPU where one can be used, else still 'cpu'
 * ```
 */
export function gpu<M>(model: M): M {
  const reason = cudaProblem();
  if (reason !== null) {
    if (!warned) {
      warned = true;
      process.emitWarning(`fluxion: gpu() leaves the model on the CPU: ${reason}`, { code: 'FLUXION_NO_GPU' });
    }
    return model;
  }
  if (model instanceof Tensor) return to(model, 'cuda') as M;
  return fmap((t) => to(t, 'cuda'), model) as M;
}

/**
 * A copy of the model with every tensor on the CPU.
 *
 * ```ts
 * const m = cpu(Chain(Dense(2, 3)));
 * m.layers[0].weight.device;   // 'cpu'
 * ```
 */
export function cpu<M>(model: M): M {
  if (model instanceof Tensor) return to(model, 'cpu') as M;
  return fmap((t) => to(t, 'cpu'), model) as M;
}

function convert<M>(model: M, dtype: 'float32' | 'float64'): M {
  const f = (t: Tensor) => (t.dtype === 'int32' ? t : cast(t, dtype));
  if (model instanceof Tensor) return f(model) as M;
  return fmap(f, model) as M;
}

/**
 * A copy with float tensors in float32.
 *
 * ```ts
 * f32(f64(Dense(2, 3))).weight.dtype;   // 'float32'
 * ```
 */
export function f32<M>(model: M): M {
  return convert(model, 'float32');
}
/**
 * A copy with float tensors in float64 (for exact gradient checks).
 *
 * ```ts
 * const m = f64(Dense(2, 3));
 * m.weight.dtype;   // 'float64'
 * ```
 */
export function f64<M>(model: M): M {
  return convert(model, 'float64');
}
