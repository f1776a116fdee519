// The activations of NNlib as plain functions of a tensor. Each is built from ops that
// carry their own backward rules, so all are differentiable to any order.
import { maximum, minimum, mul, sub } from '../ops/binary.js';
import { exp, neg, sigmoid as sigmoidOp, softplus as softplusOp } from '../ops/unary.js';
import { where } from '../ops/where.js';
import type { Tensor } from '../tensor.js';

function named<F extends (...args: never[]) => unknown>(f: F, name: string): F {
  Object.defineProperty(f, 'displayName', { value: name, enumerable: false });
  return f;
}

export const identity = named((x: Tensor) => x, 'identity');
// The ops themselves are the activations; they print with NNlib's names.
named(sigmoidOp, 'σ');
export { sigmoid, σ, relu, tanh, softplus, gelu } from '../ops/unary.js';
export { softmax, logsoftmax } from '../ops/reduce.js';
/** x for x > 0, a·x otherwise (a = 0.01 by default). */
export const leakyRelu = named((x: Tensor, a = 0.01) => maximum(x, mul(x, a)), 'leakyRelu');
/** x for x > 0, a·(eˣ − 1) otherwise. */
export const elu = named((x: Tensor, a = 1) => where(x.gt(0), x, mul(sub(exp(minimum(x, 0)), 1), a)), 'elu');
/** x·σ(x) (SiLU). */
export const swish = named((x: Tensor) => mul(x, sigmoidOp(x)), 'swish');
/** x clamped to [-1, 1]. */
export const hardtanh = named((x: Tensor) => minimum(maximum(x, -1), 1), 'hardtanh');
/** log σ(x) = −softplus(−x), stable for large |x|. */
export const logsigmoid = named((x: Tensor) => neg(softplusOp(neg(x))), 'logsigmoid');
