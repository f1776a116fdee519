// Fluxion's distributed rows, run under mpirun (bench/lib/distributed.ts): argv[2] is a JSON job
// { workload, peer, reps, threads, mnist }. Every rank runs the same fixed schedule; rank 0
// prints the result (`@@RESULT`).
import { readFileSync } from 'node:fs';
import {
  Adam, Chain, DataLoader, Dense, DistributedOptimizer, initDistributed, logitCrossEntropy, rand, relu, seed, setNumThreads, setup,
  synchronize, tensor, train,
} from '../../ts/index.js';
import { summarize } from '../lib/measure.js';
import { RESULT_PREFIX, type Job, type Result } from '../lib/protocol.js';
import { MLP_SIZES, type PeerId, type Workload } from '../lib/workloads.js';

const job = JSON.parse(process.argv[2]) as { workload: Workload; peer: PeerId; reps: number; threads: number; mnist?: Job['mnist'] };
const w = job.workload;
setNumThreads(job.threads);
const dist = initDistributed({ backend: 'mpi', timeout: 300 });
const emit = (r: Result) => {
  if (dist.rank === 0) process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
};
const ok = (samples: number[], extra?: Result['extra']): Result => ({
  workload: w.id,
  peer: job.peer,
  status: 'ok',
  threads: job.threads,
  stats: summarize(samples, 1),
  extra: { ranks: dist.size, ...extra },
});

if (w.id === 'dist-allreduce-10m') {
  const t = rand([Number(w.params.n)]);
  const samples: number[] = [];
  for (let i = 0; i < 3 + job.reps; i++) {
    dist.barrier();
    const t0 = performance.now();
    dist.allReduce(t, 'sum');
    const ms = performance.now() - t0;
    if (i >= 3) samples.push(ms);
  }
  const gbps = (2 * (dist.size - 1) / dist.size) * Number(w.params.n) * 4 / (summarize(samples, 1).median * 1e6);
  emit(ok(samples, { busGBps: gbps.toFixed(2) }));
} else if (w.id === 'dist-mnist-epoch') {
  if (!job.mnist) throw new Error('no MNIST data in the job');
  const { n } = job.mnist;
  const x = tensor(new Float32Array(readFileSync(job.mnist.x).buffer.slice(0)), { shape: [n, 784] });
  const y = tensor(new Int32Array(readFileSync(job.mnist.y).buffer.slice(0)), { shape: [n] });
  seed(1);
  const [a, b, c, d] = MLP_SIZES;
  const model = Chain(Dense(a, b, relu), Dense(b, c, relu), Dense(c, d));
  const rule = new Adam(Number(w.params.lr));
  const opt = setup(dist.size > 1 ? DistributedOptimizer(dist, rule) : rule, model);
  synchronize(dist, model, { state: opt });
  const batch = Number(w.params.batch) / dist.size;
  const loader = new DataLoader([x, y], { batchSize: batch, shuffle: true, seed: 3, shard: dist });
  const loss = (m: typeof model, xb: typeof x, yb: typeof y) => logitCrossEntropy(m(xb), yb);
  const samples: number[] = [];
  let last = Number.NaN;
  for (let e = 0; e < 1 + Math.min(job.reps, 3); e++) {
    dist.barrier();
    const t0 = performance.now();
    const [info] = train(loss, model, loader, opt, { epochs: 1, startEpoch: e, progress: false });
    const ms = performance.now() - t0;
    last = info.loss;
    if (e >= 1) samples.push(ms);
  }
  emit(ok(samples, { lastLoss: last.toFixed(4), perRankBatch: batch }));
}
dist.close();
