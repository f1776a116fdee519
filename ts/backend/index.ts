// The one backend: tensors on any device over its adapter (ts/backend/device.ts), and the
// native kernels, which take the same arguments on every device. Ops name the kernels they
// call (`kernel('cumsum')`) and their op codes (`opCode('binary', 'add')`); the metadata
// helpers (meta.ts) lay out shapes and strides. Every argument was validated by the op first.
import { ARRAY_TYPE, type DType, type Device, type TypedArray } from '../dtype.js';
import { FluxionError } from '../errors.js';
import { type KernelFn, type KernelName, type RawBuffer, kernelReport, native } from '../native.js';
import { numel } from '../shape.js';
import { Tensor, setDeviceIO } from '../tensor.js';
import { adapterFor, adapterOf, hostArray } from './device.js';
import { putOperands } from './meta.js';

export { cudaProblem, emulatedCuda } from './device.js';

/** Kernels some op has asked for: the registry test checks every native kernel is used. */
export const usedKernels = new Set<KernelName>();

/** The entry point of a kernel of the op list; throws at load time if this build lacks it. */
export function kernel(name: KernelName): KernelFn {
  if (!(name in kernelReport.kernels)) throw new FluxionError(`kernel '${name}' is not in this build's op list`);
  usedKernels.add(name);
  return native[name] as KernelFn;
}

type Family = keyof typeof kernelReport.ops;
/** The code of an elementwise op within its kernel (its position in the op list). */
export function opCode(family: Family, name: string): number {
  const code = kernelReport.ops[family].indexOf(name);
  if (code < 0) throw new FluxionError(`op '${name}' is not in this build's ${family} list`);
  return code;
}

/** What a kernel takes for a tensor's storage: the typed array, or the device handle. */
export function raw(t: Tensor): RawBuffer {
  return t.device === 'cpu' ? (t._buf as TypedArray) : adapterOf(t).raw(t._buf);
}

/** A fresh contiguous tensor on `device`; `zero` asks for zeros. */
export function empty(shape: readonly number[], dtype: DType, device: Device = 'cpu', zero = false): Tensor {
  return new Tensor(adapterFor(device).alloc(dtype, numel(shape), zero), shape, dtype, device);
}

/** A tensor of `shape` on `device` holding `data` (row-major). */
export function fromArray(data: ArrayLike<number>, shape: readonly number[], dtype: DType, device: Device = 'cpu'): Tensor {
  const t = empty(shape, dtype, device);
  if (device === 'cpu') (t._buf as TypedArray).set(data);
  else if (t.size > 0) adapterOf(t).write(t._buf, hostArray(data, dtype));
  return t;
}

/** A 0-d float64 CPU tensor holding v: numbers differentiated as tensors (gradient(f, 2)). */
export function hostScalar(v: number, dtype: DType = 'float64'): Tensor {
  return fromArray([v], [], dtype, 'cpu');
}

// Number operands of ops (x.mul(2)) become read-only 0-d constants, made once per device and
// dtype and kept out of tidy scopes: most code uses a handful of distinct numbers, over and over.
// Keyed by the number itself (no string built per op); -0 has its own slot, since a Map
// would take it for +0.
const constants = { cpu: {} as Record<DType, Map<number, Tensor>>, cuda: {} as Record<DType, Map<number, Tensor>> };
const negativeZeros = new Map<string, Tensor>();
/** A shared read-only 0-d tensor holding v. */
export function constant(v: number, dtype: DType, device: Device = 'cpu'): Tensor {
  const negZero = v === 0 && 1 / v < 0;
  const table = constants[device];
  let cache = table[dtype];
  if (cache === undefined) cache = table[dtype] = new Map();
  let t = negZero ? negativeZeros.get(`${device}:${dtype}`) : cache.get(v);
  if (t === undefined) {
    if (cache.size >= 4096) cache.clear();
    const a = adapterFor(device);
    const buf = a.alloc(dtype, 1, false);
    a.write(buf, hostArray([v], dtype));
    t = new Tensor(buf, [], dtype, device, undefined, 0, null, false)._markReadonly();
    if (negZero) negativeZeros.set(`${device}:${dtype}`, t);
    else cache.set(v, t);
  }
  return t;
}

const copyK = kernel('copy');
/** dst = src elementwise, src broadcast to dst's shape and converted to its dtype; across devices through the host. */
export function copyInto(src: Tensor, dst: Tensor): void {
  if (src.device !== dst.device) {
    const staged = fromArray(src.data(), src.shape, src.dtype, dst.device);
    copyInto(staged, dst);
    staged.dispose();
    return;
  }
  putOperands(dst.shape, dst, src);
  copyK(raw(dst), raw(src));
}

/** x itself when it is its whole storage, row-major; else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous && x._offset === 0 && x._buf.length === x.size) return x;
  const out = empty(x.shape, x.dtype, x.device);
  copyInto(x, out);
  return out;
}

// data() hands the caller an array of its own: never pooled, never a slab slice, never
// disposed by a scope, so transferring or keeping it cannot touch a live tensor.
setDeviceIO(
  (t: Tensor): TypedArray => {
    const host = new ARRAY_TYPE[t.dtype](t.size);
    if (t.device === 'cpu') copyInto(t, new Tensor(host, t.shape, t.dtype, 'cpu', undefined, 0, null, false));
    else if (t.size > 0) {
      const c = contiguous(t);
      adapterOf(c).read(c._buf, host);
      if (c !== t) c.dispose();
    }
    return host;
  },
  (device, buf) => adapterOf({ device }).release(buf),
);
