// Elementwise cases: binary ops with broadcasting, unary ops, where, in-place updates.
import * as flx from '../../../ts/index.js';
import type { Tensor } from '../../../ts/index.js';
import * as R from '../reference.js';
import { ALL, FLOAT, type Gen, I, type InputSpec, type OpCase, type TolClass } from './spec.js';

type DType = flx.DType;

interface BinaryOp {
  op: string;
  f: (a: Tensor, b: Tensor | number) => Tensor;
  r: (x: number, y: number) => number;
  gens: [Gen, Gen];
  dtypes: DType[];
  differentiable: boolean;
  tol?: TolClass;
  /** a scalar operand that keeps the op in its domain */
  scalar: number;
}

const cmp = (r: (x: number, y: number) => boolean) => (x: number, y: number) => (r(x, y) ? 1 : 0);
const bin = (op: string, r: BinaryOp['r'], o: Partial<BinaryOp> = {}): BinaryOp => ({
  op,
  f: (a, b) => (a as unknown as Record<string, (b: Tensor | number) => Tensor>)[op](b),
  r,
  gens: ['normal', 'normal'],
  dtypes: ALL,
  differentiable: true,
  scalar: 2,
  ...o,
});
const COMPARE = { gens: ['int', 'int'] as [Gen, Gen], differentiable: false };

const BINARY: BinaryOp[] = [
  bin('add', (x, y) => x + y),
  bin('sub', (x, y) => x - y),
  bin('mul', (x, y) => x * y),
  bin('div', (x, y) => x / y, { gens: ['normal', 'nonzero'], dtypes: FLOAT, scalar: 1.5 }),
  bin('pow', (x, y) => x ** y, { gens: ['positive', 'normal'], dtypes: FLOAT, tol: 'transcendental', scalar: 1.5 }),
  bin('maximum', R.fn.maximum, { gens: ['distinct', 'distinct'] }),
  bin('minimum', R.fn.minimum, { gens: ['distinct', 'distinct'] }),
  bin('eq', cmp((x, y) => x === y), COMPARE),
  bin('ne', cmp((x, y) => x !== y), COMPARE),
  bin('gt', cmp((x, y) => x > y), COMPARE),
  bin('ge', cmp((x, y) => x >= y), COMPARE),
  bin('lt', cmp((x, y) => x < y), COMPARE),
  bin('le', cmp((x, y) => x <= y), COMPARE),
];

// Operand pairs: same shape, broadcasting of every kind, 0-d, size 1, empty, and views.
const PAIRS: [string, InputSpec, InputSpec][] = [
  ['[2,3]·[2,3]', I([2, 3]), I([2, 3])],
  ['[2,3]·[3]', I([2, 3]), I([3])],
  ['[2,1]·[1,4]', I([2, 1]), I([1, 4])],
  ['[3,1,2]·[4,1]', I([3, 1, 2]), I([4, 1])],
  ['[]·[2,3]', I([]), I([2, 3])],
  ['[]·[]', I([]), I([])],
  ['[1]·[1]', I([1]), I([1])],
  ['[0,3]·[3]', I([0, 3]), I([3])],
  ['[2,0]·[1,1]', I([2, 0]), I([1, 1])],
  ['T[3,2]·strided[3,2]', I([3, 2], 'transposed'), I([3, 2], 'strided')],
  ['offset[2,3]·expand[2,3]', I([2, 3], 'offset'), I([2, 3], { expandFrom: [1, 3] })],
];

function binaryCases(b: BinaryOp): OpCase[] {
  const base = { op: b.op, dtypes: b.dtypes, differentiable: b.differentiable, tol: b.tol };
  const cases: OpCase[] = PAIRS.map(([label, x, y]) => ({
    ...base,
    name: `${b.op} ${label}`,
    fn: (p: Tensor, q: Tensor) => b.f(p, q),
    inputs: [{ ...x, gen: b.gens[0] }, { ...y, gen: b.gens[1] }],
    ref: (p: R.Arr, q: R.Arr) => R.zip(p, q, b.r),
  }));
  const s = b.scalar;
  const free = (flx as unknown as Record<string, (a: unknown, b: unknown) => Tensor>)[b.op];
  cases.push(
    {
      ...base,
      name: `${b.op} [2,3]·number`,
      fn: (p: Tensor) => b.f(p, s),
      inputs: [I([2, 3], b.gens[0])],
      ref: (p: R.Arr) => R.zip(p, R.scalar(s), b.r),
    },
    {
      ...base,
      name: `${b.op} number·[3] (free function)`,
      fn: (q: Tensor) => free(s, q),
      inputs: [I([3], b.gens[1])],
      ref: (q: R.Arr) => R.zip(R.scalar(s), q, b.r),
    },
  );
  return cases;
}

interface UnaryOp {
  op: string;
  r: (x: number) => number;
  gen: Gen;
  dtypes: DType[];
  differentiable: boolean;
}
const un = (op: string, r: UnaryOp['r'], o: Partial<UnaryOp> = {}): UnaryOp => ({
  op,
  r,
  gen: 'normal',
  dtypes: FLOAT,
  differentiable: true,
  ...o,
});

const UNARY: UnaryOp[] = [
  un('neg', (x) => -x, { dtypes: ALL }),
  un('exp', Math.exp),
  un('log', Math.log, { gen: 'positive' }),
  un('sqrt', Math.sqrt, { gen: 'positive' }),
  un('abs', Math.abs, { gen: 'nonzero', dtypes: ALL }),
  un('sign', R.fn.sign, { gen: 'int', dtypes: ALL, differentiable: false }),
  un('sin', Math.sin),
  un('cos', Math.cos),
  un('tanh', Math.tanh),
  un('sigmoid', R.fn.sigmoid),
  un('relu', R.fn.relu, { gen: 'nonzero' }),
  un('softplus', R.fn.softplus),
  un('gelu', R.fn.gelu),
  un('recip', R.fn.recip, { gen: 'nonzero' }),
  un('log1p', Math.log1p, { gen: 'positive' }),
  un('expm1', Math.expm1),
];

const UNARY_SHAPES: [string, InputSpec][] = [
  ['[2,3]', I([2, 3])],
  ['[]', I([])],
  ['[1]', I([1])],
  ['[0,2]', I([0, 2])],
  ['T[3,4]', I([3, 4], 'transposed')],
  ['strided[2,3]', I([2, 3], 'strided')],
  ['offset[4]', I([4], 'offset')],
  ['expand[2,3]', I([2, 3], { expandFrom: [1, 3] })],
];

function unaryCases(u: UnaryOp): OpCase[] {
  const method = (x: Tensor) => (x as unknown as Record<string, () => Tensor>)[u.op]();
  const tol: TolClass = u.dtypes === ALL ? 'exact' : 'transcendental';
  return UNARY_SHAPES.map(([label, x]) => ({
    name: `${u.op} ${label}`,
    op: u.op,
    fn: method,
    inputs: [{ ...x, gen: u.gen }],
    ref: (a: R.Arr) => R.map(a, u.r),
    dtypes: u.dtypes,
    differentiable: u.differentiable,
    tol,
  }));
}

const add = (x: number, y: number) => x + y;

const OTHER: OpCase[] = [
  // the Flux alias
  { name: 'σ [2,3]', op: 'σ', fn: (x) => flx.σ(x), inputs: [I([2, 3])], ref: (a) => R.map(a, R.fn.sigmoid), tol: 'transcendental' },
  // dtype promotion: the wider dtype wins; numbers take the tensor's dtype unless they need a float
  { name: 'add float32·float64 → float64', op: 'add', fn: (a, b) => a.add(b), inputs: [I([2, 3], { dtype: 'float32' }), I([3])], ref: (a, b) => R.zip(a, b, add), dtypes: ['float64'] },
  { name: 'add int32·float32 → float32', op: 'add', fn: (a, b) => a.add(b), inputs: [I([2, 3], { dtype: 'int32' }), I([3])], ref: (a, b) => R.zip(a, b, add), dtypes: ['float32'] },
  { name: 'mul int32·0.5 → float32', op: 'mul', fn: (a) => a.mul(0.5), inputs: [I([2, 3])], ref: (a) => R.map(a, (x) => x * 0.5), dtypes: ['int32'], outDtype: 'float32' },
  { name: 'add int32·3 stays int32', op: 'add', fn: (a) => a.add(3), inputs: [I([2, 3])], ref: (a) => R.map(a, (x) => x + 3), dtypes: ['int32'] },
  { name: 'div int32·int32 → float32', op: 'div', fn: (a, b) => a.div(b), inputs: [I([2, 3]), I([3], 'nonzero')], ref: (a, b) => R.zip(a, b, (x, y) => x / y), dtypes: ['int32'], outDtype: 'float32' },
  { name: 'pow int32 → float32', op: 'pow', fn: (a, b) => a.pow(b), inputs: [I([4], 'positive'), I([4], 'positive')], ref: (a, b) => R.zip(a, b, (x, y) => x ** y), dtypes: ['int32'], outDtype: 'float32' },
  { name: 'exp int32 → float32', op: 'exp', fn: (a) => a.exp(), inputs: [I([2, 3])], ref: (a) => R.map(a, Math.exp), dtypes: ['int32'], outDtype: 'float32', tol: 'transcendental' },
  { name: 'squaredDifference [2,3]·[3]', op: 'squaredDifference', fn: (a, b) => flx.squaredDifference(a, b), inputs: [I([2, 3]), I([3])], ref: (a, b) => R.zip(a, b, (x, y) => (x - y) ** 2) },
];

const mask = (shape: number[], layout?: InputSpec['layout']): InputSpec => ({ shape, gen: 'mask', grad: false, layout });
const choose = (c: R.Arr, a: R.Arr, b: R.Arr) => R.where(c, a, b);
const WHERE: OpCase[] = [
  { name: 'where [2,3] [2,3] [2,3]', op: 'where', fn: (c, a, b) => flx.where(c, a, b), inputs: [mask([2, 3]), I([2, 3]), I([2, 3])], ref: choose, dtypes: ALL },
  { name: 'where [3] [2,1] [1,3]', op: 'where', fn: (c, a, b) => flx.where(c, a, b), inputs: [mask([3]), I([2, 1]), I([1, 3])], ref: choose, dtypes: ALL },
  { name: 'where [2,3] [2,3] number', op: 'where', fn: (c, a) => flx.where(c, a, 0), inputs: [mask([2, 3]), I([2, 3])], ref: (c, a) => choose(c, a, R.scalar(0)), dtypes: ALL },
  { name: 'where method [] [2] []', op: 'where', fn: (c, a, b) => c.where(a, b), inputs: [mask([]), I([2]), I([])], ref: choose },
  { name: 'where float32 cond 0.5 counts as true for int32 values', op: 'where', fn: (c, a, b) => flx.where(c, a, b), inputs: [I([2, 3], { dtype: 'float32', grad: false }), I([2, 3]), I([3])], ref: choose, dtypes: ['int32'] },
  { name: 'where empty [0,2]', op: 'where', fn: (c, a, b) => flx.where(c, a, b), inputs: [mask([0, 2]), I([0, 2]), I([2])], ref: choose },
  { name: 'where strided cond, T a', op: 'where', fn: (c, a, b) => flx.where(c, a, b), inputs: [mask([3, 2], 'strided'), I([3, 2], 'transposed'), I([3, 2], 'offset')], ref: choose },
];

// In-place updates run on a clone (they refuse tracked tensors, so no gradients here).
const inPlace = (op: string, r: (x: number, y: number) => number, dtypes: DType[], gen: Gen = 'normal'): OpCase => ({
  name: `${op} [2,3] ← [3]`,
  op,
  fn: (a, b) => (a.clone() as unknown as Record<string, (b: Tensor) => Tensor>)[op](b),
  inputs: [I([2, 3]), I([3], gen)],
  ref: (a, b) => R.zip(a, b, r),
  dtypes,
  differentiable: false,
});
const IN_PLACE: OpCase[] = [
  inPlace('addInPlace', add, ALL),
  inPlace('subInPlace', (x, y) => x - y, ALL),
  inPlace('mulInPlace', (x, y) => x * y, ALL),
  inPlace('divInPlace', (x, y) => x / y, FLOAT, 'nonzero'),
  inPlace('assign', (_, y) => y, ALL),
  { name: 'fill [2,3]', op: 'fill', fn: (a) => a.clone().fill(2), inputs: [I([2, 3])], ref: (a) => R.map(a, () => 2), dtypes: ALL, differentiable: false },
  {
    name: 'addInPlace through a transposed view',
    op: 'addInPlace',
    fn: (a, b) => {
      const c = a.clone();
      c.T.addInPlace(b);
      return c;
    },
    inputs: [I([2, 3]), I([3, 2], 'strided')],
    ref: (a, b) => R.zip(a, R.transpose(b), add),
    dtypes: ALL,
    differentiable: false,
  },
];

export const ELEMENTWISE_CASES: OpCase[] = [
  ...BINARY.flatMap(binaryCases),
  ...UNARY.flatMap(unaryCases),
  ...OTHER,
  ...WHERE,
  ...IN_PLACE,
];
