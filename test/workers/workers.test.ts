// Every copy of Fluxion is independent (native state is per copy: native/src/addon.cc), so
// worker threads can train at once, a worker can be killed mid-step, two builds of the
// library can share one process, and workers can come and go without leaking.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import test from 'ava';
import { bundles } from './bundle.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workerFile = path.join(here, 'train-worker.mjs');

interface Run {
  losses: number[];
  checksum: number;
}

function start(seed: number, steps = 60): { worker: Worker; done: Promise<Run>; progress: () => number } {
  const { esm, env } = bundles();
  const worker = new Worker(workerFile, { workerData: { lib: esm, seed, steps, batch: 32, width: 48 }, env });
  let progress = 0;
  const done = new Promise<Run>((resolve, reject) => {
    worker.on('message', (m: { progress?: number } & Partial<Run>) => {
      if (m.progress !== undefined) progress = m.progress;
      else resolve(m as Run);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
  return { worker, done, progress: () => progress };
}

const SEEDS = [11, 22, 33, 44];

test.serial('four worker threads training at once give exactly the losses each gives alone', async (t) => {
  const alone: Run[] = [];
  for (const s of SEEDS) alone.push(await start(s).done);
  const together = await Promise.all(SEEDS.map((s) => start(s).done));
  for (let i = 0; i < SEEDS.length; i++) {
    t.is(together[i].losses.length, 60);
    t.deepEqual(together[i].losses, alone[i].losses, `seed ${SEEDS[i]}: losses`);
    t.is(together[i].checksum, alone[i].checksum, `seed ${SEEDS[i]}: parameters`);
    t.true(together[i].losses[59] < together[i].losses[0], 'it trains');
  }
});

test.serial('a worker terminated mid-step leaves the other workers and the main thread correct', async (t) => {
  const alone = await start(SEEDS[1], 80).done;
  const doomed = start(SEEDS[0], 100000);
  const survivors = [start(SEEDS[1], 80), start(SEEDS[1], 80)];
  doomed.done.catch(() => {});
  while (doomed.progress() < 5) await new Promise((r) => setTimeout(r, 5));
  await doomed.worker.terminate();
  const runs = await Promise.all(survivors.map((s) => s.done));
  for (const r of runs) t.deepEqual(r.losses, alone.losses);
  // and this thread's own copy of the library still computes correctly
  const F = await import('../../ts/index.js');
  const x = F.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
  t.deepEqual(F.gradient((v: typeof x) => v.matmul(v).sum(), x)[0]?.toArray(), [[7, 11], [9, 13]]);
  t.true(F.gradcheck((v: typeof x) => v.matmul(v.T).tanh(), [x]));
});

test.serial('the ESM and the CommonJS build loaded in one process both compute correctly', (t) => {
  const { esm, cjs, env } = bundles();
  const script = `
    const C = require(${JSON.stringify(cjs)});
    import(${JSON.stringify(esm)}).then((E) => {
      const out = [];
      for (const [name, F] of [['esm', E], ['cjs', C], ['esm', E]]) {
        const x = F.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
        F.gradcheck((v) => v.matmul(v.T).softmax().log(), [x]);
        const g = F.gradient((v) => v.mul(v).sum(), x)[0];
        out.push([name, g.toArray(), x.sum(1).toArray()]);
      }
      console.log(JSON.stringify(out));
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as [string, number[][], number[]][];
  for (const [, g, s] of out) {
    t.deepEqual(g, [[2, 4, 6], [8, 10, 12]]);
    t.deepEqual(s, [6, 15]);
  }
});

// Under AddressSanitizer (scripts/sanitize.sh) freed memory is held in quarantine: RSS says nothing there.
const memoryTest = process.env.FLUXION_SANITIZE_RUN === '1' ? test.serial.skip : test.serial;
memoryTest('a worker started and ended 200 times leaves memory flat', async (t) => {
  const { esm, env } = bundles();
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(`import(${JSON.stringify(esm)}).then((F) => { F.Dense(16, 16)(F.randn(8, 16)).sum().item(); })`, { eval: true, env });
      w.on('error', reject);
      w.on('exit', () => resolve());
    });
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  for (let i = 0; i < 20; i++) await once();
  gc();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 180; i++) await once();
  gc();
  const after = process.memoryUsage().rss;
  const grew = (after - before) / 2 ** 20;
  t.log(`RSS after 20 workers ${(before / 2 ** 20).toFixed(1)} MB, after 200 ${(after / 2 ** 20).toFixed(1)} MB`);
  t.true(grew < 40, `RSS grew by ${grew.toFixed(1)} MB over 180 workers`);
});
