// Run under `mpirun -np 2` (or alone for the one-process reference): 50 Adam steps on a fixed
// problem, then every rank writes its parameters (bytes, base64) to <out>/<mode>-<who>.json.
//   node adam.ts <out> update     each rank takes its half of one fixed batch; update() by hand
//   node adam.ts <out> update64   the same in float64
//   node adam.ts <out> train      train() over a DataLoader sharded across the ranks
//   node adam.ts <out> first      train's first 2 epochs, then rank 0 saves a checkpoint
//   node adam.ts <out> resume     every rank loads the checkpoint and trains the last 3 epochs
// Run alone, `update` and `train` use the whole batch (the reference).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Adam, Chain, DataLoader, Dense, DistributedOptimizer, RNG, collectWithPaths, initDistributed, loadState, mse, randn, relu, saveState,
  f64, gradient, setup, synchronize, train, update, type Tensor,
} from '../../../ts/index.js';

const [out, mode] = process.argv.slice(2);
const alone = !process.env.OMPI_COMM_WORLD_SIZE;
const dist = alone ? null : initDistributed({ backend: 'mpi', timeout: 60 });
const rank = dist?.rank ?? 0;
const who = alone ? 'single' : `rank${rank}`;

const N = 320;
const dtype = mode === 'update64' ? 'float64' : 'float32';
const x = randn([N, 8], { rng: new RNG(11), dtype });
const y = randn([N, 4], { rng: new RNG(12), dtype });
// A different initialisation on every rank: synchronize (or the checkpoint) must make them equal.
const model = dtype === 'float64' ? f64(Chain(Dense(8, 16, relu), Dense(16, 4))) : Chain(Dense(8, 16, relu), Dense(16, 4));
for (const [, t] of collectWithPaths(model)) t.assign(randn(t.shape, { rng: new RNG(100 + t.size + (mode === 'resume' ? 50 + rank : rank)), dtype }));
const rule = dist ? DistributedOptimizer(dist, new Adam(1e-2)) : new Adam(1e-2);
const opt = setup(rule, model);
if (dist && mode !== 'resume') synchronize(dist, model, { state: opt });
const loss = (m: typeof model, xb: Tensor, yb: Tensor) => mse(m(xb), yb);
const checkpoint = path.join(out, 'checkpoint.safetensors');

if (mode === 'update' || mode === 'update64') {
  // one fixed batch of 64, split in halves across the ranks
  const [lo, hi] = dist ? [rank * 32, rank * 32 + 32] : [0, 64];
  const xb = x.slice(0, lo, hi);
  const yb = y.slice(0, lo, hi);
  for (let s = 0; s < 50; s++) {
    const [g] = gradient((m: typeof model) => loss(m, xb, yb), model);
    update(opt, model, g);
  }
} else {
  const loader = new DataLoader([x, y], { batchSize: dist ? 16 : 32, shuffle: true, seed: 7, ...(dist ? { shard: dist } : {}) });
  if (mode === 'train') train(loss, model, loader, opt, { epochs: 5, progress: false });
  else if (mode === 'first') {
    train(loss, model, loader, opt, { epochs: 2, progress: false });
    if (rank === 0) saveState(checkpoint, model, opt, { rng: loader.rng.state });
    dist?.barrier();
  } else if (mode === 'resume') {
    const { extra } = loadState(checkpoint, model, opt);
    loader.rng.state = (extra as { rng: { seed: string; counter: string } }).rng;
    train(loss, model, loader, opt, { epochs: 3, startEpoch: 2, progress: false });
  } else throw new Error(`unknown mode ${mode}`);
}

const params = Object.fromEntries(collectWithPaths(model).map(([p, t]) => [p, Buffer.from(t.data().buffer).toString('base64')]));
writeFileSync(path.join(out, `${mode}-${who}.json`), JSON.stringify(params));
dist?.close();
