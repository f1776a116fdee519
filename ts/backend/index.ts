// Device dispatch. This build has the CPU backend; tensors on any other device are
// refused where they would be created, with the reason.
import type { Device } from '../dtype.js';
import { DeviceError, expected } from '../errors.js';
import { native } from '../native.js';
import type { Tensor } from '../tensor.js';
import type { Backend } from './backend.js';
import { cpu } from './cpu.js';

export type { Backend } from './backend.js';

let cudaReason: string | null = null;
/** Why CUDA tensors cannot be made here (null if they can). */
export function cudaUnavailableReason(): string {
  if (cudaReason === null) {
    const info = native.cudaInfo();
    cudaReason = native.kernels().cuda
      ? `CUDA kernels are not part of this release yet (${info})`
      : `this build of Fluxion has no CUDA support (${info})`;
  }
  return cudaReason;
}

export function backendFor(device: Device): Backend {
  if (device === 'cpu') return cpu;
  if (device === 'cuda') throw new DeviceError(`cannot create a tensor on 'cuda': ${cudaUnavailableReason()}`);
  throw expected('device', 'device', "'cpu' or 'cuda'", device, DeviceError);
}

export function backendOf(t: Tensor): Backend {
  return t.device === 'cpu' ? cpu : backendFor(t.device);
}
