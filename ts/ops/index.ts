// The ops, and the Tensor methods made from them. Every function the family modules export
// becomes a method (`add(x, y)` is `x.add(y)`) unless marked notMethod, and the methods' type
// declarations come from the same modules: an op's name is written once, where it is defined.
import { Tensor } from '../tensor.js';
import * as binary from './binary.js';
import * as cast from './cast.js';
import * as conv from './conv.js';
import * as grid from './grid.js';
import * as indexing from './indexing.js';
import * as inplace from './inplace.js';
import * as matmul from './matmul.js';
import { type MethodsOf, installMethods } from './methods.js';
import * as movement from './movement.js';
import * as optim from './optim.js';
import * as pow from './pow.js';
import * as reduce from './reduce.js';
import * as unary from './unary.js';
import * as where from './where.js';

const METHODS = { ...binary, ...pow, ...unary, ...where, ...reduce, ...movement, ...matmul, ...cast, ...inplace, ...optim, ...conv, ...grid, ...indexing };
installMethods(METHODS);

// Named through the modules, not `typeof METHODS`: the declaration file would otherwise spell
// out METHODS's type, with references to Tensor that it does not import.
type Methods = MethodsOf<
  typeof binary & typeof pow & typeof unary & typeof where & typeof reduce & typeof movement & typeof matmul & typeof cast & typeof inplace & typeof optim & typeof conv & typeof grid & typeof indexing
>;
declare module '../tensor.js' {
  interface Tensor extends Methods {
    /** The transpose of the last two dims (a view). */
    readonly T: Tensor;
  }
}
// (keeps the augmentation attached to the class this module imports)
void Tensor;

export * from './binary.js';
export * from './pow.js';
export * from './unary.js';
export * from './where.js';
// sumTo is the backward walker's (summing a gradient back to its input's shape), not a public op
export { sum, mean, max, min, argmax, argmin, softmax, logsoftmax, cumsum, variance, std, logsumexp, expand, type Dims } from './reduce.js';
export * from './movement.js';
export { range, type Range } from './range.js';
export * from './matmul.js';
export * from './cast.js';
export * from './conv.js';
export * from './grid.js';
export * from './indexing.js';
export * from './attention.js';
// the recurrent time loops are functions only: `xg.lstmSequence(...)` would read oddly
export * from './recurrent.js';
export { addInPlace, subInPlace, mulInPlace, divInPlace, assign, fill } from './inplace.js';
export { sgdStep, adamStep } from './optim.js';
