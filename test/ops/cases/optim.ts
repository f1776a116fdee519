// The fused optimiser steps, in place: each case steps a copy of the parameter and compares it
// with the rule written out in float64.
import * as flx from '../../../ts/index.js';
import type { Tensor } from '../../../ts/index.js';
import * as R from '../reference.js';
import { I, type OpCase } from './spec.js';

const LR = 0.1;
const [B1, B2, EPS, STEP, DECAY] = [0.9, 0.999, 1e-8, 3, 0.01];

function adamRef(p: R.Arr, g: R.Arr, m: R.Arr, v: R.Arr, decay: number): R.Arr[] {
  const c1 = 1 - B1 ** STEP;
  const c2 = 1 - B2 ** STEP;
  const m2 = R.zip(m, g, (a, b) => B1 * a + (1 - B1) * b);
  const v2 = R.zip(v, g, (a, b) => B2 * a + (1 - B2) * b * b);
  const p2 = R.build(p.shape, (idx) => {
    const k = idx.reduce((acc, i, d) => acc * p.shape[d] + i, 0);
    const step = ((LR / c1) * m2.data[k]) / (Math.sqrt(v2.data[k] / c2) + EPS);
    return p.data[k] - step - LR * decay * p.data[k];
  });
  return [p2, m2, v2];
}

function adamCase(label: string, decay: number, gLayout: 'contiguous' | 'transposed' = 'contiguous'): OpCase {
  return {
    name: `adamStep ${label}`,
    op: 'adamStep',
    fn: (p: Tensor, g: Tensor, m: Tensor, v: Tensor) => {
      const [q, mm, vv] = [p.clone(), m.clone(), v.clone()];
      flx.adamStep(q, g, mm, vv, { lr: LR, beta: [B1, B2], eps: EPS, step: STEP, decay });
      return [q, mm, vv];
    },
    inputs: [I([3, 4]), I([3, 4], gLayout), I([3, 4]), I([3, 4], 'positive')],
    ref: (p, g, m, v) => adamRef(p, g, m, v, decay),
    differentiable: false,
    tol: 'transcendental',
  };
}

export const OPTIM_CASES: OpCase[] = [
  {
    name: 'sgdStep [3,4]',
    op: 'sgdStep',
    fn: (p: Tensor, g: Tensor) => flx.sgdStep(p.clone(), g, LR),
    inputs: [I([3, 4]), I([3, 4])],
    ref: (p, g) => R.zip(p, g, (a, b) => a - LR * b),
    differentiable: false,
  },
  {
    name: 'sgdStep with a transposed gradient',
    op: 'sgdStep',
    fn: (p: Tensor, g: Tensor) => flx.sgdStep(p.clone(), g, LR),
    inputs: [I([3, 4]), I([3, 4], 'transposed')],
    ref: (p, g) => R.zip(p, g, (a, b) => a - LR * b),
    differentiable: false,
  },
  {
    name: 'sgdStep of an empty parameter',
    op: 'sgdStep',
    fn: (p: Tensor, g: Tensor) => flx.sgdStep(p.clone(), g, LR),
    inputs: [I([0, 4]), I([0, 4])],
    ref: (p) => p,
    differentiable: false,
  },
  adamCase('[3,4]', 0),
  adamCase('AdamW decay, transposed gradient', DECAY, 'transposed'),
];
