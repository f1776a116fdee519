// Indexing cases: gather and scatterAdd along a dim with general (per-element) positions,
// topk values and positions, tril / triu, and a multinomial draw whose outcome is certain.
// Positions are fixed int32 constants made inside each case, so the references use the same.
import * as flx from '../../../ts/index.js';
import * as R from '../reference.js';
import { ALL, FLOAT, I, type OpCase } from './spec.js';

const at = (a: R.Arr, idx: number[]) => {
  let i = 0;
  for (let d = 0; d < a.shape.length; d++) i = i * a.shape[d] + idx[d];
  return a.data[i];
};
const positions = (shape: number[], data: number[]) => R.arr(shape, data);
const int32 = (p: R.Arr, device: string) => flx.tensor(Array.from(p.data), { shape: p.shape, dtype: 'int32', device: device as 'cpu' });

/** out[i] = x[i with dim replaced by index[i]]. */
function refGather(x: R.Arr, dim: number, index: R.Arr): R.Arr {
  return R.build(index.shape, (i) => {
    const src = i.slice();
    src[dim] = at(index, i);
    return at(x, src);
  });
}

/** x plus src added at x[i with dim replaced by index[i]]. */
function refScatterAdd(x: R.Arr, dim: number, index: R.Arr, src: R.Arr): R.Arr {
  const out = R.arr(x.shape, x.data);
  const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((p, s) => p * s, 1));
  R.build(index.shape, (i) => {
    const dst = i.slice();
    dst[dim] = at(index, i);
    out.data[dst.reduce((p, v, d) => p + v * strides[d], 0)] += at(src, i);
    return 0;
  });
  return out;
}

/** The k best along the last dim, best first, ties by position: [values, positions]. */
function refTopk(x: R.Arr, k: number, largest: boolean): [R.Arr, R.Arr] {
  const n = x.shape[x.shape.length - 1];
  const rows = x.data.length / n;
  const vals: number[] = [];
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((i, j) => (x.data[r * n + i] === x.data[r * n + j] ? i - j : (largest ? -1 : 1) * (x.data[r * n + i] - x.data[r * n + j])));
    for (const i of order.slice(0, k)) {
      vals.push(x.data[r * n + i]);
      idx.push(i);
    }
  }
  const shape = [...x.shape.slice(0, -1), k];
  return [R.arr(shape, vals), R.arr(shape, idx)];
}

function refTriangle(x: R.Arr, k: number, lower: boolean): R.Arr {
  const nd = x.shape.length;
  return R.build(x.shape, (i) => {
    const off = i[nd - 1] - i[nd - 2];
    return (lower ? off <= k : off >= k) ? at(x, i) : 0;
  });
}

const G1 = positions([2, 2], [2, 0, 1, 1]);
const G2 = positions([5, 4], [0, 1, 2, 0, 2, 2, 1, 1, 1, 0, 0, 2, 2, 1, 0, 1, 0, 0, 2, 2]);
const G3 = positions([2, 3, 2], [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1]);
const G4 = positions([4, 2], [2, 0, 1, 1, 0, 2, 2, 2]);
const S1 = positions([2, 4], [0, 2, 1, 2, 2, 2, 0, 0]);
const S2 = positions([3, 3], [1, 1, 0, 3, 2, 3, 0, 0, 0]);

const GATHER: OpCase[] = [
  {
    name: 'gather dim 1 of [2,3], two positions per row',
    op: 'gather',
    fn: (x) => flx.gather(x, 1, int32(G1, x.device)),
    inputs: [I([2, 3])],
    ref: (x) => refGather(x, 1, G1),
    dtypes: ALL,
    tol: 'exact',
  },
  {
    name: 'gather dim 0 of [3,4] into [5,4], repeated positions',
    op: 'gather',
    fn: (x) => x.gather(0, int32(G2, x.device)),
    inputs: [I([3, 4])],
    ref: (x) => refGather(x, 0, G2),
    dtypes: ALL,
    tol: 'exact',
  },
  {
    name: 'gather dim -2 of a strided [2,3,2]',
    op: 'gather',
    fn: (x) => flx.gather(x, -2, int32(G3, x.device)),
    inputs: [I([2, 3, 2], 'strided')],
    ref: (x) => refGather(x, 1, G3),
    tol: 'exact',
  },
  {
    name: 'gather dim 1 of T[4,3]',
    op: 'gather',
    fn: (x) => flx.gather(x, 1, int32(G4, x.device)),
    inputs: [I([4, 3], 'transposed')],
    ref: (x) => refGather(x, 1, G4),
    tol: 'exact',
  },
];

const SCATTER: OpCase[] = [
  {
    name: 'scatterAdd dim 0 of [3,4], src [2,4], repeats add',
    op: 'scatterAdd',
    fn: (x, s) => flx.scatterAdd(x, 0, int32(S1, x.device), s),
    inputs: [I([3, 4]), I([2, 4])],
    ref: (x, s) => refScatterAdd(x, 0, S1, s),
    dtypes: ALL,
    tol: 'default',
  },
  {
    name: 'scatterAdd dim 1 of [3,4] from a transposed src',
    op: 'scatterAdd',
    fn: (x, s) => x.scatterAdd(1, int32(S2, x.device), s),
    inputs: [I([3, 4], 'offset'), I([3, 3], 'transposed')],
    ref: (x, s) => refScatterAdd(x, 1, S2, s),
    tol: 'default',
  },
];

const TOPK: OpCase[] = [
  {
    name: 'topk values, k 2 of the rows of [3,5]',
    op: 'topk',
    fn: (x) => x.topk(2).values,
    inputs: [I([3, 5], 'distinct')],
    ref: (x) => refTopk(x, 2, true)[0],
    dtypes: ALL,
    tol: 'exact',
  },
  {
    name: 'topk positions, k 3 of [2,4] (best first)',
    op: 'topk',
    fn: (x) => flx.topk(x, 3).indices,
    inputs: [I([2, 4], 'distinct')],
    ref: (x) => refTopk(x, 3, true)[1],
    outDtype: 'int32',
    differentiable: false,
    tol: 'exact',
  },
  {
    name: 'topk smallest along dim 0 of T[4,3]',
    op: 'topk',
    fn: (x) => flx.topk(x, 2, { dim: 0, largest: false }).values,
    inputs: [I([4, 3], { gen: 'distinct', layout: 'transposed' })],
    ref: (x) => R.transpose(refTopk(R.transpose(x), 2, false)[0]),
    tol: 'exact',
  },
  {
    name: 'topk ties keep the lower position first',
    op: 'topk',
    fn: (x) => flx.topk(x.mul(0).add(1), 2).indices,
    inputs: [I([2, 3])],
    ref: () => R.arr([2, 2], [0, 1, 0, 1]),
    outDtype: 'int32',
    differentiable: false,
    tol: 'exact',
  },
];

const TRIANGLES: OpCase[] = [
  { name: 'tril of [3,4]', op: 'tril', fn: (x) => x.tril(), inputs: [I([3, 4])], ref: (x) => refTriangle(x, 0, true), dtypes: ALL, tol: 'exact' },
  { name: 'tril k -1 of a strided [2,3,3]', op: 'tril', fn: (x) => flx.tril(x, -1), inputs: [I([2, 3, 3], 'strided')], ref: (x) => refTriangle(x, -1, true), tol: 'exact' },
  { name: 'triu of [4,3]', op: 'triu', fn: (x) => flx.triu(x), inputs: [I([4, 3])], ref: (x) => refTriangle(x, 0, false), dtypes: ALL, tol: 'exact' },
  { name: 'triu k 1 of T[3,3]', op: 'triu', fn: (x) => x.triu(1), inputs: [I([3, 3], 'transposed')], ref: (x) => refTriangle(x, 1, false), tol: 'exact' },
];

// One positive weight per row: the draw is certain, whatever the random numbers
const ONE_HOT = positions([3, 4], [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
const MULTINOMIAL: OpCase[] = [
  {
    name: 'multinomial from rows with one positive weight',
    op: 'multinomial',
    fn: (p) => flx.multinomial(p.mul(flx.tensor(Array.from(ONE_HOT.data), { shape: [3, 4], dtype: p.dtype, device: p.device as 'cpu' })), 1),
    inputs: [I([3, 4], 'positive')],
    ref: () => R.arr([3, 1], [2, 0, 3]),
    dtypes: FLOAT,
    outDtype: 'int32',
    differentiable: false,
    tol: 'exact',
  },
  {
    name: 'multinomial with replacement from rows with one positive weight',
    op: 'multinomial',
    fn: (p) => p.mul(flx.tensor(Array.from(ONE_HOT.data), { shape: [3, 4], dtype: p.dtype, device: p.device as 'cpu' })).multinomial(3, { replacement: true }),
    inputs: [I([3, 4], 'positive')],
    ref: () => R.arr([3, 3], [2, 2, 2, 0, 0, 0, 3, 3, 3]),
    dtypes: FLOAT,
    outDtype: 'int32',
    differentiable: false,
    tol: 'exact',
  },
];

export const INDEXING_CASES: OpCase[] = [...GATHER, ...SCATTER, ...TOPK, ...TRIANGLES, ...MULTINOMIAL];
