// Run-time settings and what this build found on this machine.
import { cudaUnavailableReason } from './backend/index.js';
import { expected } from './errors.js';
import { native, nativePath } from './native.js';

/** What this build can use here: CPU threads and BLAS, and whether CUDA is usable (and why not). */
export function backends(): { cpu: { threads: number; blas: string }; cuda: { available: boolean; reason: string }; addon: string } {
  return {
    cpu: { threads: native.numThreads(), blas: native.blasInfo() },
    cuda: { available: false, reason: cudaUnavailableReason() },
    addon: nativePath,
  };
}

/** Threads for elementwise kernels and for BLAS (default: the machine's cores, or FLUXION_NUM_THREADS). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw expected('setNumThreads', 'n', 'a positive integer', n);
  native.setNumThreads(n);
  native.setBlasThreads(n);
}

export function numThreads(): number {
  return native.numThreads();
}
