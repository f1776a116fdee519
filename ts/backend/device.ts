// The device adapters: all a device must do for the backend is allocate and free storage,
// copy host data in and out, and report its memory. The kernels are the same entry points on
// every device (a buffer names its device), so nothing else differs between devices.
//
// 'cuda' is the GPU, or with FLUXION_EMULATE_CUDA=1 the emulated device: host memory behind
// the same device handles and allocator, run by the CPU kernels, so that the whole device
// path runs in CI on machines without a GPU.
import { ARRAY_TYPE, BYTES_PER_ELEMENT, DTYPE_CODE, type DType, type Device, type DeviceBuffer, type Storage, type TypedArray } from '../dtype.js';
import { DeviceError, expected } from '../errors.js';
import { NATIVE_DEVICE, type RawBuffer, native } from '../native.js';
import { allocate, cpuMemory, recycle } from '../storage.js';

export interface DeviceAdapter {
  readonly device: Device;
  /** Storage for n elements; `zero` asks for zeros. */
  alloc(dtype: DType, n: number, zero: boolean): Storage;
  release(buf: Storage): void;
  /** Copies host values to the start of `buf`. */
  write(buf: Storage, data: TypedArray): void;
  /** Copies the first out.length elements of `buf` to the host. */
  read(buf: Storage, out: TypedArray): void;
  /** What the kernels take. */
  raw(buf: Storage): RawBuffer;
  memory(): { live: number; cached: number };
  /** Gives cached memory back. */
  emptyCache(): void;
}

const cpuAdapter: DeviceAdapter = {
  device: 'cpu',
  alloc: (dtype, n, zero) => allocate(dtype, n, zero),
  release: (buf) => recycle(buf as TypedArray),
  write: (buf, data) => (buf as TypedArray).set(data),
  read: (buf, out) => out.set((buf as TypedArray).subarray(0, out.length)),
  raw: (buf) => buf as TypedArray,
  memory: () => {
    const m = cpuMemory();
    return { live: m.bytes, cached: m.pooledBytes };
  },
  emptyCache: () => {},
};

/** True when 'cuda' tensors live on the emulated device (FLUXION_EMULATE_CUDA=1). */
export const emulatedCuda = process.env.FLUXION_EMULATE_CUDA === '1';
const CUDA = emulatedCuda ? NATIVE_DEVICE.emulated : NATIVE_DEVICE.cuda;

// A safety net for tensors that are never disposed: their memory goes back when the GC
// collects them (callbacks run between tasks, so loops should still dispose / tidy).
const collected = new FinalizationRegistry<BigUint64Array>((handle) => {
  try {
    native.deviceFree(handle);
  } catch {
    // the process may be exiting
  }
});

const cudaAdapter: DeviceAdapter = {
  device: 'cuda',
  alloc(dtype, n, zero) {
    const handle = native.deviceAlloc(CUDA, DTYPE_CODE[dtype], n, zero);
    const buf: DeviceBuffer = { kind: 'cuda', handle, length: n, bytes: Math.max(1, n) * BYTES_PER_ELEMENT[dtype], freed: false };
    collected.register(buf, handle, buf);
    return buf;
  },
  release(buf) {
    const d = buf as DeviceBuffer;
    if (d.freed) return;
    d.freed = true;
    collected.unregister(d);
    native.deviceFree(d.handle);
  },
  write: (buf, data) => native.deviceUpload((buf as DeviceBuffer).handle, data),
  read: (buf, out) => native.deviceDownload((buf as DeviceBuffer).handle, out),
  raw: (buf) => (buf as DeviceBuffer).handle,
  memory: () => native.deviceMemory(CUDA),
  emptyCache: () => native.deviceEmptyCache(CUDA),
};

/** Set FLUXION_EXPERIMENTAL_CUDA=1 to use the CUDA backend before its hardware verification. */
function cudaOptIn(): boolean {
  return process.env.FLUXION_EXPERIMENTAL_CUDA === '1' || emulatedCuda;
}

let problem: string | null | undefined;
/** Why CUDA tensors cannot be made here, or null when they can (found once per process). */
export function cudaProblem(): string | null {
  if (problem === undefined) {
    const info = native.cudaInfo();
    const why = native.deviceProblem(CUDA);
    if (why !== '') problem = emulatedCuda || native.kernels().cuda ? `${why} (${info})` : `this build of Fluxion has no CUDA support (${info})`;
    else if (!cudaOptIn())
      problem = `the CUDA backend has not been verified on GPU hardware yet; set FLUXION_EXPERIMENTAL_CUDA=1 to use it (${info})`;
    else problem = null;
  }
  return problem;
}

/** The adapter of a device, or a DeviceError saying why it cannot be used here. */
export function adapterFor(device: Device): DeviceAdapter {
  if (device === 'cpu') return cpuAdapter;
  if (device === 'cuda') {
    const why = cudaProblem();
    if (why !== null) throw new DeviceError(`cannot create a tensor on 'cuda': ${why}`);
    return cudaAdapter;
  }
  throw expected('device', 'device', "'cpu' or 'cuda'", device, DeviceError);
}

/** The adapter of an existing tensor's device (which is usable: the tensor exists). */
export function adapterOf(t: { device: Device }): DeviceAdapter {
  return t.device === 'cpu' ? cpuAdapter : cudaAdapter;
}

/** Host typed array of `dtype` holding `data`. */
export function hostArray(data: ArrayLike<number>, dtype: DType): TypedArray {
  return data instanceof ARRAY_TYPE[dtype] ? (data as TypedArray) : ARRAY_TYPE[dtype].from(data as ArrayLike<number>);
}
