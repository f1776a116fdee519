// Binary elementwise ops with NumPy broadcasting. One native template serves all of
// them; here each op is its forward call plus its backward rule, written with public
// ops so that the backward pass is itself differentiable. Gradients come back in the
// broadcast shape; the backward walker sums them to each input's shape (one place).
import type { Tensor, TensorLike } from '../tensor.js';
import { defineBinary } from './elementwise.js';

export const add = defineBinary('add', (g) => [() => g, () => g]);
// -g as g · (-1): the same bits as a negation, and binary needs no unary op
export const sub = defineBinary('sub', (g) => [() => g, () => mul(g, -1)]);
// x·x (one tensor on both sides, as in squared norms) gets its whole gradient 2gx from the
// first thunk: one product instead of two products and a sum.
export const mul = defineBinary('mul', (g, [a, b]) => (a === b ? [() => mul(g, mul(a, 2)), null] : [() => mul(g, b), () => mul(g, a)]));
export const div = defineBinary('div', (g, [, b], y) => [() => div(g, b), () => mul(mul(g, div(y, b)), -1)], { float: true });

// Ties split the gradient evenly between the two inputs (as PyTorch does).
function tieShare(winner: Tensor, tie: Tensor): Tensor {
  return add(winner, mul(tie, 0.5));
}
export const maximum = defineBinary('maximum', (g, [a, b]) => [
  () => mul(g, tieShare(gt(a, b), eq(a, b))),
  () => mul(g, tieShare(gt(b, a), eq(a, b))),
]);
export const minimum = defineBinary('minimum', (g, [a, b]) => [
  () => mul(g, tieShare(lt(a, b), eq(a, b))),
  () => mul(g, tieShare(lt(b, a), eq(a, b))),
]);

// Comparisons return 0/1 in the operands' dtype and carry no derivative.
export const eq = defineBinary('eq', null);
export const ne = defineBinary('ne', null);
export const gt = defineBinary('gt', null);
export const ge = defineBinary('ge', null);
export const lt = defineBinary('lt', null);
export const le = defineBinary('le', null);

/** x - y, squared: (x - y)^2 */
export function squaredDifference(x: TensorLike, y: TensorLike): Tensor {
  const d = sub(x, y);
  return mul(d, d);
}
