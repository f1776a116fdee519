// Binary elementwise ops with NumPy broadcasting. One native template serves all of
// them; here each op is its forward call plus its backward rule, written with public
// ops so that the backward pass is itself differentiable. Gradients come back in the
// broadcast shape; the backward walker sums them to each input's shape (one place).
import type { Tensor, TensorLike } from '../tensor.js';
import { defineBinary } from './elementwise.js';

/**
 * x + y, elementwise with broadcasting; either may be a plain number.
 *
 * ```ts
 * add(tensor([1, 2]), 10);   // Tensor [11, 12]
 * ```
 */
export const add = defineBinary('add', (g) => [() => g, () => g]);
// -g as g · (-1): the same bits as a negation, and binary needs no unary op
/**
 * x − y, elementwise with broadcasting.
 *
 * ```ts
 * sub(1, tensor([1, 2]));   // Tensor [0, -1]
 * ```
 */
export const sub = defineBinary('sub', (g) => [() => g, () => mul(g, -1)]);
// x·x (one tensor on both sides, as in squared norms) gets its whole gradient 2gx from the
// first thunk: one product instead of two products and a sum.
/**
 * x · y, elementwise with broadcasting (matrix products are `matmul`).
 *
 * ```ts
 * mul(tensor([[1], [2]]), tensor([3, 4]));   // Tensor [[3, 4], [6, 8]]
 * ```
 */
export const mul = defineBinary('mul', (g, [a, b]) => (a === b ? [() => mul(g, mul(a, 2)), null] : [() => mul(g, b), () => mul(g, a)]));
/**
 * x / y, elementwise with broadcasting; integer inputs give a float result.
 *
 * ```ts
 * div(tensor([1, 3]), 2);   // Tensor [0.5, 1.5]
 * ```
 */
export const div = defineBinary('div', (g, [, b], y) => [() => div(g, b), () => mul(mul(g, div(y, b)), -1)], { float: true });

// Ties split the gradient evenly between the two inputs (as PyTorch does).
function tieShare(winner: Tensor, tie: Tensor): Tensor {
  return add(winner, mul(tie, 0.5));
}
/**
 * The larger of x and y, elementwise; at ties the gradient is split evenly.
 *
 * ```ts
 * maximum(tensor([1, 5]), 3);   // Tensor [3, 5]
 * ```
 */
export const maximum = defineBinary('maximum', (g, [a, b]) => [
  () => mul(g, tieShare(gt(a, b), eq(a, b))),
  () => mul(g, tieShare(gt(b, a), eq(a, b))),
]);
/**
 * The smaller of x and y, elementwise; at ties the gradient is split evenly.
 *
 * ```ts
 * minimum(tensor([1, 5]), 3);   // Tensor [1, 3]
 * ```
 */
export const minimum = defineBinary('minimum', (g, [a, b]) => [
  () => mul(g, tieShare(lt(a, b), eq(a, b))),
  () => mul(g, tieShare(lt(b, a), eq(a, b))),
]);

// Comparisons return 0/1 in the operands' dtype and carry no derivative.
/**
 * 1 where x = y, else 0 (in the operands' dtype); no derivative.
 *
 * ```ts
 * eq(tensor([1, 2]), 2);   // Tensor [0, 1]
 * ```
 */
export const eq = defineBinary('eq', null);
/**
 * 1 where x ≠ y, else 0; no derivative.
 *
 * ```ts
 * ne(tensor([1, 2]), 2);   // Tensor [1, 0]
 * ```
 */
export const ne = defineBinary('ne', null);
/**
 * 1 where x > y, else 0; no derivative.
 *
 * ```ts
 * gt(tensor([1, 3]), 2);   // Tensor [0, 1]
 * ```
 */
export const gt = defineBinary('gt', null);
/**
 * 1 where x ≥ y, else 0; no derivative.
 *
 * ```ts
 * ge(tensor([1, 2]), 2);   // Tensor [0, 1]
 * ```
 */
export const ge = defineBinary('ge', null);
/**
 * 1 where x < y, else 0; no derivative.
 *
 * ```ts
 * lt(tensor([1, 3]), 2);   // Tensor [1, 0]
 * ```
 */
export const lt = defineBinary('lt', null);
/**
 * 1 where x ≤ y, else 0; no derivative.
 *
 * ```ts
 * le(tensor([2, 3]), 2);   // Tensor [1, 0]
 * ```
 */
export const le = defineBinary('le', null);

/**
 * x - y, squared: (x - y)^2
 *
 * ```ts
 * squaredDifference(tensor([1, 5]), 3);   // Tensor [4, 4]
 * ```
 */
export function squaredDifference(x: TensorLike, y: TensorLike): Tensor {
  const d = sub(x, y);
  return mul(d, d);
}
