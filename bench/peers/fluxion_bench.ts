// The Fluxion side of the suite, run as its own process (`node --import=tsx --expose-gc
// bench/peers/fluxion_bench.ts`, fed by bench/run.ts as protocol.ts describes) so that no
// other library shares its heap, and so `--profile` can wrap one workload in `--cpu-prof`.
// Everything goes through the public API (ts/index.ts) the way a user would write it;
// the training rows call the library's own `train` loop.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Adam,
  BatchNorm,
  Chain,
  Conv,
  DataLoader,
  Dense,
  Descent,
  FileDataLoader,
  Flatten,
  MaxPool,
  RNG,
  SkipConnection,
  type Tensor,
  add,
  backends,
  collect,
  conv,
  gradient,
  identity,
  logitCrossEntropy,
  matmul,
  maxPool,
  mul,
  rand,
  randn,
  relu,
  seed,
  setNumThreads,
  setup,
  tensor,
  tidy,
  train,
  writeDataset,
} from '../../ts/index.js';
import { serve } from '../lib/child.js';
import { measure, summarize } from '../lib/measure.js';
import type { Job, Result } from '../lib/protocol.js';
import { MLP_SIZES, type Workload } from '../lib/workloads.js';

let job: Job;
let opts: { reps: number; budgetMs: number };

function mlp() {
  seed(1);
  const [a, b, c, d] = MLP_SIZES;
  return Chain(Dense(a, b, relu), Dense(b, c, relu), Dense(c, d));
}
type Model = ReturnType<typeof mlp>;

function batchOf(n: number): [Tensor, Tensor] {
  seed(2);
  const x = rand([n, MLP_SIZES[0]]);
  const y = tensor(Int32Array.from({ length: n }, (_, i) => (i * 7) % 10), { shape: [n] });
  return [x, y];
}

const loss = (m: Model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y);
const rule = (p: Workload['params']) => (p.opt === 'sgd' ? new Descent(Number(p.lr)) : new Adam(Number(p.lr)));

/** Σ over parameters of ‖g‖², from a structural gradient. */
function squaredNorm(g: unknown): Tensor {
  let s: Tensor | null = null;
  for (const t of collect(g)) {
    const v = t.mul(t).sum();
    s = s === null ? v : s.add(v);
  }
  return s as Tensor;
}

const f = (x: Tensor) => x.mul(x).mul(3).add(x.mul(2)).add(1);

// ---- CNN rows (same shapes and data conventions as torch_bench.py's)
function lenet() {
  seed(1);
  return Chain(
    Conv([5, 5], 1, 16, relu, { pad: 2 }),
    MaxPool([2, 2]),
    Conv([5, 5], 16, 32, relu, { pad: 2 }),
    MaxPool([2, 2]),
    Flatten(),
    Dense(1568, 128, relu),
    Dense(128, 10),
  );
}
type LeNet = ReturnType<typeof lenet>;

/** out = relu(BN2(conv2(relu(BN1(conv1(x))))) + x): a ResNet basic block, convs 3×3 without bias. */
function resblock(c: number) {
  seed(1);
  const conv3 = () => Conv([3, 3], c, c, identity, { pad: 1, bias: false });
  return Chain(SkipConnection(Chain(conv3(), BatchNorm(c, relu), conv3(), BatchNorm(c)), add), relu);
}
type ResBlock = ReturnType<typeof resblock>;

/** An image batch [n, c, s, s] of uniform [0, 1) values. */
function images(n: number, c: number, s: number): Tensor {
  seed(2);
  return rand([n, c, s, s]);
}

const lenetLoss = (m: LeNet, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y);
const blockLoss = (m: ResBlock, x: Tensor) => {
  const out = m(x) as Tensor;
  return out.mul(out).mean();
};

function cnn(w: Workload, ok: (stats: Result['stats'], extra?: Result['extra']) => Result): Result {
  const p = w.params;
  const loop = (once: () => unknown) => (k: number) => {
    for (let i = 0; i < k; i++) once();
  };
  switch (w.id) {
    case 'lenet-step-b64': {
      const n = Number(p.batch);
      const model = lenet();
      const state = setup(new Adam(Number(p.lr)), model);
      const batch = [images(n, 1, 28), tensor(Int32Array.from({ length: n }, (_, i) => (i * 7) % 10), { shape: [n] })];
      let last = Number.NaN;
      const st = measure((k) => {
        const h = train(lenetLoss, model, new Array(k).fill(batch), state, { progress: false });
        last = h[h.length - 1].loss;
      }, opts);
      return ok(st, { lastLoss: Number(last.toPrecision(5)) });
    }
    case 'resblock-step-b16': {
      const c = Number(p.channels);
      const model = resblock(c);
      const state = setup(new Adam(Number(p.lr)), model);
      const batch = [images(Number(p.batch), c, Number(p.size))];
      let last = Number.NaN;
      const st = measure((k) => {
        const h = train(blockLoss, model, new Array(k).fill(batch), state, { progress: false });
        last = h[h.length - 1].loss;
      }, opts);
      return ok(st, { lastLoss: Number(last.toPrecision(5)) });
    }
    case 'conv-fwd': {
      const c = Number(p.channels);
      const x = images(Number(p.batch), c, Number(p.size));
      seed(3);
      const wt = randn([c, c, 3, 3]).mul(Math.sqrt(2 / (9 * c)));
      return ok(measure(loop(() => tidy(() => void conv(x, wt, { pad: 1 }))), opts));
    }
    case 'maxpool-fwd': {
      const x = images(Number(p.batch), Number(p.channels), Number(p.size));
      return ok(measure(loop(() => tidy(() => void maxPool(x, [2, 2]))), opts));
    }
    case 'batchnorm-step': {
      const c = Number(p.channels);
      const bn = BatchNorm(c);
      const x = images(Number(p.batch), c, Number(p.size));
      // BatchNorm is active (batch statistics, running statistics updated) inside gradient
      return ok(measure(loop(() => tidy(() => void gradient((m: typeof bn, v: Tensor) => (m(v) as Tensor).sum(), bn, x))), opts));
    }
    default:
      return { workload: w.id, peer: job.peer, status: 'missing', reason: 'not a Fluxion workload' };
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function readMnist(): [Tensor, Tensor] {
  if (!job.mnist) throw new Error('no MNIST data in the job');
  const { n } = job.mnist;
  const xs = new Float32Array(readFileSync(job.mnist.x).buffer.slice(0));
  const ys = new Int32Array(readFileSync(job.mnist.y).buffer.slice(0));
  return [tensor(xs, { shape: [n, 784] }), tensor(ys, { shape: [n] })];
}

function run(w: Workload): Result {
  const p = w.params;
  const ok = (stats: Result['stats'], extra?: Result['extra']): Result => ({ workload: w.id, peer: job.peer, status: 'ok', threads: job.threads, stats, extra });
  switch (w.group) {
    case 'gemm': {
      const n = Number(p.n);
      const a = rand([n, n]);
      const b = rand([n, n]);
      // Each result is disposed at once, as numpy and PyTorch free theirs by reference
      // counting: the same work, with memory released at the same point.
      return ok(
        measure((k) => {
          for (let i = 0; i < k; i++) matmul(a, b).dispose();
        }, opts),
      );
    }
    case 'small': {
      const size = Number(p.size);
      const a = rand([size]);
      const b = rand([size]);
      if (w.id === 'add-64')
        return ok(
          measure((k) => {
            for (let i = 0; i < k; i++) add(a, b);
          }, opts),
        );
      const ops = Number(p.ops);
      const c = tensor(new Float32Array(size).fill(0.999));
      const chain = (x: Tensor) => {
        let z = x;
        for (let i = 0; i < ops; i += 2) z = mul(add(z, b), c);
        return z;
      };
      const once = w.id === 'chain-fwd' ? () => chain(a) : () => gradient((x: Tensor) => chain(x).sum(), a);
      const st = measure((k) => {
        for (let i = 0; i < k; i++) once();
      }, opts);
      return ok(perOp(st, ops));
    }
    case 'scalar': {
      const x0 = Number(p.x);
      const once = w.id === 'scalar-grad' ? () => gradient(f, x0)[0] as number : () => gradient((x: Tensor) => gradient(f, x)[0], x0)[0] as number;
      const value = once();
      return ok(
        measure((k) => {
          for (let i = 0; i < k; i++) once();
        }, opts),
        { value },
      );
    }
    case 'mlp': {
      const model = mlp();
      const [x, y] = batchOf(Number(p.batch));
      const l = (m: Model) => loss(m, x, y);
      // tidy releases every intermediate when the call ends (Python peers free by refcount)
      const once =
        w.id === 'mlp-fwd'
          ? () => tidy(() => l(model).item())
          : w.id === 'mlp-grad'
            ? () => tidy(() => gradient(l, model) && 0)
            : () => tidy(() => gradient((m: Model) => squaredNorm(gradient(l, m)[0]), model) && 0);
      return ok(
        measure((k) => {
          for (let i = 0; i < k; i++) once();
        }, opts),
      );
    }
    case 'step': {
      const model = mlp();
      const state = setup(rule(p), model);
      const batch = batchOf(Number(p.batch));
      return ok(measure((k) => train(loss, model, new Array(k).fill(batch), state, { progress: false }), opts));
    }
    case 'cnn':
      return cnn(w, ok);
    case 'epoch': {
      const loader = new DataLoader(readMnist(), {
        batchSize: Number(p.batch),
        shuffle: true,
        rng: new RNG(3),
      });
      const model = mlp();
      const state = setup(rule(p), model);
      let last = Number.NaN;
      const st = measure((k) => {
        const h = train(loss, model, loader, state, { epochs: k, progress: false });
        last = h[h.length - 1].loss;
      }, opts);
      return ok(st, { lastEpochLoss: Number(last.toFixed(4)) });
    }
    case 'stream':
      return stream(w, ok);
    case 'memory': {
      const model = mlp();
      const state = setup(new Adam(1e-3), model);
      const batch = batchOf(Number(p.batch));
      const early = Number(p.early);
      const late = Number(p.late);
      const snapshot = () => {
        gc();
        const m = process.memoryUsage();
        return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, ab: m.arrayBuffers / 2 ** 20 };
      };
      const t0 = performance.now();
      train(loss, model, new Array(early).fill(batch), state, { progress: false });
      const a = snapshot();
      train(loss, model, new Array(late - early).fill(batch), state, { progress: false });
      const b = snapshot();
      const ms = (performance.now() - t0) / late;
      const r1 = (v: number) => Number(v.toFixed(1));
      return ok(
        { median: ms, q1: ms, q3: ms, min: ms, max: ms, n: 1, inner: late, samples: [ms] },
        {
          rssEarlyMB: r1(a.rss),
          rssLateMB: r1(b.rss),
          rssGrowthPct: Number((((b.rss - a.rss) / a.rss) * 100).toFixed(2)),
          heapEarlyMB: r1(a.heap),
          heapLateMB: r1(b.heap),
          arrayBuffersEarlyMB: r1(a.ab),
          arrayBuffersLateMB: r1(b.ab),
        },
      );
    }
  }
}

function perOp(st: Result['stats'] & object, ops: number) {
  const d = (v: number) => v / ops;
  return { ...st, median: d(st.median), q1: d(st.q1), q3: d(st.q3), min: d(st.min), max: d(st.max), samples: st.samples.map(d) };
}

await serve({
  start(j) {
    job = j; // peer 'fluxion', or 'fluxion-noenv' for the GEMM diagnostic run
    opts = { reps: j.reps, budgetMs: j.budgetMs };
    setNumThreads(j.threads);
    const b = backends();
    return { threads: b.cpu.threads, blas: b.cpu.blas, addon: b.addon };
  },
  run,
});

/**
 * The MNIST epoch from a dataset on disk against the same epoch from memory: one epoch of
 * each in turn (which goes first alternates), so both see the same machine; the stats are the
 * file loader's, the in-memory median goes in `extra`.
 */
function stream(w: Workload, ok: (stats: Result['stats'], extra?: Result['extra']) => Result): Result {
  const p = w.params;
  const data = readMnist();
  const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-bench-stream-'));
  try {
    writeDataset(dir, data);
    const batchSize = Number(p.batch);
    const loaders = {
      memory: new DataLoader(data, { batchSize, shuffle: true, rng: new RNG(3) }),
      file: new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize, shuffle: true, seed: 3, prefetch: 1 }),
    };
    const runs = Object.fromEntries(
      Object.entries(loaders).map(([k, loader]) => {
        const model = mlp();
        const state = setup(rule(p), model);
        return [k, () => {
          const t0 = performance.now();
          train(loss, model, loader, state, { epochs: 1, progress: false });
          return performance.now() - t0;
        }];
      }),
    ) as Record<keyof typeof loaders, () => number>;
    runs.memory();
    runs.file(); // warm-up: compilation, first-touch memory, the page cache
    const samples = { memory: [] as number[], file: [] as number[] };
    for (let r = 0; r < Math.max(5, opts.reps); r++) {
      const order = r % 2 === 0 ? (['memory', 'file'] as const) : (['file', 'memory'] as const);
      for (const k of order) samples[k].push(runs[k]());
    }
    loaders.file.close();
    const mem = summarize(samples.memory, 1);
    return ok(summarize(samples.file, 1), { inMemoryMs: Number(mem.median.toFixed(2)), inMemoryQ1Ms: Number(mem.q1.toFixed(2)), inMemoryQ3Ms: Number(mem.q3.toFixed(2)) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
