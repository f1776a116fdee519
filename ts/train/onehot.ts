// One-hot encoding and its inverse. Batch first: oneHotBatch gives [N, K]
// (Flux's onehotbatch gives K×N in its column-major layout).
import { tensor } from '../creation.js';
import { ArgumentError, expected } from '../errors.js';
import { argmax } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';

function labelIndex(op: string, v: unknown, labels: readonly unknown[] | number): number {
  if (typeof labels === 'number') {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= labels)
      throw new ArgumentError(`${op}: label ${String(v)} is not an integer in [0, ${labels})`);
    return v;
  }
  const i = labels.indexOf(v);
  if (i < 0) throw new ArgumentError(`${op}: label ${String(v)} is not one of the ${labels.length} labels`);
  return i;
}

/**
 * A one-hot vector [K]: `oneHot(2, 4)` or `oneHot('b', ['a', 'b', 'c'])`.
 *
 * ```ts
 * oneHot(2, 4);   // Tensor [0, 0, 1, 0]
 * oneHot('b', ['a', 'b', 'c']);   // Tensor [0, 1, 0]
 * ```
 */
export function oneHot(label: unknown, labels: readonly unknown[] | number): Tensor {
  const k = typeof labels === 'number' ? labels : labels.length;
  const data = new Array<number>(k).fill(0);
  data[labelIndex('oneHot', label, labels)] = 1;
  return tensor(data);
}

/**
 * One-hot rows [N, K] for N labels (an array, or an int32 / integer-valued tensor).
 *
 * ```ts
 * oneHotBatch([0, 2], 3);   // Tensor [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHotBatch(ys: readonly unknown[] | Tensor, labels: readonly unknown[] | number): Tensor {
  const list = ys instanceof Tensor ? Array.from(ys.data()) : ys;
  if (!Array.isArray(list) && !(ys instanceof Tensor)) throw expected('oneHotBatch', 'labels', 'an array or a tensor', ys);
  const k = typeof labels === 'number' ? labels : labels.length;
  const data = new Float32Array(list.length * k);
  list.forEach((v, i) => {
    data[i * k + labelIndex('oneHotBatch', v, labels)] = 1;
  });
  return tensor(data, { shape: [list.length, k] });
}

/**
 * The inverse of oneHot along the last dim: indices (int32 tensor), or the labels themselves when given.
 *
 * ```ts
 * oneCold(tensor([[0.1, 0.9], [0.8, 0.2]]));   // Tensor [1, 0]
 * oneCold(tensor([0.1, 0.9]), ['cat', 'dog']);   // 'dog'
 * ```
 */
export function oneCold(y: Tensor): Tensor;
export function oneCold<L>(y: Tensor, labels: readonly L[]): L[] | L;
export function oneCold<L>(y: Tensor, labels?: readonly L[]): Tensor | L[] | L {
  if (!(y instanceof Tensor)) throw expected('oneCold', 'y', 'a Tensor', y);
  const idx = argmax(y, -1);
  if (labels === undefined) return idx;
  const out = Array.from(idx.data(), (i) => labels[i]);
  return y.ndim === 1 ? out[0] : out;
}
