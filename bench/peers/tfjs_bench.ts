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
