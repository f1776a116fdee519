// Timing, the same way for every JavaScript peer (bench/peers/torch_bench.py mirrors it):
//  1. calibrate: grow `inner`, the units batched into one timed repetition, until a
//     repetition lasts at least MIN_REP_MS (garbage collection and allocator costs land
//     inside the timings instead of between them); these runs are also the warm-up;
//  2. warm up: WARMUP more repetitions (fewer when they would blow the cell's budget);
//  3. time up to `reps` repetitions within the budget, at least 3 when one fits;
//  4. report the median and quartiles of the per-unit time.
// A unit that alone takes longer than twice the budget (TF.js pure JS on big matrices)
// is timed once, and the warm-up run is that sample (`warmupOnly`).
import { RESULT_PREFIX, type Result, type Stats } from './protocol.js';

export const MIN_REP_MS = 50;
export const WARMUP = 2;

export interface MeasureOptions {
  reps: number;
  budgetMs: number;
  /** Cap on units per repetition (default 100,000). */
  maxInner?: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples: number[], inner: number, warmupOnly = false): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
    min: s[0],
    max: s[s.length - 1],
    n: s.length,
    inner,
    ...(warmupOnly ? { warmupOnly: true } : {}),
    samples,
  };
}

function time(run: (k: number) => void, k: number): number {
  const t = performance.now();
  run(k);
  return performance.now() - t;
}

/** Times `run(k)`, which must perform k units of work; returns milliseconds per unit. */
export function measure(run: (k: number) => void, opts: MeasureOptions): Stats {
  const budget = opts.budgetMs;
  const maxInner = opts.maxInner ?? 1_000_000;
  let inner = 1;
  let t = time(run, 1);
  if (t > 2 * budget) return summarize([t], 1, true);
  let spent = t;
  // The first call pays for compilation and first-touch allocation: time a second one.
  if (t < budget / 4) {
    t = time(run, 1);
    spent += t;
  }
  // Calibration: grow the batch until one repetition lasts MIN_REP_MS (this warms up too).
  while (t < MIN_REP_MS && inner < maxInner && spent < budget / 2) {
    inner = Math.min(maxInner, inner * (t < MIN_REP_MS / 20 ? 10 : 2));
    t = time(run, inner);
    spent += t;
  }
  for (let i = 0; i < WARMUP && spent + t < budget / 2; i++) {
    t = time(run, inner);
    spent += t;
  }
  const fit = Math.floor(budget / Math.max(t, 1e-6));
  const minReps = t <= budget ? Math.min(3, opts.reps) : 1;
  const reps = Math.max(1, Math.min(opts.reps, Math.max(minReps, fit)));
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) samples.push(time(run, inner) / inner);
  return summarize(samples, inner);
}

/** Sends one result to the orchestrator. */
export function emit(r: Result): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
}

export function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}
