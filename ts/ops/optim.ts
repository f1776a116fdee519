// The fused optimiser steps: one native pass over a parameter (and its state) instead of the
// five or six elementwise ops the same rule takes composed. In place; the rules of
// ts/optim/rules.ts call them when they are the whole rule (a test shows both paths agree).
import { contiguous, kernel, raw } from '../backend/index.js';
import type { Tensor } from '../tensor.js';
import { notMethod } from './methods.js';
import { registerOp } from './registry.js';

registerOp({ name: 'sgdStep', family: 'optim', kernels: ['sgdStep'], differentiable: false });
registerOp({ name: 'adamStep', family: 'optim', kernels: ['adamStep'], differentiable: false });
const sgdStepK = kernel('sgdStep');
const adamStepK = kernel('adamStep');

/** True when a fused step may write `x`: it must be its whole storage, row-major. */
export const ownsStorage = notMethod(function ownsStorage(x: Tensor): boolean {
  return x.isContiguous && x._offset === 0 && x._buf.length === x.size;
});

/**
 * p -= lr · g in place, in one pass (p must own its storage: see ownsStorage). Returns p.
 * `nonFinite`, a one-element int32 tensor on p's device, is increased by the number of new
 * values that are not finite (counted in the same pass).
 *
 * ```ts
 * const p = tensor([1, 2]);
 * sgdStep(p, tensor([10, 10]), 0.1);
 * p;   // Tensor [0, 1]
 * ```
 */
export const sgdStep = notMethod(function sgdStep(p: Tensor, g: Tensor, lr: number, nonFinite?: Tensor | null): Tensor {
  sgdStepK(raw(p), raw(contiguous(g)), lr, nonFinite ? raw(nonFinite) : null);
  p._root()._version++;
  return p;
});

/**
 * One Adam step in place (PyTorch's formula with bias correction for step number `step`,
 * counted from 1), updating the moments m and v; `decay` > 0 adds AdamW's decoupled weight
 * decay p -= lr · decay · p. p, m and v must own their storage. Returns p. `nonFinite`: as for
 * sgdStep.
 *
 * ```ts
 * const p = tensor([1, 2]), m = zeros(2), v = zeros(2);
 * adamStep(p, tensor([1, -1]), m, v, { lr: 0.1, beta: [0.9, 0.999], eps: 1e-8, step: 1 });
 * p;   // Tensor [0.9, 2.1]
 * m;   // Tensor [0.1, -0.1]
 * ```
 */
export const adamStep = notMethod(function adamStep(
  p: Tensor,
  g: Tensor,
  m: Tensor,
  v: Tensor,
  opts: { lr: number; beta: readonly [number, number]; eps: number; step: number; decay?: number; nonFinite?: Tensor | null },
): Tensor {
  const count = opts.nonFinite ? raw(opts.nonFinite) : null;
  adamStepK(raw(p), raw(contiguous(g)), raw(m), raw(v), opts.lr, opts.beta[0], opts.beta[1], opts.eps, opts.step, opts.decay ?? 0, count);
  p._root()._version++;
  m._root()._version++;
  v._root()._version++;
  return p;
});
