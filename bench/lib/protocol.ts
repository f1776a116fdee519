// How the orchestrator talks to a peer process. Every peer is one long-lived child; on
// stdin it gets one JSON line with the Job (settings), then one JSON line per Workload
// to run. On stdout it answers `@@META {json}` once it is ready, then for each workload
// one or more `@@RESULT {json}` lines and `@@DONE <id>`. Any other output is ignored, so
// library banners cannot break the protocol. bench/peers/torch_bench.py speaks it too.
// Children wait for work while another peer runs, so the peers' measurements of one
// workload are taken one right after the other (the machine's speed drifts over minutes).
import type { PeerId } from './workloads.js';

export const RESULT_PREFIX = '@@RESULT ';
export const META_PREFIX = '@@META ';
export const DONE_PREFIX = '@@DONE ';

export interface Job {
  peer: PeerId;
  /** Intra-op threads (Fluxion setNumThreads; PyTorch set_num_threads + OpenBLAS). */
  threads: number;
  /** PyTorch: thread counts for the MLP step and CNN rows (always 1 and 2). */
  stepThreads?: number[];
  /** Most timed repetitions per cell. */
  reps: number;
  /** Time budget per cell in ms: slow peers run fewer repetitions (never fewer than 1). */
  budgetMs: number;
  /** Raw MNIST subset shared by every peer: float32 [n, 784] and int32 [n]. */
  mnist?: { x: string; y: string; n: number };
}

export interface Stats {
  /** Milliseconds per unit (per op, per call, per step, per epoch). */
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
  /** Units per timed repetition (calls batched into one timing). */
  inner: number;
  /** True when the only sample is the warm-up run (the run alone exceeded the budget). */
  warmupOnly?: boolean;
  samples: number[];
}

export interface Result {
  workload: string;
  peer: PeerId;
  /** 'ok' with stats, or 'missing' / 'error' with a reason. */
  status: 'ok' | 'missing' | 'error';
  reason?: string;
  stats?: Stats;
  /** Thread count used (MLP step and CNN rows of PyTorch carry one result per count: `byThreads`). */
  threads?: number;
  byThreads?: Record<string, Stats>;
  /** Workload-specific numbers (RSS, checks of the computed value). */
  extra?: Record<string, number | string>;
  /** Set by the orchestrator: % of the machine's CPU other processes used meanwhile. */
  othersPct?: number | null;
}

export interface PeerMeta {
  peer: PeerId;
  [k: string]: unknown;
}
