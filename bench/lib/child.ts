// The loop every JavaScript peer runs (see protocol.ts): the first stdin line is the Job,
// each further line a Workload; each workload is answered with its result and DONE.
import { createInterface } from 'node:readline';
import { emit, errorText } from './measure.js';
import { DONE_PREFIX, type Job, META_PREFIX, type Result } from './protocol.js';
import type { Workload } from './workloads.js';

export interface Peer {
  /** Applies the settings; returns what to report as META (versions, threads). */
  start(job: Job): Promise<Record<string, unknown>> | Record<string, unknown>;
  run(w: Workload): Result;
}

export async function serve(peer: Peer): Promise<void> {
  let job: Job | null = null;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line.trim()) continue;
    if (job === null) {
      job = JSON.parse(line) as Job;
      const meta = await peer.start(job);
      process.stdout.write(`${META_PREFIX}${JSON.stringify({ peer: job.peer, ...meta })}\n`);
      continue;
    }
    const w = JSON.parse(line) as Workload;
    try {
      emit(peer.run(w));
    } catch (e) {
      emit({ workload: w.id, peer: job.peer, status: 'error', reason: errorText(e) });
    }
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write(`${DONE_PREFIX}${w.id}\n`);
  }
}
