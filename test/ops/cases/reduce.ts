// Reduction cases: sum mean max min over every kind of dims, argmax argmin, softmax,
// logsoftmax, logsumexp, and sumTo (the inverse of broadcasting).
import * as flx from '../../../ts/index.js';
import type { Tensor } from '../../../ts/index.js';
import * as R from '../reference.js';
import { ALL, FLOAT, type Gen, I, type InputSpec, type OpCase } from './spec.js';
import { sumTo } from '../../../ts/ops/reduce.js';

type Dims = number | number[] | undefined;

// [label, input, dims, keepdims]
const REDUCTIONS: [string, InputSpec, Dims, boolean][] = [
  ['all of [2,3,4]', I([2, 3, 4]), undefined, false],
  ['all of [2,3,4] keepdims', I([2, 3, 4]), undefined, true],
  ['dim 1 of [2,3,4]', I([2, 3, 4]), 1, false],
  ['dim -1 of [2,3,4] keepdims', I([2, 3, 4]), -1, true],
  ['dims [0,2] of [2,3,4]', I([2, 3, 4]), [0, 2], false],
  ['dims [2,0] of [2,3,4] keepdims', I([2, 3, 4]), [2, 0], true],
  ['dims [] of [2,3]', I([2, 3]), [], false],
  ['all of 0-d', I([]), undefined, false],
  ['dim 0 of [1]', I([1]), 0, false],
  ['dim 0 of T[3,4]', I([3, 4], 'transposed'), 0, false],
  ['all of strided[2,3]', I([2, 3], 'strided'), undefined, false],
  // over dim 0, not the broadcast dim 1: that would tie every entry, and max/min have no derivative at ties
  ['dim 0 of expand[2,3]', I([2, 3], { expandFrom: [2, 1] }), 0, true],
  ['dim 0 of empty [3,0] (empty result)', I([3, 0]), 0, false],
];
// Reducing over an empty dim has no max or min; sum and mean give 0 and NaN.
const EMPTY_SUM: [string, InputSpec, Dims, boolean][] = [
  ['dim 0 of empty [0,3]', I([0, 3]), 0, false],
  ['dim 1 of empty [3,0] keepdims', I([3, 0]), 1, true],
  ['all of empty [0]', I([0]), undefined, false],
];

type Red = 'sum' | 'mean' | 'max' | 'min';
const REF: Record<Red, (a: R.Arr, dims: Dims, keep: boolean) => R.Arr> = { sum: R.sum, mean: R.mean, max: R.max, min: R.min };

function reductionCases(op: Red): OpCase[] {
  const gen: Gen = op === 'max' || op === 'min' ? 'distinct' : 'normal';
  const list = op === 'sum' || op === 'mean' ? [...REDUCTIONS, ...EMPTY_SUM] : REDUCTIONS;
  const cases: OpCase[] = list.map(([label, x, dims, keep]) => ({
    name: `${op} ${label}`,
    op,
    fn: (a: Tensor) => (keep ? a[op](dims, true) : a[op](dims)),
    inputs: [{ ...x, gen }],
    ref: (a: R.Arr) => REF[op](a, dims, keep),
    dtypes: op === 'mean' ? FLOAT : ALL,
    tol: 'accumulate',
  }));
  // free-function form
  cases.push({
    name: `${op} free function, dim 0`,
    op,
    fn: (a) => (flx as unknown as Record<Red, (x: Tensor, d: number) => Tensor>)[op](a, 0),
    inputs: [I([3, 2], gen)],
    ref: (a) => REF[op](a, 0, false),
    tol: 'accumulate',
  });
  return cases;
}

const TIES: OpCase[] = [
  // ties: the value is exact; the gradient (shared among tied entries) is checked in grad.test.ts
  { name: 'max with ties', op: 'max', fn: (a) => a.max(1), inputs: [I([3, 4], 'int')], ref: (a) => R.max(a, 1), dtypes: ALL, differentiable: false },
  { name: 'min with ties', op: 'min', fn: (a) => a.min(0), inputs: [I([3, 4], 'int')], ref: (a) => R.min(a, 0), dtypes: ALL, differentiable: false },
  { name: 'mean of int32 → float32', op: 'mean', fn: (a) => a.mean(1), inputs: [I([2, 3])], ref: (a) => R.mean(a, 1), dtypes: ['int32'], outDtype: 'float32', differentiable: false },
];

// [label, input, dim, keepdims]
const ARG: [string, InputSpec, number | undefined, boolean][] = [
  ['of all [2,3,4]', I([2, 3, 4], 'distinct'), undefined, false],
  ['of all [2,3] keepdims', I([2, 3], 'distinct'), undefined, true],
  ['dim 1 of [2,3,4]', I([2, 3, 4], 'distinct'), 1, false],
  ['dim -1 of [2,3] keepdims', I([2, 3], 'distinct'), -1, true],
  ['of 0-d', I([]), undefined, false],
  ['dim 0 of [1]', I([1]), 0, false],
  ['ties pick the first, dim 1', I([3, 5], 'int'), 1, false],
  ['ties pick the first, all', I([8], 'int'), undefined, false],
  ['dim 0 of T[3,4]', I([3, 4], { gen: 'distinct', layout: 'transposed' }), 0, false],
  ['dim 1 of strided[2,3]', I([2, 3], { gen: 'distinct', layout: 'strided' }), 1, false],
];

function argCases(op: 'argmax' | 'argmin'): OpCase[] {
  const ref = op === 'argmax' ? R.argmax : R.argmin;
  return ARG.map(([label, x, dim, keep]) => ({
    name: `${op} ${label}`,
    op,
    fn: (a: Tensor) => (keep ? a[op](dim, true) : a[op](dim)),
    inputs: [x],
    ref: (a: R.Arr) => ref(a, dim, keep),
    dtypes: ALL,
    outDtype: 'int32',
    differentiable: false,
    tol: 'exact',
  }));
}

// [label, input, dim]
const SOFT: [string, InputSpec, number | undefined][] = [
  ['[2,5] default dim', I([2, 5]), undefined],
  ['[2,5] dim 0', I([2, 5]), 0],
  ['[2,3,4] dim 1', I([2, 3, 4]), 1],
  ['0-d', I([]), undefined],
  ['[1]', I([1]), undefined],
  ['[3] large logits', I([3], 'large'), undefined],
  ['T[3,4] dim -1', I([3, 4], 'transposed'), -1],
  ['strided[2,3] dim 0', I([2, 3], 'strided'), 0],
  ['empty [0,3]', I([0, 3]), -1],
];

function softCases(op: 'softmax' | 'logsoftmax'): OpCase[] {
  const ref = op === 'softmax' ? R.softmax : R.logsoftmax;
  return SOFT.map(([label, x, dim]) => ({
    name: `${op} ${label}`,
    op,
    fn: (a: Tensor) => (dim === undefined ? a[op]() : a[op](dim)),
    inputs: [x],
    ref: (a: R.Arr) => ref(a, dim),
    tol: 'accumulate',
  }));
}

const LSE: [string, InputSpec, Dims, boolean][] = [
  ['all of [2,3]', I([2, 3]), undefined, false],
  ['dim 1 of [2,3,4]', I([2, 3, 4]), 1, false],
  ['dims [0,2] of [2,3,4] keepdims', I([2, 3, 4]), [0, 2], true],
  ['0-d', I([]), undefined, false],
  ['large values, dim -1', I([2, 3], 'large'), -1, false],
  ['dim 0 of T[3,4]', I([3, 4], 'transposed'), 0, true],
  ['all of strided[2,2]', I([2, 2], 'strided'), undefined, false],
];
const LOGSUMEXP: OpCase[] = LSE.map(([label, x, dims, keep]) => ({
  name: `logsumexp ${label}`,
  op: 'logsumexp',
  fn: (a: Tensor) => (keep ? a.logsumexp(dims, true) : a.logsumexp(dims)),
  inputs: [x],
  ref: (a: R.Arr) => R.logsumexp(a, dims, keep),
  tol: 'accumulate',
}));

/** Running sums along dim of the reference array (reverse: from the end). */
function refCumsum(a: R.Arr, dim: number, reverse = false): R.Arr {
  if (a.shape.length === 0) return a;
  const d = dim < 0 ? dim + a.shape.length : dim;
  const n = a.shape[d];
  const inner = a.shape.slice(d + 1).reduce((p, s) => p * s, 1);
  const out = Float64Array.from(a.data);
  for (let o = 0; o < a.data.length / Math.max(1, n * inner); o++)
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let s = 0; s < n; s++) {
        const k = (o * n + (reverse ? n - 1 - s : s)) * inner + i;
        acc += a.data[k];
        out[k] = acc;
      }
    }
  return { shape: a.shape.slice(), data: out };
}

// [label, input, dim, reverse]
const CUMSUM: [string, InputSpec, number, boolean][] = [
  ['[5] dim 0', I([5]), 0, false],
  ['[2,3,4] dim 1', I([2, 3, 4]), 1, false],
  ['[2,3,4] dim -1 reverse', I([2, 3, 4]), -1, true],
  ['[3,4] dim 0 reverse', I([3, 4]), 0, true],
  ['T[3,4] dim 1', I([3, 4], 'transposed'), 1, false],
  ['strided[2,3] dim 0', I([2, 3], 'strided'), 0, false],
  ['expand[2,3] dim 1', I([2, 3], { expandFrom: [1, 3] }), 1, false],
  ['0-d', I([]), 0, false],
  ['empty [0,3] dim 1', I([0, 3]), 1, false],
];
const CUMSUMS: OpCase[] = [
  ...CUMSUM.map(([label, x, dim, reverse]): OpCase => ({
    name: `cumsum ${label}`,
    op: 'cumsum',
    fn: (a: Tensor) => (reverse ? a.cumsum(dim, { reverse }) : flx.cumsum(a, dim)),
    inputs: [x],
    ref: (a: R.Arr) => refCumsum(a, dim, reverse),
    dtypes: ALL,
    tol: 'accumulate',
  })),
];

const NEG_INF_ROW: OpCase = {
  name: 'logsumexp with a row of -inf gives -inf, not NaN',
  op: 'logsumexp',
  fn: (a) => flx.concat([a, flx.full([1, 3], -Infinity, { dtype: a.dtype, device: a.device })]).logsumexp(1),
  inputs: [I([2, 3])],
  ref: (a) => R.logsumexp(R.concat([a, R.arr([1, 3], [-Infinity, -Infinity, -Infinity])]), 1),
  tol: 'accumulate',
  differentiable: false, // an infinite output defeats finite differences; grad.test.ts checks -inf entries
};
const EMPTY_LSE: OpCase = { name: 'logsumexp over an empty dim is -inf', op: 'logsumexp', fn: (a) => a.logsumexp(0), inputs: [I([0, 3])], ref: (a) => R.logsumexp(a, 0) };

const SUM_TO: OpCase[] = [
  { name: 'sumTo [2,3] → [1,3]', op: 'sumTo', fn: (g) => sumTo(g, [1, 3]), inputs: [I([2, 3])], ref: (g) => R.sumTo(g, [1, 3]), dtypes: ALL, tol: 'accumulate' },
  { name: 'sumTo [2,3,4] → [3,1]', op: 'sumTo', fn: (g) => sumTo(g, [3, 1]), inputs: [I([2, 3, 4])], ref: (g) => R.sumTo(g, [3, 1]), dtypes: ALL, tol: 'accumulate' },
  { name: 'sumTo [2,3] → []', op: 'sumTo', fn: (g) => sumTo(g, []), inputs: [I([2, 3])], ref: (g) => R.sumTo(g, []), tol: 'accumulate' },
];

export const REDUCE_CASES: OpCase[] = [
  ...(['sum', 'mean', 'max', 'min'] as const).flatMap(reductionCases),
  ...TIES,
  ...argCases('argmax'),
  ...argCases('argmin'),
  ...softCases('softmax'),
  ...softCases('logsoftmax'),
  ...LOGSUMEXP,
  NEG_INF_ROW,
  EMPTY_LSE,
  ...SUM_TO,
  ...CUMSUMS,
];
