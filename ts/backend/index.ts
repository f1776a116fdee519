// Device dispatch: one Backend per device, chosen by the tensor's device field. A device
// that cannot be used here is refused where a tensor would be created, with the reason.
import type { Device } from '../dtype.js';
import { DeviceError, expected } from '../errors.js';
import { native } from '../native.js';
import type { Tensor } from '../tensor.js';
import type { Backend } from './backend.js';
import { cpu } from './cpu.js';
import { cuda } from './cuda.js';

export type { Backend } from './backend.js';

/** Set FLUXION_EXPERIMENTAL_CUDA=1 to use the CUDA backend before its hardware verification. */
function cudaOptIn(): boolean {
  return process.env.FLUXION_EXPERIMENTAL_CUDA === '1';
}

let problem: string | null | undefined;
/** Why CUDA tensors cannot be made here, or null when they can (found once per process). */
export function cudaProblem(): string | null {
  if (problem === undefined) problem = findCudaProblem();
  return problem;
}

function findCudaProblem(): string | null {
  const info = native.cudaInfo();
  if (!native.kernels().cuda) return `this build of Fluxion has no CUDA support (${info})`;
  if (typeof native.cudaDeviceCount !== 'function' || native.cudaDeviceCount() === 0) return `no usable CUDA device (${info})`;
  if (!cudaOptIn())
    return `the CUDA backend has not been verified on GPU hardware yet; set FLUXION_EXPERIMENTAL_CUDA=1 to use it (${info})`;
  return null;
}

export function backendFor(device: Device): Backend {
  if (device === 'cpu') return cpu;
  if (device === 'cuda') {
    const problem = cudaProblem();
    if (problem !== null) throw new DeviceError(`cannot create a tensor on 'cuda': ${problem}`);
    return cuda;
  }
  throw expected('device', 'device', "'cpu' or 'cuda'", device, DeviceError);
}

export function backendOf(t: Tensor): Backend {
  return t.device === 'cpu' ? cpu : backendFor(t.device);
}
