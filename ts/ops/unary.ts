// Unary elementwise ops. Each backward rule is written with public ops (so it can be
// differentiated again); where a fused native derivative kernel exists it is used
// instead, but only when nothing outside is recording (ts/ops/elementwise.ts). A test
// checks both paths agree.
import { add, div, gt, mul, sub } from './binary.js';
import { defineUnary } from './elementwise.js';
import { fromOutput } from './output-derivative.js';

/**
 * −x.
 *
 * ```ts
 * neg(tensor([1, -2]));   // Tensor [-1, 2]
 * ```
 */
export const neg = defineUnary('neg', (g) => [() => neg(g)], { float: false });
/**
 * eˣ, elementwise.
 *
 * ```ts
 * exp(tensor([0, 1]));   // Tensor [1, 2.7183]
 * ```
 */
export const exp = defineUnary('exp', (g, _, y) => [() => mul(g, y)]);
/**
 * The natural logarithm, elementwise.
 *
 * ```ts
 * log(tensor([1, Math.E]));   // Tensor [0, 1]
 * ```
 */
export const log = defineUnary('log', (g, [x]) => [() => div(g, x)]);
/**
 * The square root, elementwise.
 *
 * ```ts
 * sqrt(tensor([4, 9]));   // Tensor [2, 3]
 * ```
 */
export const sqrt = defineUnary('sqrt', (g, _, y) => [() => div(g, mul(y, 2))]);
// |x|' = sign(x): the subgradient at 0 is 0.
/**
 * |x|, elementwise (its derivative at 0 is 0).
 *
 * ```ts
 * abs(tensor([-2, 3]));   // Tensor [2, 3]
 * ```
 */
export const abs = defineUnary('abs', (g, [x]) => [() => mul(g, sign(x))], { float: false });
/**
 * −1, 0 or 1 by the sign of x; no derivative.
 *
 * ```ts
 * sign(tensor([-2, 0, 3]));   // Tensor [-1, 0, 1]
 * ```
 */
export const sign = defineUnary('sign', null, { float: false });
/**
 * The sine, elementwise (radians).
 *
 * ```ts
 * sin(tensor([0, Math.PI / 2]));   // Tensor [0, 1]
 * ```
 */
export const sin = defineUnary('sin', (g, [x]) => [() => mul(g, cos(x))]);
/**
 * The cosine, elementwise (radians).
 *
 * ```ts
 * cos(tensor([0, Math.PI]));   // Tensor [1, -1]
 * ```
 */
export const cos = defineUnary('cos', (g, [x]) => [() => neg(mul(g, sin(x)))]);
// The derivatives of tanh, sigmoid and relu are functions of the output y alone, so the
// input need not be kept: `linear` applies them in place (ts/ops/output-derivative.ts).
/**
 * The hyperbolic tangent, elementwise (also an activation: `Dense(4, 8, tanh)`).
 *
 * ```ts
 * tanh(tensor([0]));   // Tensor [0]
 * ```
 */
export const tanh = defineUnary('tanh', fromOutput((g, y) => mul(g, sub(1, mul(y, y)))), { fused: true });
/**
 * The logistic function 1 / (1 + e⁻ˣ), elementwise; `σ` is the same function.
 *
 * ```ts
 * sigmoid(tensor([0]));   // Tensor [0.5]
 * ```
 */
export const sigmoid = defineUnary('sigmoid', fromOutput((g, y) => mul(g, mul(y, sub(1, y)))), { fused: true });
// relu'(0) = 0 (the subgradient PyTorch and Flux use); y > 0 exactly where x > 0.
/**
 * max(x, 0), elementwise (its derivative at 0 is 0).
 *
 * ```ts
 * relu(tensor([-1, 2]));   // Tensor [0, 2]
 * ```
 */
export const relu = defineUnary('relu', fromOutput((g, y) => mul(g, gt(y, 0))), { fused: true });
/**
 * log(1 + eˣ), elementwise: a smooth relu.
 *
 * ```ts
 * softplus(tensor([0]));   // Tensor [0.6931]
 * ```
 */
export const softplus = defineUnary('softplus', (g, [x]) => [() => mul(g, sigmoid(x))], { fused: true });
/**
 * 1 / x, elementwise.
 *
 * ```ts
 * recip(tensor([2, 4]));   // Tensor [0.5, 0.25]
 * ```
 */
export const recip = defineUnary('recip', (g, _, y) => [() => neg(mul(g, mul(y, y)))]);
/**
 * log(1 + x), accurate for small x.
 *
 * ```ts
 * log1p(tensor([0]));   // Tensor [0]
 * ```
 */
export const log1p = defineUnary('log1p', (g, [x]) => [() => div(g, add(x, 1))]);
/**
 * eˣ − 1, accurate for small x.
 *
 * ```ts
 * expm1(tensor([0]));   // Tensor [0]
 * ```
 */
export const expm1 = defineUnary('expm1', (g, _, y) => [() => mul(g, add(y, 1))]);
// erf'(x) = 2/√π · exp(−x²)
/**
 * The error function, elementwise.
 *
 * ```ts
 * erf(tensor([0, 1]));   // Tensor [0, 0.8427]
 * ```
 */
export const erf = defineUnary('erf', (g, [x]) => [() => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))]);

// gelu (tanh form): with u = c (x + a x^3) and t = tanh(u),
// gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2)
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
/**
 * The GELU activation, in its tanh form (as Flux and PyTorch's approximate="tanh").
 *
 * ```ts
 * gelu(tensor([0, 1]));   // Tensor [0, 0.8412]
 * ```
 */
export const gelu = defineUnary(
  'gelu',
  (g, [x]) => [
    () => {
      const x2 = mul(x, x);
      const t = tanh(mul(add(x, mul(mul(x2, x), GELU_A)), GELU_C));
      const left = mul(add(t, 1), 0.5);
      const right = mul(mul(mul(x, 0.5), sub(1, mul(t, t))), mul(add(mul(x2, 3 * GELU_A), 1), GELU_C));
      return mul(g, add(left, right));
    },
  ],
  { fused: true },
);

/**
 * σ: an alias of `sigmoid`, as in Flux (also the method x.σ()).
 *
 * ```ts
 * σ(tensor([0]));   // Tensor [0.5]
 * Dense(2, 3, σ)(zeros(2));   // Tensor [0.5, 0.5, 0.5]
 * ```
 */
export const σ = sigmoid;
