// The TensorFlow.js side of the suite, one process per backend (job.peer: tfjs-cpu or
// tfjs-wasm), fed by bench/run.ts as protocol.ts describes.
// tfjs-cpu is the pure-JavaScript backend; tfjs-wasm is XNNPACK compiled to WebAssembly.
// Both run kernels synchronously, so timing the call times the work. Intermediates are
// released with tf.tidy / dispose, as TF.js code must.
import { readFileSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import { serve } from '../lib/child.js';
import { errorText, measure } from '../lib/measure.js';
import type { Job, Result } from '../lib/protocol.js';
import { MLP_SIZES, type Workload } from '../lib/workloads.js';

let job: Job;
let opts: { reps: number; budgetMs: number };
let tf: typeof TF;
/** Why this backend cannot run (every workload is then reported missing with it). */
let unavailable: string | null = null;
const meta: Record<string, unknown> = {};

async function start(j: Job): Promise<Record<string, unknown>> {
  job = j;
  opts = { reps: j.reps, budgetMs: j.budgetMs };
  const backend = j.peer === 'tfjs-wasm' ? 'wasm' : 'cpu';
  meta.backend = backend;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch (e) {
    unavailable = `@tensorflow/tfjs not installed (${errorText(e)})`;
    return meta;
  }
  meta.tfjs = tf.version.tfjs;
  if (backend === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      meta.wasmVersion = wasm.version_wasm;
      if (!(await tf.setBackend('wasm'))) unavailable = 'tf.setBackend("wasm") returned false (the .wasm binary did not load)';
      else {
        await tf.ready();
        meta.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        meta.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        meta.wasmThreads = wasm.getThreadsCount();
      }
    } catch (e) {
      unavailable = `@tensorflow/tfjs-backend-wasm unusable: ${errorText(e)}`;
    }
  } else {
    await tf.setBackend('cpu');
    await tf.ready();
    meta.wasmThreads = 1;
  }
  meta.activeBackend = tf.getBackend();
  return meta;
}

type T = TF.Tensor;

/** Weights [in, out] (TF.js multiplies x·W), Glorot uniform, and zero biases. */
function mlpParams(asVariables: boolean): T[] {
  const ps: T[] = [];
  for (let i = 0; i + 1 < MLP_SIZES.length; i++) {
    const [fi, fo] = [MLP_SIZES[i], MLP_SIZES[i + 1]];
    const lim = Math.sqrt(6 / (fi + fo));
    const w = tf.randomUniform([fi, fo], -lim, lim, 'float32', 1 + i);
    const b = tf.zeros([fo]);
    ps.push(asVariables ? tf.variable(w) : w, asVariables ? tf.variable(b) : b);
  }
  return ps;
}

function logits(x: T, ps: T[]): T {
  const [w1, b1, w2, b2, w3, b3] = ps;
  const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
  const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
  return tf.add(tf.matMul(h2, w3), b3);
}

/**
 * Cross-entropy written out (log Σ exp z − z_y): TF.js's logSoftmax and
 * softmaxCrossEntropy have custom gradients that cannot be differentiated again, so
 * the second-order row needs this form; the forward and gradient rows use it too so the
 * three are comparable. Logits of this freshly initialised MLP are O(1): no max shift.
 */
function manualLoss(x: T, y: T, ps: T[]): TF.Scalar {
  const z = logits(x, ps);
  const oh = tf.oneHot(y, MLP_SIZES[3]);
  return tf.mean(tf.sub(tf.log(tf.sum(tf.exp(z), -1)), tf.sum(tf.mul(oh, z), -1)));
}

function batchOf(n: number): [T, T] {
  const x = tf.randomUniform([n, MLP_SIZES[0]], 0, 1, 'float32', 2);
  const y = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 7) % 10), 'int32');
  return [x, y];
}

function optimizer(p: Workload['params']): TF.Optimizer {
  return p.opt === 'sgd' ? tf.train.sgd(Number(p.lr)) : tf.train.adam(Number(p.lr));
}

/** One training step, the idiomatic way: optimizer.minimize over the variables; the loss read back. */
function stepper(ps: T[], opt: TF.Optimizer) {
  const vars = ps as TF.Variable[];
  return (x: T, y: T): number => {
    const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, MLP_SIZES[3]), logits(x, ps)) as TF.Scalar, true, vars);
    const v = (l as TF.Scalar).dataSync()[0];
    l?.dispose();
    return v;
  };
}

const f = (x: T) => tf.add(tf.add(tf.mul(tf.mul(x, x), 3), tf.mul(x, 2)), 1);

// ---- CNN rows, in TF.js's NHWC layout (filters [kh, kw, in, out])
/** Glorot uniform over a conv filter [kh, kw, in, out] or a dense weight [in, out]. */
function glorot(shape: number[], seed: number): TF.Variable {
  const rf = shape.length === 4 ? shape[0] * shape[1] : 1;
  const lim = Math.sqrt(6 / (shape[shape.length - 2] * rf + shape[shape.length - 1] * rf));
  return tf.variable(tf.randomUniform(shape, -lim, lim, 'float32', seed));
}

/** BatchNorm state: γ, β (trained) and the running statistics (updated after each step). */
interface BN {
  gamma: TF.Variable;
  beta: TF.Variable;
  mean: TF.Variable;
  variance: TF.Variable;
}
const bnOf = (c: number): BN => ({ gamma: tf.variable(tf.ones([c])), beta: tf.variable(tf.zeros([c])), mean: tf.variable(tf.zeros([c]), false), variance: tf.variable(tf.ones([c]), false) });

/** Training-mode batch norm over N, H, W: the batch's mean and biased variance; both kept in `saved` for the running statistics. */
function batchNormTrain(x: T, bn: BN, saved: T[]): T {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  saved.push(tf.keep(mean), tf.keep(variance));
  return tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, 1e-5);
}

/** PyTorch's running-statistics update (momentum 0.1, unbiased variance) from the saved batch statistics; disposes them. */
function updateStats(bns: BN[], saved: T[], n: number): void {
  tf.tidy(() => {
    bns.forEach((bn, i) => {
      bn.mean.assign(tf.add(tf.mul(bn.mean, 0.9), tf.mul(saved[2 * i], 0.1)));
      bn.variance.assign(tf.add(tf.mul(bn.variance, 0.9), tf.mul(saved[2 * i + 1], (0.1 * n) / (n - 1))));
    });
  });
  tf.dispose(saved.splice(0));
}

/** One unit of a CNN row. */
function cnnOnce(w: Workload): () => unknown {
  const p = w.params;
  const vars = (...vs: TF.Variable[]) => vs;
  if (w.id === 'lenet-step-b64') {
    const n = Number(p.batch);
    const [c1, c2, d1, d2] = [glorot([5, 5, 1, 16], 1), glorot([5, 5, 16, 32], 2), glorot([1568, 128], 3), glorot([128, 10], 4)];
    const [b1, b2, b3, b4] = [16, 32, 128, 10].map((c) => tf.variable(tf.zeros([c])));
    const opt = tf.train.adam(Number(p.lr));
    const x = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: n }, (_, i) => (i * 7) % 10), 'int32'), 10);
    const logits = () => {
      const convRelu = (v: T, k: T, b: T) => tf.relu(tf.add(tf.conv2d(v as TF.Tensor4D, k as TF.Tensor4D, 1, 'same'), b)) as TF.Tensor4D;
      let h: T = tf.maxPool(convRelu(x, c1, b1), 2, 2, 'valid');
      h = tf.maxPool(convRelu(h, c2, b2), 2, 2, 'valid');
      const z = tf.relu(tf.add(tf.matMul(tf.reshape(h, [n, 1568]), d1), b3));
      return tf.add(tf.matMul(z, d2), b4);
    };
    const ps = vars(c1, b1, c2, b2, d1, b3, d2, b4);
    return () => {
      const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits()) as TF.Scalar, true, ps) as TF.Scalar;
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
  }
  if (w.id === 'resblock-step-b16') {
    const [n, c, s] = [Number(p.batch), Number(p.channels), Number(p.size)];
    const [w1, w2] = [glorot([3, 3, c, c], 1), glorot([3, 3, c, c], 2)];
    const [bn1, bn2] = [bnOf(c), bnOf(c)];
    const opt = tf.train.adam(Number(p.lr));
    const x = tf.randomUniform([n, s, s, c], 0, 1, 'float32', 2) as TF.Tensor4D;
    const saved: T[] = [];
    const loss = () => {
      const h = tf.relu(batchNormTrain(tf.conv2d(x, w1 as TF.Tensor4D, 1, 'same'), bn1, saved)) as TF.Tensor4D;
      const out = tf.relu(tf.add(batchNormTrain(tf.conv2d(h, w2 as TF.Tensor4D, 1, 'same'), bn2, saved), x));
      return tf.mean(tf.square(out)) as TF.Scalar;
    };
    const ps = vars(w1, bn1.gamma, bn1.beta, w2, bn2.gamma, bn2.beta);
    return () => {
      const l = opt.minimize(loss, true, ps) as TF.Scalar;
      updateStats([bn1, bn2], saved, n * s * s);
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
  }
  const [n, c, s] = [Number(p.batch), Number(p.channels), Number(p.size)];
  const x = tf.randomUniform([n, s, s, c], 0, 1, 'float32', 2) as TF.Tensor4D;
  if (w.id === 'conv-fwd') {
    const wt = tf.mul(tf.randomNormal([3, 3, c, c], 0, 1, 'float32', 3), Math.sqrt(2 / (9 * c))) as TF.Tensor4D;
    return () => tf.conv2d(x, wt, 1, 'same').dispose();
  }
  if (w.id === 'maxpool-fwd') return () => tf.maxPool(x, 2, 2, 'valid').dispose();
  if (w.id === 'batchnorm-step') {
    const bn = bnOf(c);
    const saved: T[] = [];
    const g = tf.grads((v: T, gamma: T, beta: T) => {
      const { mean, variance } = tf.moments(v, [0, 1, 2]);
      saved.push(tf.keep(mean), tf.keep(variance));
      return tf.sum(tf.batchNorm(v, mean, variance, beta, gamma, 1e-5));
    });
    return () => {
      tf.dispose(g([x, bn.gamma, bn.beta]));
      updateStats([bn], saved, n * s * s);
    };
  }
  throw new Error(`not a TF.js CNN workload: ${w.id}`);
}

// ---- sequence rows
/** LayerNorm over the last axis (biased variance, eps 1e-5 as PyTorch's), then γ, β. */
function layerNorm(x: T, gamma: T, beta: T): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/** gelu, tanh form: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
const gelu = (x: T) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));

/** softmax(q kᵀ · scale + bias) v over the last two axes; `bias` (broadcast to the scores) masks with −1e9. */
function attention(q: T, k: T, v: T, bias?: T): T {
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[q.shape.length - 1]));
  if (bias) scores = tf.add(scores, bias);
  return tf.matMul(tf.softmax(scores), v);
}

/** One unit of a sequence row. */
function seqOnce(w: Workload): () => unknown {
  const p = w.params;
  /** One Adam step over `vars` with loss mean(out²), read back. */
  const stepper = (forward: () => T, vars: TF.Variable[]) => {
    const opt = tf.train.adam(Number(p.lr));
    return () => {
      const l = opt.minimize(() => tf.mean(tf.square(forward())) as TF.Scalar, true, vars) as TF.Scalar;
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
  };
  if (w.id === 'lstm-step-b32') {
    const x = tf.randomUniform([Number(p.batch), Number(p.seq), Number(p.in)], 0, 1, 'float32', 2);
    // Glorot-uniform recurrent weights instead of the default orthogonal ones: that initialiser's QR
    // of the [256, 1024] kernel ran over 250 s on the cpu backend before the first step (set-up, not
    // timed, but past the 180 s cell limit); PyTorch and Fluxion draw uniform weights too.
    const lstm = tf.layers.lstm({ units: Number(p.hidden), returnSequences: true, recurrentInitializer: 'glorotUniform' });
    tf.tidy(() => void lstm.apply(x)); // builds the layer's weights before the optimiser sees them
    return stepper(() => lstm.apply(x) as T, lstm.trainableWeights.map((v) => v.read() as TF.Variable));
  }
  if (w.id === 'transformer-step-b16') {
    const [B, L, D, H, M] = [Number(p.batch), Number(p.seq), Number(p.dim), Number(p.heads), Number(p.mlp)];
    const x = tf.randomUniform([B, L, D], 0, 1, 'float32', 2);
    const [wq, wk, wv, wo, w1, w2] = [glorot([D, D], 1), glorot([D, D], 2), glorot([D, D], 3), glorot([D, D], 4), glorot([D, M], 5), glorot([M, D], 6)];
    const [bq, bk, bv, bo, b1, b2] = [D, D, D, D, M, D].map((n) => tf.variable(tf.zeros([n])));
    const [g1, g2] = [tf.variable(tf.ones([D])), tf.variable(tf.ones([D]))];
    const [be1, be2] = [tf.variable(tf.zeros([D])), tf.variable(tf.zeros([D]))];
    // −1e9 above the diagonal: query i attends to keys 0..i
    const causal = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([L, L]), -1, 0)), -1e9));
    const dense = (t: T, wt: T, b: T) => tf.add(tf.matMul(t, wt), b); // t [tokens, in]
    /** [B·L, D] → [B, H, L, D/H]. */
    const heads = (t: T) => tf.transpose(tf.reshape(t, [B, L, H, D / H]), [0, 2, 1, 3]);
    const forward = () => {
      const xt = tf.reshape(x, [B * L, D]);
      const a = layerNorm(xt, g1, be1);
      const y = attention(heads(dense(a, wq, bq)), heads(dense(a, wk, bk)), heads(dense(a, wv, bv)), causal);
      const h = tf.add(xt, dense(tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * L, D]), wo, bo));
      return tf.add(h, dense(gelu(dense(layerNorm(h, g2, be2), w1, b1)), w2, b2));
    };
    return stepper(forward, [wq, bq, wk, bk, wv, bv, wo, bo, g1, be1, g2, be2, w1, b1, w2, b2]);
  }
  const shape = [Number(p.batch), Number(p.heads), Number(p.seq), Number(p.d)];
  const [q, k, v, g] = [2, 3, 4, 5].map((seed) => tf.randomNormal(shape, 0, 1, 'float32', seed));
  if (w.id === 'attention-fwd') return () => attention(q, k, v).dispose();
  if (w.id === 'attention-fwdbwd') {
    const grads = tf.grads((a: T, b: T, c: T) => tf.sum(tf.mul(attention(a, b, c), g)));
    return () => tf.dispose(grads([q, k, v]));
  }
  throw new Error(`not a TF.js sequence workload: ${w.id}`);
}

function run(w: Workload): Result {
  if (unavailable !== null) return { workload: w.id, peer: job.peer, status: 'missing', reason: unavailable };
  const p = w.params;
  const ok = (stats: Result['stats'], extra?: Result['extra']): Result => ({ workload: w.id, peer: job.peer, status: 'ok', threads: Number(meta.wasmThreads), stats, extra });
  const loop = (fn: () => unknown) => (k: number) => {
    for (let i = 0; i < k; i++) fn();
  };
  switch (w.group) {
    case 'gemm': {
      const n = Number(p.n);
      const a = tf.randomUniform([n, n]);
      const b = tf.randomUniform([n, n]);
      return ok(measure(loop(() => tf.matMul(a, b).dispose()), opts));
    }
    case 'small': {
      const size = Number(p.size);
      const a = tf.randomUniform([size]);
      const b = tf.randomUniform([size]);
      if (w.id === 'add-64') return ok(measure(loop(() => tf.add(a, b).dispose()), opts));
      const ops = Number(p.ops);
      const c = tf.fill([size], 0.999);
      const chain = (x: T) => {
        let z = x;
        for (let i = 0; i < ops; i += 2) z = tf.mul(tf.add(z, b), c);
        return z;
      };
      const once = w.id === 'chain-fwd' ? () => tf.tidy(() => chain(a)).dispose() : () => tf.tidy(() => tf.grad((x: T) => tf.sum(chain(x)))(a)).dispose();
      const st = measure(loop(once), opts);
      const d = (v: number) => v / ops;
      return ok({ ...st, median: d(st.median), q1: d(st.q1), q3: d(st.q3), min: d(st.min), max: d(st.max), samples: st.samples.map(d) });
    }
    case 'scalar': {
      const x0 = Number(p.x);
      const once =
        w.id === 'scalar-grad'
          ? () => tf.tidy(() => tf.grad(f)(tf.scalar(x0)).dataSync()[0])
          : () => tf.tidy(() => tf.grad((x: T) => tf.grad(f)(x))(tf.scalar(x0)).dataSync()[0]);
      const value = once();
      return ok(measure(loop(once), opts), { value });
    }
    case 'mlp': {
      const ps = mlpParams(false);
      const [x, y] = batchOf(Number(p.batch));
      const l = (...q: T[]) => manualLoss(x, y, q);
      const sumSq = (gs: T[]) => gs.map((g) => tf.sum(tf.square(g))).reduce((s, v) => tf.add(s, v)) as TF.Scalar;
      const once =
        w.id === 'mlp-fwd'
          ? () => tf.tidy(() => l(...ps).dataSync()[0])
          : w.id === 'mlp-grad'
            ? () => tf.tidy(() => void tf.grads(l)(ps))
            : () => tf.tidy(() => void tf.grads((...q: T[]) => sumSq(tf.grads(l)(q)))(ps));
      return ok(measure(loop(once), opts));
    }
    case 'step': {
      const step = stepper(mlpParams(true), optimizer(p));
      const [x, y] = batchOf(Number(p.batch));
      return ok(measure(loop(() => step(x, y)), opts));
    }
    case 'cnn':
    case 'seq': {
      // One step of the ResNet block in pure JavaScript took 285 s here (its 3×3 64→64 convs and their
      // gradients run as scalar loops): past the orchestrator's 180 s per cell, which would end the child.
      if (job.peer === 'tfjs-cpu' && w.id === 'resblock-step-b16')
        return { workload: w.id, peer: job.peer, status: 'missing', reason: 'skipped: one step takes ~5 min in pure JS (285 s measured once), over the 180 s cell limit' };
      try {
        // built inside the try: a backend without a kernel may refuse while the model is built
        const once = (w.group === 'cnn' ? cnnOnce : seqOnce)(w);
        let value: unknown;
        const st = measure(
          loop(() => {
            value = once();
          }),
          opts,
        );
        return ok(st, typeof value === 'number' ? { lastLoss: Number(value.toPrecision(5)) } : undefined);
      } catch (e) {
        // e.g. tfjs-backend-wasm has no Conv2DBackpropFilter kernel (the conv weight gradient)
        const reason = errorText(e);
        if (/not registered for backend/i.test(reason)) return { workload: w.id, peer: job.peer, status: 'missing', reason: `${tf.getBackend()} backend: ${reason}` };
        throw e;
      }
    }
    case 'epoch': {
      if (!job.mnist) throw new Error('no MNIST data in the job');
      const { n } = job.mnist;
      const X = tf.tensor2d(new Float32Array(readFileSync(job.mnist.x).buffer.slice(0)), [n, 784]);
      const Y = tf.tensor1d(new Int32Array(readFileSync(job.mnist.y).buffer.slice(0)), 'int32');
      const step = stepper(mlpParams(true), optimizer(p));
      const bs = Number(p.batch);
      let last = Number.NaN;
      const epoch = () => {
        const order = Int32Array.from({ length: n }, (_, i) => i);
        tf.util.shuffle(order);
        let total = 0;
        let steps = 0;
        for (let s = 0; s < n; s += bs) {
          const idx = tf.tensor1d(order.subarray(s, Math.min(n, s + bs)), 'int32');
          const xb = tf.gather(X, idx);
          const yb = tf.gather(Y, idx);
          total += step(xb, yb);
          steps++;
          tf.dispose([idx, xb, yb]);
        }
        last = total / steps;
      };
      const st = measure(loop(epoch), opts);
      return ok(st, { lastEpochLoss: Number(last.toFixed(4)) });
    }
    default:
      return { workload: w.id, peer: job.peer, status: 'missing', reason: 'not a TF.js workload' };
  }
}

await serve({ start, run });
