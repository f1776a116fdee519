// Movement cases: views (reshape, permute, transpose, expand, squeeze, unsqueeze,
// flatten, get, slice, split), copies (contiguous, clone, concat, stack, indexSelect,
// indexAdd), dtype conversion (cast, to) and creation functions.
import * as flx from '../../../ts/index.js';
import type { Tensor } from '../../../ts/index.js';
import * as R from '../reference.js';
import { ALL, FLOAT, I, type InputSpec, type OpCase } from './spec.js';

type Fn = (x: Tensor) => Tensor | Tensor[];
type Ref = (x: R.Arr) => R.Arr | R.Arr[];
/** A one-input movement case in every dtype (int32 included). */
const one = (op: string, label: string, x: InputSpec, fn: Fn, ref: Ref, extra: Partial<OpCase> = {}): OpCase => ({
  name: `${op} ${label}`,
  op,
  fn,
  inputs: [x],
  ref: ref as OpCase['ref'],
  dtypes: ALL,
  tol: 'exact',
  ...extra,
});

const VIEWS: OpCase[] = [
  one('reshape', '[2,3] → [3,2]', I([2, 3]), (x) => x.reshape([3, 2]), (a) => R.reshape(a, [3, 2])),
  one('reshape', '[2,3] → [-1]', I([2, 3]), (x) => x.reshape([-1]), (a) => R.reshape(a, [-1])),
  one('reshape', '[6] → [2,-1,1]', I([6]), (x) => x.reshape([2, -1, 1]), (a) => R.reshape(a, [2, -1, 1])),
  one('reshape', '[] → [1,1]', I([]), (x) => x.reshape([1, 1]), (a) => R.reshape(a, [1, 1])),
  one('reshape', '[1,1] → []', I([1, 1]), (x) => x.reshape([]), (a) => R.reshape(a, [])),
  one('reshape', 'T[3,4] → [12] (copies)', I([3, 4], 'transposed'), (x) => x.reshape([12]), (a) => R.reshape(a, [12])),
  one('reshape', 'offset[2,3] → [3,2]', I([2, 3], 'offset'), (x) => x.reshape([3, 2]), (a) => R.reshape(a, [3, 2])),
  one('reshape', 'empty [0,3] → [3,0]', I([0, 3]), (x) => x.reshape([3, 0]), (a) => R.reshape(a, [3, 0])),
  one('permute', '[2,3,4] [2,0,1]', I([2, 3, 4]), (x) => x.permute([2, 0, 1]), (a) => R.permute(a, [2, 0, 1])),
  one('permute', '[2,3,4] negative dims', I([2, 3, 4]), (x) => flx.permute(x, [-1, 0, -2]), (a) => R.permute(a, [-1, 0, -2])),
  one('permute', '0-d []', I([]), (x) => x.permute([]), (a) => a),
  one('permute', 'strided[2,3] [1,0]', I([2, 3], 'strided'), (x) => x.permute([1, 0]), (a) => R.permute(a, [1, 0])),
  one('transpose', '[2,3,4] default', I([2, 3, 4]), (x) => x.transpose(), (a) => R.transpose(a)),
  one('transpose', '[2,3,4] (0,2)', I([2, 3, 4]), (x) => flx.transpose(x, 0, 2), (a) => R.transpose(a, 0, 2)),
  one('transpose', '.T of [2,3]', I([2, 3]), (x) => x.T, (a) => R.transpose(a)),
  one('transpose', '.T of 1-D [3] is itself', I([3]), (x) => x.T, (a) => a),
  one('expand', '[3,1] → [2,3,4]', I([3, 1]), (x) => x.expand([2, 3, 4]), (a) => R.expand(a, [2, 3, 4])),
  one('expand', '[] → [2,3]', I([]), (x) => x.expand([2, 3]), (a) => R.expand(a, [2, 3])),
  one('expand', '[1] → [0]', I([1]), (x) => x.expand([0]), (a) => R.expand(a, [0])),
  one('expand', 'strided[2,1] → [2,3]', I([2, 1], 'strided'), (x) => x.expand([2, 3]), (a) => R.expand(a, [2, 3])),
  one('squeeze', '[1,3,1] all', I([1, 3, 1]), (x) => x.squeeze(), (a) => R.squeeze(a)),
  one('squeeze', '[1,3,1] dim -1', I([1, 3, 1]), (x) => x.squeeze(-1), (a) => R.squeeze(a, -1)),
  one('squeeze', '[1,3,1] dim 1 (not 1: unchanged)', I([1, 3, 1]), (x) => flx.squeeze(x, 1), (a) => R.squeeze(a, 1)),
  one('squeeze', '0-d', I([]), (x) => x.squeeze(), (a) => a),
  one('unsqueeze', '[2,3] dim 0', I([2, 3]), (x) => x.unsqueeze(0), (a) => R.unsqueeze(a, 0)),
  one('unsqueeze', '[2,3] dim -1', I([2, 3]), (x) => flx.unsqueeze(x, -1), (a) => R.unsqueeze(a, -1)),
  one('unsqueeze', '0-d', I([]), (x) => x.unsqueeze(0), (a) => R.unsqueeze(a, 0)),
  one('unsqueeze', 'T[3,2] dim 1', I([3, 2], 'transposed'), (x) => x.unsqueeze(1), (a) => R.unsqueeze(a, 1)),
  one('flatten', '[2,3,4] all', I([2, 3, 4]), (x) => x.flatten(), (a) => R.flatten(a)),
  one('flatten', '[2,3,4] from 1', I([2, 3, 4]), (x) => x.flatten(1), (a) => R.flatten(a, 1)),
  one('flatten', '[2,3,4] dims 0..1', I([2, 3, 4]), (x) => flx.flatten(x, 0, 1), (a) => R.flatten(a, 0, 1)),
  one('flatten', '0-d → [1]', I([]), (x) => x.flatten(), (a) => R.flatten(a)),
  one('flatten', 'T[3,4]', I([3, 4], 'transposed'), (x) => x.flatten(), (a) => R.flatten(a)),
];

const INDEXING: OpCase[] = [
  one('get', 'row 1 of [3,4]', I([3, 4]), (x) => x.get(1), (a) => R.index(a, 1)),
  one('get', 'row -1 of [3,4]', I([3, 4]), (x) => x.get(-1), (a) => R.index(a, -1)),
  one('get', 'element (1,2) → 0-d', I([3, 4]), (x) => x.get(1, 2), (a) => R.index(a, 1, 2)),
  one('get', 'columns range(1, 3)', I([3, 4]), (x) => x.get(null, flx.range(1, 3)), (a) => R.index(a, null, [1, 3])),
  one('get', 'every other row range(0, null, 2)', I([5, 2]), (x) => x.get(flx.range(0, null, 2)), (a) => R.index(a, [0, null, 2])),
  one('get', 'every other column (null, range(1, null, 2))', I([2, 5]), (x) => flx.get(x, null, flx.range(1, null, 2)), (a) => R.index(a, null, [1, null, 2])),
  one('get', 'range past the end is clamped', I([3, 2]), (x) => x.get(flx.range(1, 100)), (a) => R.index(a, [1, 100])),
  one('get', 'negative range range(-2, null)', I([4]), (x) => x.get(flx.range(-2, null)), (a) => R.index(a, [-2])),
  one('get', 'empty range range(2, 1)', I([3, 2]), (x) => x.get(flx.range(2, 1)), (a) => R.index(a, [2, 1])),
  one('get', '3-D mixed (0, null, range(1, null))', I([2, 3, 2]), (x) => x.get(0, null, flx.range(1, null)), (a) => R.index(a, 0, null, [1])),
  one('get', 'no index on 0-d', I([]), (x) => x.get(), (a) => a),
  // a list picks those positions (a gather, differentiable): never a range
  one('get', 'rows [0, 2] of [3,4] (positions)', I([3, 4]), (x) => x.get([0, 2]), (a) => R.indexSelect(a, 0, [0, 2])),
  one('get', 'rows [2, -3, 2] (negative, repeated)', I([3, 2]), (x) => x.get([2, -3, 2]), (a) => R.indexSelect(a, 0, [2, 0, 2])),
  one('get', 'columns (null, [3, 1])', I([2, 4]), (x) => x.get(null, [3, 1]), (a) => R.indexSelect(a, 1, [3, 1])),
  one('get', '(1, [0, 2]) of [2,3,2]', I([2, 3, 2]), (x) => x.get(1, [0, 2]), (a) => R.indexSelect(R.index(a, 1), 0, [0, 2])),
  one('get', '(range(0, null, 2), [1]) of [3,2]', I([3, 2]), (x) => x.get(flx.range(0, null, 2), [1]), (a) => R.indexSelect(R.index(a, [0, null, 2]), 1, [1])),
  one('get', 'no positions [] → empty dim', I([3, 2]), (x) => x.get([]), (a) => R.indexSelect(a, 0, [])),
  one('get', 'T[3,4] row 2', I([3, 4], 'transposed'), (x) => x.get(2), (a) => R.index(a, 2)),
  one('slice', 'dim 1 [1,3)', I([2, 4]), (x) => x.slice(1, 1, 3), (a) => R.slice(a, 1, 1, 3)),
  one('slice', 'dim 0 from -2', I([4, 2]), (x) => x.slice(0, -2), (a) => R.slice(a, 0, -2)),
  one('slice', 'dim -1 step 2', I([2, 5]), (x) => flx.slice(x, -1, 0, undefined, 2), (a) => R.slice(a, -1, 0, undefined, 2)),
  one('slice', 'empty', I([3, 2]), (x) => x.slice(0, 2, 2), (a) => R.slice(a, 0, 2, 2)),
  one('slice', 'strided[3,4] dim 1', I([3, 4], 'strided'), (x) => x.slice(1, 1), (a) => R.slice(a, 1, 1)),
  one('split', '[5,2] size 2 (uneven)', I([5, 2]), (x) => x.split(2), (a) => R.split(a, 2)),
  one('split', '[2,6] size 3 dim 1', I([2, 6]), (x) => flx.split(x, 3, 1), (a) => R.split(a, 3, 1)),
  one('split', '[2,3] size larger than the dim', I([2, 3]), (x) => x.split(5, -1), (a) => R.split(a, 5, -1)),
  one('indexSelect', 'rows [2,0,2] of [3,2]', I([3, 2]), (x) => x.indexSelect(0, [2, 0, 2]), (a) => R.indexSelect(a, 0, [2, 0, 2])),
  one('indexSelect', 'columns [-1,0] of [2,3]', I([2, 3]), (x) => flx.indexSelect(x, 1, [-1, 0]), (a) => R.indexSelect(a, 1, [-1, 0])),
  one('indexSelect', 'no indices', I([3, 2]), (x) => x.indexSelect(0, []), (a) => R.indexSelect(a, 0, [])),
  one('indexSelect', 'dim 1 of T[3,4]', I([3, 4], 'transposed'), (x) => x.indexSelect(1, [3, 1]), (a) => R.indexSelect(a, 1, [3, 1])),
  one('indexAdd', '[3,2] into 4 rows, repeats add', I([3, 2]), (g) => flx.indexAdd(g, 0, [0, 2, 0], 4), (a) => R.indexAdd(a, 0, [0, 2, 0], 4), { tol: 'default' }),
  one('indexAdd', '[2,3] dim 1 into 2 columns', I([2, 3]), (g) => flx.indexAdd(g, 1, [1, -1, 0], 2), (a) => R.indexAdd(a, 1, [1, -1, 0], 2), { tol: 'default' }),
];

const I32 = { dtype: 'int32' as const, grad: false };
const JOIN: OpCase[] = [
  {
    name: 'indexSelect with an int32 index tensor',
    op: 'indexSelect',
    fn: (x, idx) => x.indexSelect(0, idx),
    inputs: [I([3, 2]), I([4], { ...I32, gen: 'int' })], // -2..2: valid (negative counts from the end)
    ref: (a, idx) => R.indexSelect(a, 0, Array.from(idx.data)),
    dtypes: ALL,
    tol: 'exact',
  },
  { name: 'concat [2,3]+[2,3] dim 0', op: 'concat', fn: (a, b) => flx.concat([a, b]), inputs: [I([2, 3]), I([2, 3])], ref: (a, b) => R.concat([a, b]), dtypes: ALL, tol: 'exact' },
  { name: 'concat [2,3]+[2,1] dim 1', op: 'concat', fn: (a, b) => flx.concat([a, b], 1), inputs: [I([2, 3]), I([2, 1])], ref: (a, b) => R.concat([a, b], 1), dtypes: ALL, tol: 'exact' },
  { name: 'concat three pieces dim -1 with an empty one', op: 'concat', fn: (a, b, c) => flx.concat([a, b, c], -1), inputs: [I([2, 2]), I([2, 0]), I([2, 1])], ref: (a, b, c) => R.concat([a, b, c], -1), dtypes: ALL, tol: 'exact' },
  { name: 'concat T[3,2]+strided[1,2]', op: 'concat', fn: (a, b) => flx.concat([a, b]), inputs: [I([3, 2], 'transposed'), I([1, 2], 'strided')], ref: (a, b) => R.concat([a, b]), dtypes: ALL, tol: 'exact' },
  { name: 'concat one tensor', op: 'concat', fn: (a) => flx.concat([a]), inputs: [I([2, 2])], ref: (a) => R.concat([a]), dtypes: ALL, tol: 'exact' },
  { name: 'stack two [2,3] dim 0', op: 'stack', fn: (a, b) => flx.stack([a, b]), inputs: [I([2, 3]), I([2, 3])], ref: (a, b) => R.stack([a, b]), dtypes: ALL, tol: 'exact' },
  { name: 'stack two [2,3] dim -1', op: 'stack', fn: (a, b) => flx.stack([a, b], -1), inputs: [I([2, 3]), I([2, 3])], ref: (a, b) => R.stack([a, b], -1), dtypes: ALL, tol: 'exact' },
  { name: 'stack three 0-d', op: 'stack', fn: (a, b, c) => flx.stack([a, b, c]), inputs: [I([]), I([]), I([])], ref: (a, b, c) => R.stack([a, b, c]), dtypes: ALL, tol: 'exact' },
  { name: 'stack T[2,2] and offset[2,2] dim 1', op: 'stack', fn: (a, b) => flx.stack([a, b], 1), inputs: [I([2, 2], 'transposed'), I([2, 2], 'offset')], ref: (a, b) => R.stack([a, b], 1), dtypes: ALL, tol: 'exact' },
];

const COPIES: OpCase[] = [
  one('contiguous', 'of T[3,4] (copies)', I([3, 4], 'transposed'), (x) => x.contiguous(), (a) => a),
  one('contiguous', 'of strided[2,3]', I([2, 3], 'strided'), (x) => flx.contiguous(x), (a) => a),
  one('contiguous', 'of contiguous [2,3] (no copy)', I([2, 3]), (x) => x.contiguous(), (a) => a),
  one('clone', '[2,3]', I([2, 3]), (x) => x.clone(), (a) => a),
  one('clone', 'expand[2,3]', I([2, 3], { expandFrom: [1, 3] }), (x) => flx.clone(x), (a) => a),
  one('detach', '[2,3]', I([2, 3]), (x) => x.detach(), (a) => a, { differentiable: false }),
  one('detach', 'free function, T[2,3]', I([2, 3], 'transposed'), (x) => flx.detach(x), (a) => a, { differentiable: false }),
];

// Dtype conversion: float32 rounds, int32 truncates toward zero. Only float→float is differentiable.
const castTo = (target: flx.DType, extra: Partial<OpCase> = {}): OpCase[] =>
  (['float32', 'float64', 'int32'] as const).map((from) => ({
    name: `cast ${from} → ${target}`,
    op: 'cast',
    fn: (x: Tensor) => x.cast(target),
    inputs: [I([2, 3])],
    ref: (a: R.Arr) => R.cast(a, target),
    dtypes: [from],
    outDtype: target,
    // float64 → float32 is differentiable too, but a float32 output is too coarse for finite
    // differences; the round trip below checks that rule.
    differentiable: from !== 'int32' && target === 'float64',
    tol: 'exact' as const,
    ...extra,
  }));
const CASTS: OpCase[] = [
  ...castTo('float32'),
  ...castTo('float64'),
  ...castTo('int32'),
  {
    name: 'cast float64 → float32 → float64 round trip',
    op: 'cast',
    fn: (x) => x.cast('float32').cast('float64'),
    inputs: [I([2, 3])],
    ref: (a) => R.cast(a, 'float32'),
    dtypes: ['float64'],
    tol: 'exact',
    gradcheck: { eps: 1e-2, atol: 1e-4 }, // linear, so a large step is exact; a small one drowns in float32 rounding
  },
  { name: 'cast free function, T view → float64', op: 'cast', fn: (x) => flx.cast(x, 'float64'), inputs: [I([2, 3], 'transposed')], ref: (a) => a, dtypes: ALL, outDtype: 'float64', tol: 'exact', differentiable: true },
  one('to', "'float64'", I([2, 3]), (x) => x.to('float64'), (a) => a, { outDtype: 'float64' }),
  one('to', "'cpu' (same device: itself)", I([2, 3]), (x) => flx.to(x, 'cpu'), (a) => a),
];

// Creation functions take a 0-d input only to learn the dtype of the case.
// The dummy input carries the dtype and the device: creation is checked on every device too.
const make = (op: string, label: string, fn: (o: { dtype: flx.DType; device: flx.Device }) => Tensor, ref: R.Arr, dtypes = ALL): OpCase => ({
  name: `${op} ${label}`,
  op,
  fn: (x) => fn({ dtype: x.dtype, device: x.device }),
  inputs: [I([], { grad: false })],
  ref: () => ref,
  dtypes,
  differentiable: false,
  tol: 'default',
});
const seq = (shape: number[], f: (i: number) => number) => R.arr(shape, Array.from({ length: R.numel(shape) }, (_, i) => f(i)));
const CREATION: OpCase[] = [
  make('tensor', 'nested [[1,2],[3,4]]', (o) => flx.tensor([[1, 2], [3, 4]], o), seq([2, 2], (i) => i + 1)),
  make('zeros', '(2, 3)', (o) => flx.zeros(2, 3, o), seq([2, 3], () => 0)),
  make('ones', '([0, 2])', (o) => flx.ones([0, 2], o), seq([0, 2], () => 1)),
  make('full', '[2] with 7', (o) => flx.full([2], 7, o), seq([2], () => 7)),
  make('arange', '(5)', (o) => flx.arange(5, o), seq([5], (i) => i)),
  make('arange', '(1, 2, 0.25)', (o) => flx.arange(1, 2, 0.25, o), seq([4], (i) => 1 + 0.25 * i), FLOAT),
  make('linspace', '(0, 1, 5)', (o) => flx.linspace(0, 1, 5, o), seq([5], (i) => i / 4), FLOAT),
  make('eye', '(2, 3)', (o) => flx.eye(2, 3, o), seq([2, 3], (i) => (i === 0 || i === 4 ? 1 : 0))),
  { name: 'zerosLike [2,3]', op: 'zerosLike', fn: (x) => flx.zerosLike(x), inputs: [I([2, 3])], ref: (a) => R.map(a, () => 0), dtypes: ALL, differentiable: false },
  { name: 'onesLike T[2,3]', op: 'onesLike', fn: (x) => flx.onesLike(x), inputs: [I([2, 3], 'transposed')], ref: (a) => R.map(a, () => 1), dtypes: ALL, differentiable: false },
];

export const MOVEMENT_CASES: OpCase[] = [...VIEWS, ...INDEXING, ...JOIN, ...COPIES, ...CASTS, ...CREATION];
