// Run-time settings and what this build found on this machine.
import { cudaProblem, emulatedCuda } from './backend/device.js';
import { DeviceError, expected } from './errors.js';
import { native, nativePath } from './native.js';

/**
 * What this build can use here: CPU threads and BLAS, and whether CUDA is usable (and why not).
 *
 * ```ts
 * backends().cpu.threads >= 1;   // true
 * typeof backends().cuda.available;   // 'boolean'
 * ```
 */
export function backends(): {
  cpu: { threads: number; blas: string };
  cuda: { available: boolean; emulated: boolean; reason: string; info: string; gemm: { backend: string; cublas: string; tf32: boolean } | null };
  addon: string;
} {
  const problem = cudaProblem();
  return {
    cpu: { threads: native.numThreads(), blas: native.blasInfo() },
    cuda: {
      available: problem === null,
      emulated: emulatedCuda,
      reason: problem ?? '',
      info: emulatedCuda ? `emulated on the CPU (FLUXION_EMULATE_CUDA=1); ${native.cudaInfo()}` : native.cudaInfo(),
      gemm: problem === null ? native.cudaGemmInfo() : null,
    },
    addon: nativePath,
  };
}

/**
 * Chooses the CUDA matrix-multiply backend ('auto' = cuBLAS when found) and whether TF32 tensor cores may be used.
 *
 * ```ts no-run
 * setCudaGemm({ backend: 'cublas', tf32: true });   // needs a GPU
 * ```
 */
export function setCudaGemm(opts: { backend?: 'auto' | 'cublas' | 'own'; tf32?: boolean }): void {
  const problem = cudaProblem();
  if (problem !== null) throw new DeviceError(`setCudaGemm: ${problem}`);
  if (opts.backend !== undefined && !['auto', 'cublas', 'own'].includes(opts.backend))
    throw expected('setCudaGemm', 'backend', "'auto', 'cublas' or 'own'", opts.backend);
  native.cudaGemm(opts.backend ?? null, opts.tf32 === undefined ? null : Boolean(opts.tf32));
}

/**
 * Threads for elementwise kernels and for BLAS (default: the machine's cores, or FLUXION_NUM_THREADS).
 *
 * ```ts
 * setNumThreads(2);
 * numThreads();   // 2
 * ```
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw expected('setNumThreads', 'n', 'a positive integer', n);
  native.setNumThreads(n);
  native.setBlasThreads(n);
}

/**
 * Threads the elementwise kernels use (see `setNumThreads`).
 *
 * ```ts
 * numThreads() >= 1;   // true
 * ```
 */
export function numThreads(): number {
  return native.numThreads();
}
