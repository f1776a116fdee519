// The one module that loads the .node file. It tries the local build first (npm run
// build), then the prebuilt binary shipped in the package, collects every failure, and
// throws one error that lists what was tried and how to fix it.
//
// Each copy of the library (a worker thread, an ESM and a CommonJS build in one process)
// makes its own native context with its own metadata buffer: nothing native is shared
// between copies but what is safe to share (native/src/addon.cc).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from './dtype.js';

/** A buffer as kernels take it: a typed array (CPU memory) or a device handle (BigUint64Array). */
export type RawBuffer = TypedArray | BigUint64Array;

/** An argument of a kernel: a buffer, a number, a flag, or null for an absent buffer. */
export type KernelArg = RawBuffer | number | boolean | null;
/**
 * A kernel of the op list (native/src/ops.def), output buffer first. It runs on the device of
 * its buffers; shapes and strides travel in the metadata buffer. Each op that calls one
 * documents its arguments next to the call; the native side checks them all.
 */
export type KernelFn = (out: RawBuffer, ...args: KernelArg[]) => void;
export type KernelName = string;
/** Every kernel, by name. */
export type NativeKernels = Record<KernelName, KernelFn>;

/** What `kernels()` reports: every kernel with the devices that implement it, and the op codes. */
export interface KernelReport {
  kernels: Record<string, { cpu: boolean; cuda: boolean; claimsCuda: boolean }>;
  ops: { binary: string[]; unary: string[]; unaryGrad: string[]; reduce: string[] };
  cuda: boolean;
}

/** Native device codes (native/src/common.h). */
export const NATIVE_DEVICE = { cuda: 1, emulated: 2 } as const;

/** The functions of the addon that are not kernels: reports, threads, device memory. */
export interface NativeModule {
  kernels(): KernelReport;
  numThreads(): number;
  setNumThreads(n: number): void;
  /** How many jobs the thread pool has split over more than one thread (diagnostics, tests). */
  splitJobs(): number;
  blasInfo(): string;
  setBlasThreads(n: number): void;
  cudaInfo(): string;
  cudaDeviceCount(): number;
  /** '' when the device can be used, else why not. */
  deviceProblem(device: number): string;
  deviceAlloc(device: number, dtype: number, n: number, zero: boolean): BigUint64Array;
  deviceFree(handle: BigUint64Array): void;
  deviceUpload(handle: BigUint64Array, data: TypedArray): void;
  deviceDownload(handle: BigUint64Array, data: TypedArray): void;
  deviceMemory(device: number): { live: number; cached: number };
  deviceEmptyCache(device: number): void;
  deviceSync(device: number): void;
  cudaGemm(backend: 'auto' | 'cublas' | 'own' | null, tf32: boolean | null): void;
  cudaGemmInfo(): { backend: string; active: string; cublas: string; tf32: boolean };
  // Collectives across processes (native/src/distributed.cc); ts/distributed/ validates first.
  // A collective past its deadline throws an Error whose message starts with 'timeout:'.
  /** Loads and initialises MPI once per process (later calls share it). */
  mpiOpen(flavour: 'openmpi' | 'mpich', path: string): { rank: number; size: number; library: string; version: string };
  /** In place; op 0 sum, 1 max, 2 min; timeout in seconds (0: none). */
  mpiAllReduce(data: TypedArray, op: number, timeout: number): void;
  /** The root's bytes into every rank's array (any typed array, Uint8Array included). */
  mpiBroadcast(data: TypedArray | Uint8Array, root: number, timeout: number): void;
  mpiBarrier(timeout: number): void;
  /** One user fewer; the last finalises MPI when `finalize`. */
  mpiClose(finalize: boolean): void;
  /** '' when NCCL can be used here, else why not. */
  ncclProblem(): string;
  ncclUniqueId(): Uint8Array;
  ncclOpen(id: Uint8Array, size: number, rank: number, timeout: number): string;
  /** In place on elements [offset, offset + count) of a CUDA buffer. */
  ncclAllReduce(handle: BigUint64Array, offset: number, count: number, op: number, timeout: number): void;
  ncclBroadcast(handle: BigUint64Array, offset: number, count: number, root: number, timeout: number): void;
  ncclClose(): void;
}

export type NativeBinding = NativeKernels &
  NativeModule & {
    readonly meta: Float64Array;
    /** How often this context called each kernel (diagnostics and tests). */
    kernelCalls(): Record<KernelName, number>;
  };

interface Addon extends NativeModule {
  createContext(meta: Float64Array): NativeBinding;
}

/** The package root: two levels up from dist/esm, ts/ or dist/. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'native'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

/** Where the addon was loaded from, for diagnostics. */
export let nativePath = '';

function load(): Addon {
  const root = packageRoot();
  const req = createRequire(path.join(root, 'package.json'));
  const failures: string[] = [];
  const override = process.env.FLUXION_NATIVE;
  const candidates = override ? [override] : [path.join(root, 'build', 'Release', 'fluxion.node')];
  for (const file of candidates) {
    if (!existsSync(file)) {
      failures.push(`${file}: not built`);
      continue;
    }
    try {
      nativePath = file;
      return req(file) as Addon;
    } catch (e) {
      failures.push(`${file}: ${(e as Error).message}`);
    }
  }
  if (!override) {
    try {
      const gypBuild = req('node-gyp-build') as { path(dir: string): string };
      const file = gypBuild.path(root); // prebuilds/<platform>-<arch>/*.node
      nativePath = file;
      return req(file) as Addon;
    } catch (e) {
      failures.push(`prebuilt binary for ${process.platform}-${process.arch}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `fluxion: could not load the native addon.\nTried:\n${failures.map((f) => `  - ${f}`).join('\n')}\n` +
      'Possible fixes:\n' +
      '  - on Linux x64 with glibc >= 2.34 and Node >= 20, reinstall the package (the prebuilt binary ships inside it);\n' +
      '  - or build from source: install a C++ compiler (Debian/Ubuntu: apt-get install -y g++ make python3; add libopenblas-dev for a faster GEMM), then run `npm rebuild fluxion` (node-gyp, from the sources shipped in the package; without OpenBLAS it builds Fluxion\'s portable GEMM).',
  );
}

/** The metadata buffer of this copy of the library: every kernel call reads its shapes and strides here. */
export const meta = new Float64Array(1024);

/** This copy's native context: every kernel and addon function, bound to `meta`. Internal. */
export const native: NativeBinding = load().createContext(meta);

/** The kernels and op codes compiled into this build. */
export const kernelReport: KernelReport = native.kernels();
