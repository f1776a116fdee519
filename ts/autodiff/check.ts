// Finite-difference checks of gradients, first and second order, in float64.
// Exported for users who write their own ops or custom rules.
import { GradientError, expected } from '../errors.js';
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { RNG } from '../random.js';
import { randn } from '../creation.js';
import { gradient, pullback } from './gradient.js';
import { ignoreDerivatives } from './tape.js';

/**
 * Options of `gradcheck` and `gradgradcheck`: the finite-difference step, the tolerances, and the seed of
 * the random cotangent.
 *
 * ```ts
 * gradcheck((x: Tensor) => x.exp(), [tensor([0.5], { dtype: 'float64' })], { eps: 1e-6, atol: 1e-5, rtol: 1e-4, seed: 1 });   // true
 * ```
 */
export interface CheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
  /** Seed of the random cotangent (default 0). */
  seed?: number;
}

function inner(a: Tensor, b: Tensor): number {
  return ignoreDerivatives(() => a.mul(b).sum().item());
}

function perturbed(x: Tensor, i: number, delta: number): Tensor {
  const d = x.data().slice();
  d[i] += delta;
  return tensor(d, { dtype: x.dtype, shape: x.shape, device: x.device });
}

/**
 * Checks the reverse-mode gradient of `f` (any output shape) at `inputs` against central
 * differences of ⟨v, f⟩ for a random cotangent v. Inputs should be float64. Returns true,
 * or throws a GradientError naming the input and element that disagree.
 *
 * ```ts
 * const x = tensor([0.5, 1.5], { dtype: 'float64' });
 * gradcheck((x: Tensor) => x.sin().mul(x), [x]);   // true
 * ```
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: CheckOptions = {}): true {
  if (typeof f !== 'function') throw expected('gradcheck', 'f', 'a function', f);
  if (!Array.isArray(inputs) || inputs.some((x) => !(x instanceof Tensor)))
    throw expected('gradcheck', 'inputs', 'an array of tensors', inputs);
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  const { val, back } = pullback(f, ...inputs);
  const v = randn(val.shape, { dtype: val.dtype, rng: new RNG(opts.seed ?? 0), device: val.device });
  const analytic = back(v) as (Tensor | null)[];
  inputs.forEach((x, k) => {
    const a = analytic[k] === null ? new Float64Array(x.size) : (analytic[k] as Tensor).data();
    for (let i = 0; i < x.size; i++) {
      const args = (delta: number) => inputs.map((y, j) => (j === k ? perturbed(x, i, delta) : y));
      const num = ignoreDerivatives(() => (inner(f(...args(eps)), v) - inner(f(...args(-eps)), v)) / (2 * eps));
      const err = Math.abs(num - a[i]);
      if (!(err <= atol + rtol * Math.abs(num)))
        throw new GradientError(
          `gradcheck: input ${k} element ${i}: analytic ${a[i]} vs numerical ${num} (error ${err.toExponential(2)}, tolerance ${(atol + rtol * Math.abs(num)).toExponential(2)})`,
        );
    }
  });
  return true;
}

/**
 * Checks second derivatives: the gradient of h(x) = Σ ⟨w_k, ∂⟨v, f⟩/∂x_k⟩ (built by
 * differentiating f) against finite differences of the first-order gradients.
 *
 * ```ts
 * const x = tensor([0.5, 1.5], { dtype: 'float64' });
 * gradgradcheck((x: Tensor) => x.pow(3), [x]);   // true
 * ```
 */
export function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: CheckOptions = {}): true {
  const rng = new RNG((opts.seed ?? 0) + 1);
  const probe = ignoreDerivatives(() => f(...inputs));
  const v = randn(probe.shape, { dtype: probe.dtype, rng, device: probe.device });
  const ws = inputs.map((x) => randn(x.shape, { dtype: x.dtype, rng, device: x.device }));
  const h = (...xs: Tensor[]) => {
    const gs = gradient((...ys: Tensor[]) => f(...ys).mul(v).sum(), ...xs) as (Tensor | null)[];
    let total: Tensor | null = null;
    gs.forEach((g, k) => {
      if (g === null) return;
      const term = g.mul(ws[k]).sum();
      total = total === null ? term : total.add(term);
    });
    return total ?? xs[0].mul(0).sum();
  };
  return gradcheck(h, inputs, { ...opts, atol: opts.atol ?? 1e-4, rtol: opts.rtol ?? 1e-3 });
}
