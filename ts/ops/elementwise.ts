// The elementwise kernels as the ops call them: binary, unary and fused-derivative kernels
// on any device, with tiny CPU tensors taken by the JavaScript loops of backend/small.ts.
import { isRecording, isTracked, record, type Vjp } from '../autodiff/tape.js';
import { contiguous, empty, kernel, opCode, raw } from '../backend/index.js';
import { putOperands } from '../backend/meta.js';
import { SMALL_ELEMENTS, smallBinary, smallUnary } from '../backend/small.js';
import { broadcastShapes, sameShape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { asOperand, binaryOperands, floatOperand } from './operand.js';
import { OUTPUT_DERIVATIVE, outputRuleOf } from './output-derivative.js';
import { registerOp } from './registry.js';

const binaryK = kernel('binary');
const unaryK = kernel('unary');
const unaryGradK = kernel('unaryGrad');

/** dst = a (op) b, both broadcast to dst's shape; dst may be a (in place). */
export function binaryInto(code: number, a: Tensor, b: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, a, b);
  binaryK(raw(dst), raw(a), raw(b), code);
}

/** a (op) b in a fresh tensor of `shape` (the broadcast shape). */
export function runBinary(code: number, a: Tensor, b: Tensor, shape: readonly number[]): Tensor {
  const out = empty(shape, a.dtype, a.device);
  if (out.device === 'cpu' && out.size <= SMALL_ELEMENTS && smallBinary(code, a, b, out)) return out;
  binaryInto(code, a, b, out);
  return out;
}

/** dst = op(x) elementwise; dst may be x itself (in place). */
export function unaryInto(code: number, x: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, x);
  unaryK(raw(dst), raw(x), code);
}

export function runUnary(code: number, x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype, x.device);
  if (out.device === 'cpu' && out.size <= SMALL_ELEMENTS && smallUnary(code, x, out)) return out;
  unaryInto(code, x, out);
  return out;
}

/** g · f'(x) through the fused derivative kernel, given y = f(x). */
export function runUnaryGrad(code: number, x: Tensor, y: Tensor, g: Tensor): Tensor {
  const out = empty(x.shape, x.dtype, x.device);
  unaryGradK(raw(out), raw(contiguous(x)), raw(contiguous(y)), raw(contiguous(g)), code);
  return out;
}

/** An op of the native binary kernel with its backward rule (null: no derivative). */
export function defineBinary(name: string, vjp: Vjp | null, opts: { float?: boolean } = {}) {
  const code = opCode('binary', name);
  registerOp({ name, family: 'binary', kernels: [`binary:${name}`], differentiable: vjp !== null });
  return (a: TensorLike, b: TensorLike): Tensor => {
    let [x, y] = binaryOperands(name, a, b);
    if (opts.float && x.dtype === 'int32') {
      x = floatOperand(x);
      y = floatOperand(y);
    }
    const shape = sameShape(x.shape, y.shape) ? x.shape : broadcastShapes(name, x.shape, y.shape);
    const out = runBinary(code, x, y, shape);
    if (vjp !== null && isRecording()) record(name, out, [x, y], vjp);
    return out;
  };
}


/** When false, backward rules always take the composed path (tests compare both paths). */
export const fusedBackward = { enabled: true };

/**
 * An op of the native unary kernel with its backward rule. `fused`: the op has a fused
 * derivative kernel, used instead of the rule when nothing outside records (the result is
 * then a plain array no outer gradient needs). `float: false` keeps int32 inputs int32.
 */
export function defineUnary(name: string, vjp: Vjp | null, opts: { float?: boolean; fused?: boolean } = {}) {
  const code = opCode('unary', name);
  const gradCode = opts.fused ? opCode('unaryGrad', name) : -1;
  const kernels = [`unary:${name}`];
  if (opts.fused) kernels.push(`unaryGrad:${name}`);
  registerOp({ name, family: 'unary', kernels, differentiable: vjp !== null });
  const rule: Vjp | null =
    vjp === null || !opts.fused
      ? vjp
      : (g, inputs, y, ctx) => {
          const x = inputs[0];
          if (fusedBackward.enabled && !isTracked(g, x, y)) return [() => runUnaryGrad(gradCode, x, y, g)];
          return vjp(g, inputs, y, ctx);
        };
  const op = (x: TensorLike): Tensor => {
    let t = asOperand(name, 'x', x);
    if (opts.float !== false) t = floatOperand(t);
    const out = runUnary(code, t);
    if (rule !== null && isRecording()) record(name, out, [t], rule);
    return out;
  };
  Object.defineProperty(op, 'name', { value: name }); // printed by layers: Dense(784 => 512, relu)
  const fromY = outputRuleOf(vjp);
  if (fromY !== undefined && opts.fused) OUTPUT_DERIVATIVE.set(op, { code, gradCode, derivative: fromY });
  return op;
}
