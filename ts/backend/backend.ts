// The device contract: what an op needs from the storage side. The CPU backend
// implements it over typed arrays; a CUDA backend implements the same interface over
// device memory. Ops never touch storage directly, only through `backendOf(tensor)`.
import type { DType, Device } from '../dtype.js';
import type { Tensor } from '../tensor.js';

export interface MatmulSpec {
  batch: readonly number[]; // broadcast batch shape
  m: number;
  n: number;
  k: number;
}

export interface Backend {
  readonly device: Device;
  /** A fresh contiguous tensor; `zero` asks for zeros. */
  empty(shape: readonly number[], dtype: DType, zero?: boolean): Tensor;
  fromArray(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor;
  /** A read-only 0-d tensor holding v, for number operands of ops (may be cached). */
  constant?(v: number, dtype: DType): Tensor;
  binary(op: number, a: Tensor, b: Tensor, shape: readonly number[]): Tensor;
  binaryInto(op: number, a: Tensor, b: Tensor, dst: Tensor): void;
  where(c: Tensor, a: Tensor, b: Tensor, shape: readonly number[]): Tensor;
  unary(op: number, x: Tensor): Tensor;
  /** dst = op(x) elementwise; dst may be x itself (in place). */
  unaryInto(op: number, x: Tensor, dst: Tensor): void;
  unaryGrad(op: number, x: Tensor, y: Tensor, g: Tensor): Tensor;
  reduce(op: number, x: Tensor, mask: readonly boolean[], scale: number, keptShape: readonly number[]): Tensor;
  /**
   * Optional fused kernel of a dense layer (a backend without it gets the composed ops):
   * y = act(y + bias) in place, for a contiguous y of rows × cols (act: a unary op code, or
   * -1 for none).
   */
  biasActInto?(y: Tensor, bias: Tensor | null, act: number, cols: number): void;
  argmax(x: Tensor, dim: number, outShape: readonly number[]): Tensor;
  softmax(log: boolean, x: Tensor, dim: number): Tensor;
  matmul(a: Tensor, b: Tensor, spec: MatmulSpec, outShape: readonly number[]): Tensor;
  copyInto(src: Tensor, dst: Tensor): void;
  gather(x: Tensor, dim: number, idx: Int32Array): Tensor;
  scatterAdd(g: Tensor, dim: number, idx: Int32Array, size: number): Tensor;
  random(shape: readonly number[], dtype: DType, kind: 'uniform' | 'normal', seed: bigint, counter: bigint): Tensor;
  sgdStep(p: Tensor, g: Tensor, lr: number): void;
  adamStep(p: Tensor, g: Tensor, m: Tensor, v: Tensor, lr: number, b1: number, b2: number, eps: number, step: number, decay: number): void;
}
