// The one module that loads the .node file. It tries the local build first (npm run
// build), then the prebuilt binary shipped in the package, collects every failure, and
// throws one error that lists what was tried and how to fix it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from './dtype.js';

/** Every export of the addon, typed. Shapes and strides travel in the metadata buffer. */
export interface NativeBinding {
  init(meta: Float64Array): void;
  kernels(): { binary: string[]; unary: string[]; unaryGrad: string[]; reduce: string[]; other: string[]; cuda: boolean };
  numThreads(): number;
  setNumThreads(n: number): void;
  /** How many jobs the thread pool has split over more than one thread (diagnostics, tests). */
  splitJobs(): number;
  cudaInfo(): string;
  blasInfo(): string;
  setBlasThreads(n: number): void;
  binary(op: number, a: TypedArray, b: TypedArray, out: TypedArray): void;
  where(cond: TypedArray, a: TypedArray, b: TypedArray, out: TypedArray): void;
  unary(op: number, x: TypedArray, out: TypedArray): void;
  unaryGrad(op: number, x: TypedArray, y: TypedArray, g: TypedArray, out: TypedArray): void;
  reduce(op: number, x: TypedArray, out: TypedArray, scale: number): void;
  argmax(x: TypedArray, out: Int32Array, dim: number): void;
  softmax(log: boolean, x: TypedArray, out: TypedArray, outer: number, n: number, inner: number): void;
  matmul(a: TypedArray, b: TypedArray, out: TypedArray): void;
  copy(src: TypedArray, dst: TypedArray): void;
  gather(x: TypedArray, idx: Int32Array, out: TypedArray, outer: number, n: number, inner: number, k: number): void;
  scatterAdd(g: TypedArray, idx: Int32Array, out: TypedArray, outer: number, n: number, inner: number, k: number): void;
  random(out: TypedArray, kind: number, seedLo: number, seedHi: number, ctrLo: number, ctrHi: number): void;
  sgdStep(p: TypedArray, g: TypedArray, lr: number): void;
  adamStep(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, lr: number, b1: number, b2: number,
    eps: number, step: number, decay: number): void;
  biasAct(y: TypedArray, bias: TypedArray | null, act: number, cols: number): void;
  /** Present when the addon was built with CUDA (see CudaBinding). */
  cudaDeviceCount?: () => number;
}

/**
 * The CUDA entry points (present when built with nvcc). Device addresses travel as numbers,
 * dtypes as codes (DTYPE_CODE), lengths in elements; shapes and strides in the metadata
 * buffer in the same layout as the CPU kernels.
 */
export interface CudaBinding {
  cudaDeviceCount(): number;
  cudaAlloc(bytes: number): number;
  cudaFree(ptr: number): void;
  cudaMemory(): { live: number; cached: number };
  cudaEmptyCache(): void;
  cudaUpload(ptr: number, data: TypedArray): void;
  cudaDownload(ptr: number, data: TypedArray): void;
  cudaSync(): void;
  cudaBinary(op: number, dtype: number, a: number, b: number, out: number, aLen: number, bLen: number, outLen: number): void;
  cudaWhere(dtype: number, c: number, a: number, b: number, out: number, cLen: number, aLen: number, bLen: number, outLen: number): void;
  cudaUnary(op: number, dtype: number, x: number, out: number, xLen: number, outLen: number): void;
  cudaUnaryGrad(op: number, dtype: number, x: number, y: number, g: number, out: number, n: number): void;
  cudaReduce(op: number, dtype: number, x: number, out: number, xLen: number, outLen: number, scale: number): void;
  cudaArgmax(dtype: number, x: number, out: number, xLen: number, outLen: number, dim: number): void;
  cudaSoftmax(log: boolean, dtype: number, x: number, out: number, outer: number, n: number, inner: number): void;
  cudaMatmul(dtype: number, a: number, b: number, out: number, aLen: number, bLen: number, outLen: number): void;
  cudaCopy(dstDtype: number, srcDtype: number, src: number, dst: number, srcLen: number, dstLen: number): void;
  cudaGather(dtype: number, x: number, idx: number, out: number, outer: number, n: number, inner: number, k: number): void;
  cudaScatterAdd(dtype: number, g: number, idx: number, out: number, outer: number, n: number, inner: number, k: number): void;
  cudaRandom(dtype: number, out: number, n: number, kind: number, seedLo: number, seedHi: number, ctrLo: number, ctrHi: number): void;
  cudaSgdStep(dtype: number, p: number, g: number, n: number, lr: number): void;
  cudaAdamStep(dtype: number, p: number, g: number, m: number, v: number, n: number, lr: number, b1: number, b2: number,
    eps: number, step: number, decay: number): void;
  cudaGemmBackend(name: 'auto' | 'cublas' | 'own'): void;
  cudaSetTf32(on: boolean): void;
  cudaGemmInfo(): { backend: string; cublas: string; tf32: boolean };
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

function load(): NativeBinding {
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
      return req(file) as NativeBinding;
    } catch (e) {
      failures.push(`${file}: ${(e as Error).message}`);
    }
  }
  if (!override) {
    try {
      const gypBuild = req('node-gyp-build') as { path(dir: string): string };
      const file = gypBuild.path(root); // prebuilds/<platform>-<arch>/*.node
      nativePath = file;
      return req(file) as NativeBinding;
    } catch (e) {
      failures.push(`prebuilt binary for ${process.platform}-${process.arch}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `fluxion: could not load the native addon.\nTried:\n${failures.map((f) => `  - ${f}`).join('\n')}\n` +
      'Possible fixes:\n' +
      '  - on Linux x64 with glibc >= 2.34 and Node >= 20, reinstall the package (the prebuilt binary ships inside it);\n' +
      '  - or build from source: install a C++ compiler and OpenBLAS (Debian/Ubuntu: apt-get install -y g++ make python3 libopenblas-dev), then run `npm rebuild fluxion` (node-gyp, from the sources shipped in the package).',
  );
}

export const native: NativeBinding = load();

/** The metadata buffer: every kernel call reads its shapes and strides from here. */
export const meta = new Float64Array(1024);
native.init(meta);

const kernelList = native.kernels();
function codes(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    out[n] = i;
  });
  return out;
}
/** Op name -> op code, per family, from the op list compiled into this build. */
export const opCodes = {
  binary: codes(kernelList.binary),
  unary: codes(kernelList.unary),
  unaryGrad: codes(kernelList.unaryGrad),
  reduce: codes(kernelList.reduce),
};
export const nativeKernels = kernelList;
