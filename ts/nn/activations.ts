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

/**
 * x itself: the activation of a layer without one (`Dense(2, 3)`).
 *
 * ```ts
 * identity(tensor([1, -2]));   // Tensor [1, -2]
 * ```
 */
export const identity = named((x: Tensor) => x, 'identity');
// The ops themselves are the activations; they print with NNlib's names.
named(sigmoidOp, 'σ');
export { sigmoid, σ, relu, tanh, softplus, gelu } from '../ops/unary.js';
export { softmax, logsoftmax } from '../ops/reduce.js';
/**
 * x for x > 0, a·x otherwise (a = 0.01 by default).
 *
 * ```ts
 * leakyRelu(tensor([-1, 2]));   // Tensor [-0.01, 2]
 * leakyRelu(tensor([-1]), 0.2);   // Tensor [-0.2]
 * ```
 */
export const leakyRelu = named((x: Tensor, a = 0.01) => maximum(x, mul(x, a)), 'leakyRelu');
/**
 * x for x > 0, a·(eˣ − 1) otherwise.
 *
 * ```ts
 * elu(tensor([-1, 2]));   // Tensor [-0.6321, 2]
 * ```
 */
export const elu = named((x: Tensor, a = 1) => where(x.gt(0), x, mul(sub(exp(minimum(x, 0)), 1), a)), 'elu');
/**
 * x·σ(x) (SiLU).
 *
 * ```ts
 * swish(tensor([0, 1]));   // Tensor [0, 0.7311]
 * ```
 */
export const swish = named((x: Tensor) => mul(x, sigmoidOp(x)), 'swish');
/**
 * x clamped to [-1, 1].
 *
 * ```ts
 * hardtanh(tensor([-2, 0.5, 3]));   // Tensor [-1, 0.5, 1]
 * ```
 */
export const hardtanh = named((x: Tensor) => minimum(maximum(x, -1), 1), 'hardtanh');
/**
 * log σ(x) = −softplus(−x), stable for large |x|.
 *
 * ```ts
 * logsigmoid(tensor([0]));   // Tensor [-0.6931]
 * ```
 */
export const logsigmoid = named((x: Tensor) => neg(softplusOp(neg(x))), 'logsigmoid');
