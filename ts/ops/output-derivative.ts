// Activations whose derivative is a function of their output alone (tanh, sigmoid, relu).
// Their op definitions (ts/ops/unary.ts) write the rule with `fromOutput`, which registers
// them here; `linear` looks σ up to apply it in place on the GEMM result, since the input
// is then not needed for the backward pass. Internal: ts/ops/index.ts does not export it.
import type { Vjp } from '../autodiff/tape.js';
import type { Tensor } from '../tensor.js';

/** g · f'(y), written with public ops (so it can be differentiated again). */
export type OutputRule = (g: Tensor, y: Tensor) => Tensor;

export interface OutputDerivative {
  /** the activation's unary kernel */
  code: number;
  /** its fused derivative kernel (relu's reads x > 0; y > 0 is the same set) */
  gradCode: number;
  derivative: OutputRule;
}

/** By op function. */
export const OUTPUT_DERIVATIVE = new Map<unknown, OutputDerivative>();

const rules = new WeakMap<Vjp, OutputRule>();

/** A backward rule from a derivative of the output alone, marked so its op gets registered. */
export function fromOutput(derivative: OutputRule): Vjp {
  const vjp: Vjp = (g, _inputs, y) => [() => derivative(g, y)];
  rules.set(vjp, derivative);
  return vjp;
}

/** The output rule a Vjp was made from, if any. */
export function outputRuleOf(vjp: Vjp | null): OutputRule | undefined {
  return vjp === null ? undefined : rules.get(vjp);
}
