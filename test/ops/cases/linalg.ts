// Matrix products: matmul in every NumPy form (vector and matrix operands, batches,
// broadcast batches, transposed and strided views, empty sizes) and linear.
import * as flx from '../../../ts/index.js';
import * as R from '../reference.js';
import { I, type InputSpec, type OpCase } from './spec.js';

const MATMUL: [string, InputSpec, InputSpec][] = [
  ['[3]·[3]', I([3]), I([3])],
  ['[3]·[3,4]', I([3]), I([3, 4])],
  ['[2,3]·[3]', I([2, 3]), I([3])],
  ['[2,3]·[3,4]', I([2, 3]), I([3, 4])],
  ['[1,1]·[1,1]', I([1, 1]), I([1, 1])],
  ['[2,2,3]·[2,3,4] batched', I([2, 2, 3]), I([2, 3, 4])],
  ['[2,1,3,4]·[5,4,2] broadcast batch', I([2, 1, 3, 4]), I([5, 4, 2])],
  ['[2,2,3]·[3,4] matrix broadcast', I([2, 2, 3]), I([3, 4])],
  ['[3]·[2,3,4] vector·batch', I([3]), I([2, 3, 4])],
  ['[2,2,3]·[3] batch·vector', I([2, 2, 3]), I([3])],
  ['T[2,3]·T[3,4]', I([2, 3], 'transposed'), I([3, 4], 'transposed')],
  ['strided[2,3]·offset[3,2]', I([2, 3], 'strided'), I([3, 2], 'offset')],
  ['T[1,3]·T[3,1] (degenerate strides)', I([1, 3], 'transposed'), I([3, 1], 'transposed')],
  ['T[2,2,3]·strided[2,3,2] batched views', I([2, 2, 3], 'transposed'), I([2, 3, 2], 'strided')],
  ['expand[2,3]·[3,2] (stride-0 rows)', I([2, 3], { expandFrom: [1, 3] }), I([3, 2])],
  ['expand batch [2,2,3]·[2,3,2]', I([2, 2, 3], { expandFrom: [1, 2, 3] }), I([2, 3, 2])],
  ['[0,3]·[3,4] empty rows', I([0, 3]), I([3, 4])],
  ['[2,0]·[0,4] empty inner (zeros)', I([2, 0]), I([0, 4])],
  ['[2,3]·[3,0] empty cols', I([2, 3]), I([3, 0])],
];

const matmulCases: OpCase[] = MATMUL.map(([label, a, b]) => ({
  name: `matmul ${label}`,
  op: 'matmul',
  fn: (x, y) => x.matmul(y),
  inputs: [a, b],
  ref: (x, y) => R.matmul(x, y),
  tol: 'accumulate',
}));

const W = I([4, 3]);
const B = I([4]);
const OTHER: OpCase[] = [
  { name: 'matmul free function [2,3]·[3,2]', op: 'matmul', fn: (x, y) => flx.matmul(x, y), inputs: [I([2, 3]), I([3, 2])], ref: R.matmul, tol: 'accumulate' },
  { name: 'matmul int32 → float32', op: 'matmul', fn: (x, y) => x.matmul(y), inputs: [I([2, 3]), I([3, 2])], ref: R.matmul, dtypes: ['int32'], outDtype: 'float32', differentiable: false },
  { name: 'matmul float32·float64 → float64', op: 'matmul', fn: (x, y) => x.matmul(y), inputs: [I([2, 3], { dtype: 'float32' }), I([3, 2])], ref: R.matmul, dtypes: ['float64'], tol: 'accumulate' },
  { name: 'linear [2,3] with bias', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([2, 3]), W, B], ref: R.linear, tol: 'accumulate' },
  { name: 'linear [2,3] without bias', op: 'linear', fn: (x, w) => flx.linear(x, w), inputs: [I([2, 3]), W], ref: (x, w) => R.linear(x, w), tol: 'accumulate' },
  { name: 'linear [2,2,3] 3-D input', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([2, 2, 3]), W, B], ref: R.linear, tol: 'accumulate' },
  { name: 'linear [3] 1-D input', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([3]), W, B], ref: R.linear, tol: 'accumulate' },
  { name: 'linear T[3,2] input, T weight', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([3, 2], 'transposed'), I([4, 2], 'transposed'), B], ref: R.linear, tol: 'accumulate' },
  { name: 'linear strided weight, 3-D strided input', op: 'linear', fn: (x, w) => flx.linear(x, w, null), inputs: [I([2, 2, 3], 'strided'), I([4, 3], 'strided')], ref: (x, w) => R.linear(x, w), tol: 'accumulate' },
  // σ: relu, tanh and sigmoid are applied in place in one node; others after the affine map
  { name: 'linear with relu (in place)', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b, flx.relu), inputs: [I([3, 3]), W, B], ref: (x, w, b) => R.map(R.linear(x, w, b), R.fn.relu), tol: 'accumulate' },
  { name: 'linear with tanh, 3-D input', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b, flx.tanh), inputs: [I([2, 2, 3]), W, B], ref: (x, w, b) => R.map(R.linear(x, w, b), Math.tanh), tol: 'accumulate' },
  { name: 'linear with sigmoid, no bias, T weight', op: 'linear', fn: (x, w) => flx.linear(x, w, null, flx.sigmoid), inputs: [I([2, 3]), I([4, 3], 'transposed')], ref: (x, w) => R.map(R.linear(x, w), R.fn.sigmoid), tol: 'accumulate' },
  { name: 'linear with gelu (applied after)', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b, flx.gelu), inputs: [I([2, 3]), W, B], ref: (x, w, b) => R.map(R.linear(x, w, b), R.fn.gelu), tol: 'accumulate' },
  { name: 'linear [0,3] empty batch', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([0, 3]), W, B], ref: R.linear, tol: 'accumulate' },
  { name: 'linear float32 x, float64 weight and bias → float64', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([2, 3], { dtype: 'float32' }), W, B], ref: R.linear, dtypes: ['float64'], tol: 'accumulate' },
  { name: 'linear float64 x, float32 weight → float64', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([2, 3]), I([4, 3], { dtype: 'float32' }), I([4], { dtype: 'float32' })], ref: R.linear, dtypes: ['float64'], tol: 'accumulate' },
  { name: 'linear float32 x, int32 weight → float32', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([2, 3]), I([4, 3], { dtype: 'int32' }), B], ref: R.linear, dtypes: ['float32'], tol: 'accumulate' },
  { name: 'linear int32 x, float32 weight → float32', op: 'linear', fn: (x, w, b) => flx.linear(x, w, b), inputs: [I([2, 3], { dtype: 'int32' }), W, B], ref: R.linear, dtypes: ['float32'], tol: 'accumulate' },
];

export const LINALG_CASES: OpCase[] = [...matmulCases, ...OTHER];
