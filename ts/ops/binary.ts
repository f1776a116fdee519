// Binary elementwise ops with NumPy broadcasting. One native template serves all of
// them; here each op is its forward call plus its backward rule, written with public
// ops so that the backward pass is itself differentiable. Gradients come back in the
// broadcast shape; the backward walker sums them to each input's shape (one place).
import { isRecording, isTracked, record, type Vjp } from '../autodiff/tape.js';
import { backendOf } from '../backend/index.js';
import { broadcastShapes, sameShape } from '../shape.js';
import { opCodes } from '../native.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { installMethods } from './methods.js';
import { binaryOperands, floatOperand } from './operand.js';
import { registerOp } from './registry.js';
import { log, neg } from './unary.js';
import { where } from './where.js';

function defineBinary(name: string, vjp: Vjp | null, opts: { float?: boolean } = {}) {
  const code = opCodes.binary[name];
  registerOp({ name, family: 'binary', kernels: [`binary:${name}`], differentiable: vjp !== null });
  return (a: TensorLike, b: TensorLike): Tensor => {
    let [x, y] = binaryOperands(name, a, b);
    if (opts.float && x.dtype === 'int32') {
      x = floatOperand(x);
      y = floatOperand(y);
    }
    const shape = sameShape(x.shape, y.shape) ? x.shape : broadcastShapes(name, x.shape, y.shape);
    const out = backendOf(x).binary(code, x, y, shape);
    if (vjp !== null && isRecording()) record(name, out, [x, y], vjp);
    return out;
  };
}

export const add = defineBinary('add', (g) => [() => g, () => g]);
export const sub = defineBinary('sub', (g) => [() => g, () => neg(g)]);
// x·x (one tensor on both sides, as in squared norms) gets its whole gradient 2gx from the
// first thunk: one product instead of two products and a sum.
export const mul = defineBinary('mul', (g, [a, b]) => (a === b ? [() => mul(g, mul(a, 2)), null] : [() => mul(g, b), () => mul(g, a)]));
export const div = defineBinary('div', (g, [, b], y) => [() => div(g, b), () => neg(mul(g, div(y, b)))], { float: true });

// d/da a^b = b a^(b-1); d/db a^b = a^b log a, taken as 0 where a = 0 and b >= 0 (as PyTorch does).
export const pow = defineBinary(
  'pow',
  (g, [a, b], y) => [
    () => {
      // a^0 is constant: its derivative is 0, not 0 * inf at a = 0. A one-element exponent
      // (x.pow(2)) is checked once on the host instead of masking every element.
      if (b.size === 1 && !isTracked(b)) return b.item() === 0 ? mul(g, 0) : mul(g, mul(b, pow(a, sub(b, 1))));
      return mul(g, where(eq(b, 0), 0, mul(b, pow(a, sub(b, 1)))));
    },
    () => mul(g, where(and(eq(a, 0), ge(b, 0)), 0, mul(y, log(a)))),
  ],
  { float: true },
);

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

/** Logical and of two 0/1 masks. */
function and(a: TensorLike, b: TensorLike): Tensor {
  return mul(a, b);
}

/** x - y, squared: (x - y)^2 */
export function squaredDifference(x: TensorLike, y: TensorLike): Tensor {
  const d = sub(x, y);
  return mul(d, d);
}

declare module '../tensor.js' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(other: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
  }
}
installMethods({ add, sub, mul, div, pow, maximum, minimum, eq, ne, gt, ge, lt, le });
