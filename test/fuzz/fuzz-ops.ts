// The public surface the fuzz drives: every op (free function and method) and every
// creation function, with the kind of each argument.
import * as F from '../../ts/index.js';
import type { Tensor } from '../../ts/index.js';
import { sumTo } from '../../ts/ops/reduce.js';

export type Kind =
  | 'tensor' | 'tensorlike' | 'tensors' | 'dim' | 'dims' | 'shape' | 'index' | 'indices'
  | 'number' | 'count' | 'bool' | 'dtype' | 'opts' | 'data' | 'fn'
  /** a Tensor, live or disposed: the receiver of a Tensor method, or what f gets in gradient(f, x) */
  | 'self';

export interface FuzzOp {
  name: string;
  kinds: Kind[];
  call: (a: unknown[]) => unknown;
  /** the same through the Tensor method, when there is one (first argument is `this`) */
  method?: (a: unknown[]) => unknown;
  /** names an error message may start with (the op itself, or the op it is documented as) */
  names: string[];
}

type AnyFn = (...a: unknown[]) => unknown;
// sumTo is the backward walker's, not exported, but it checks its arguments like a public op
const INTERNAL: Record<string, AnyFn> = { sumTo: sumTo as AnyFn };
const free = (name: string) => (F as unknown as Record<string, AnyFn>)[name] ?? INTERNAL[name];
const meth = (name: string) => (a: unknown[]) => ((a[0] as unknown as Record<string, AnyFn>)[name] as AnyFn)(...a.slice(1));

function op(name: string, kinds: Kind[], o: { method?: boolean; names?: string[] } = {}): FuzzOp {
  const fn = free(name);
  return {
    name,
    kinds,
    call: (a) => fn(...a),
    method: o.method === false ? undefined : meth(name),
    names: o.names ?? [name],
  };
}

const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const UNARY = ['neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'softplus', 'gelu', 'recip', 'log1p', 'expm1'];
const IN_PLACE = ['addInPlace', 'subInPlace', 'mulInPlace', 'divInPlace', 'assign'];

export const OPS: FuzzOp[] = [
  ...BINARY.map((n) => op(n, ['tensorlike', 'tensorlike'])),
  ...UNARY.map((n) => op(n, ['tensorlike'])),
  op('σ', ['tensorlike'], { method: false, names: ['σ', 'sigmoid'] }),
  op('squaredDifference', ['tensorlike', 'tensorlike'], { method: false, names: ['squaredDifference', 'sub'] }),
  op('where', ['tensorlike', 'tensorlike', 'tensorlike']),
  ...['sum', 'mean', 'max', 'min', 'logsumexp'].map((n) => op(n, ['tensor', 'dims', 'bool'])),
  ...['argmax', 'argmin'].map((n) => op(n, ['tensor', 'dim', 'bool'])),
  ...['softmax', 'logsoftmax'].map((n) => op(n, ['tensor', 'dim'])),
  op('sumTo', ['tensor', 'shape'], { method: false }),
  op('matmul', ['tensor', 'tensor']),
  op('linear', ['tensor', 'tensor', 'tensor'], { method: false }),
  op('reshape', ['tensor', 'shape']),
  op('permute', ['tensor', 'dims']),
  op('transpose', ['tensor', 'dim', 'dim']),
  op('expand', ['tensor', 'shape']),
  op('squeeze', ['tensor', 'dim']),
  op('unsqueeze', ['tensor', 'dim']),
  op('flatten', ['tensor', 'dim', 'dim']),
  op('get', ['tensor', 'index', 'index']),
  op('get', ['tensor', 'index', 'index', 'index']),
  op('slice', ['tensor', 'dim', 'number', 'number', 'count']),
  op('concat', ['tensors', 'dim'], { method: false }),
  op('stack', ['tensors', 'dim'], { method: false }),
  op('split', ['tensor', 'count', 'dim']),
  op('indexSelect', ['tensor', 'dim', 'indices']),
  op('indexAdd', ['tensor', 'dim', 'indices', 'count'], { method: false }),
  ...['contiguous', 'clone', 'detach'].map((n) => op(n, ['tensor'])),
  op('cast', ['tensor', 'dtype']),
  op('to', ['tensor', 'dtype']),
  ...IN_PLACE.map((n) => op(n, ['tensor', 'tensorlike'])),
  op('fill', ['tensor', 'number']),
  // creation
  op('tensor', ['data', 'opts'], { method: false }),
  op('zeros', ['shape', 'opts'], { method: false }),
  op('zeros', ['count', 'count', 'opts'], { method: false }),
  op('ones', ['shape', 'opts'], { method: false }),
  op('full', ['shape', 'number', 'opts'], { method: false }),
  op('zerosLike', ['tensor'], { method: false }),
  op('onesLike', ['tensor'], { method: false }),
  op('arange', ['number', 'number', 'number', 'opts'], { method: false }),
  op('linspace', ['number', 'number', 'count', 'opts'], { method: false }),
  op('eye', ['count', 'count', 'opts'], { method: false }),
  op('rand', ['shape', 'opts'], { method: false }),
  op('randn', ['count', 'count', 'opts'], { method: false }),
  // reading values out
  ...['item', 'toArray', 'data', 'toString'].map(
    (n): FuzzOp => ({ name: n, kinds: ['self'], call: (a) => meth(n)(a), names: [n] }),
  ),
  // the calculus on top: a plausible f of a tensor (a bad f is the caller's bug, not a library one)
  { name: 'gradient', kinds: ['fn', 'self'], call: (a) => F.gradient(a[0] as (x: unknown) => Tensor, a[1]), names: ['gradient'] },
];
