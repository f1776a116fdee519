// The distributed rows: each is an mpirun job of its own (Fluxion's bench/peers/dist_bench.ts,
// and for the all-reduce mpi4py's bench/peers/mpi4py_bench.py), run one after the other, each
// job's rank 0 answering with `@@RESULT` lines (protocol.ts). The ranks time a fixed schedule
// (warm-up, then `reps` calls, each after a barrier): a calibration loop like measure.ts would
// let the ranks pick different repetition counts and wait for each other forever.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { type Job, RESULT_PREFIX, type Result } from './protocol.js';
import type { PeerId, Workload } from './workloads.js';

export interface DistributedRun {
  reps: number;
  mnist?: Job['mnist'];
  python: string;
  root: string;
  env: NodeJS.ProcessEnv;
  log: (s: string) => void;
}

function mpirunFlags(): string[] {
  return ['--oversubscribe', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : []), '--bind-to', 'none'];
}

/** One mpirun job; its results, or one 'error' result per expected peer saying why. */
function job(w: Workload, peers: PeerId[], ranks: number, cmd: string[], input: object, run: DistributedRun, threads: number): Result[] {
  const env = { ...run.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const r = spawnSync('mpirun', [...mpirunFlags(), '-np', String(ranks), ...cmd, JSON.stringify({ ...input, workload: w, threads })], {
    cwd: run.root,
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const results = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith(RESULT_PREFIX))
    .map((l) => JSON.parse(l.slice(RESULT_PREFIX.length)) as Result);
  const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`;
  for (const p of peers) if (!results.some((x) => x.peer === p)) results.push({ workload: w.id, peer: p, status: 'error', reason: why });
  return results;
}

export function runDistributed(w: Workload, run: DistributedRun): Result[] {
  const ranks = Number(w.params.ranks);
  const cores = os.availableParallelism();
  const perRank = Math.max(1, Math.floor(cores / ranks));
  const node = [process.execPath, '--import=tsx', '--expose-gc', 'bench/peers/dist_bench.ts'];
  const input = { reps: run.reps, mnist: run.mnist };
  if (w.id === 'dist-allreduce-10m') {
    run.log('  fluxion (mpirun)');
    const f = job(w, ['fluxion'], ranks, node, { ...input, peer: 'fluxion' }, run, perRank);
    run.log('  mpi4py (mpirun)');
    const m = job(w, ['mpi4py'], ranks, [run.python, 'bench/peers/mpi4py_bench.py'], { ...input, peer: 'mpi4py' }, run, perRank);
    return [...f, ...m];
  }
  run.log(`  fluxion, ${ranks} ranks × ${perRank} threads (mpirun)`);
  const f = job(w, ['fluxion'], ranks, node, { ...input, peer: 'fluxion' }, run, perRank);
  run.log(`  fluxion, 1 rank × ${cores} threads (mpirun)`);
  const one = job(w, ['fluxion-1rank'], 1, node, { ...input, peer: 'fluxion-1rank' }, run, cores);
  return [...f, ...one];
}
