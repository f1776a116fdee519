// The CUDA backend: the same contract as the CPU backend over device memory. Shapes and
// strides go through the shared metadata buffer; storage is a DeviceBuffer from the
// addon's caching allocator. Device memory is given back by dispose() (and by tidy and
// train, which dispose what they created); the garbage collector is only a safety net.
import { DTYPE_CODE, type DType, type DeviceBuffer, type TypedArray } from '../dtype.js';
import { type CudaBinding, native } from '../native.js';
import { numel } from '../shape.js';
import { ARRAY_TYPE, BYTES_PER_ELEMENT } from '../dtype.js';
import { openScopes } from '../scope.js';
import { Tensor, setDeviceReleaser, setReader } from '../tensor.js';
import type { Backend, MatmulSpec } from './backend.js';
import { aroundDim, matrixLayout, putMatmul, putOperands, putReduce, seedWords, withDim } from './meta.js';

const cu = native as unknown as CudaBinding;

// A safety net for tensors that are never disposed: give their memory back when the GC
// collects them (callbacks run between tasks, so loops should still dispose / tidy).
const collected = new FinalizationRegistry<number>((ptr) => {
  try {
    cu.cudaFree(ptr);
  } catch {
    // the process may be exiting
  }
});

function allocBuffer(dtype: DType, n: number): DeviceBuffer {
  const bytes = Math.max(1, n) * BYTES_PER_ELEMENT[dtype];
  const buf: DeviceBuffer = { kind: 'cuda', ptr: cu.cudaAlloc(bytes), length: n, bytes, freed: false };
  collected.register(buf, buf.ptr, buf);
  return buf;
}

setDeviceReleaser((buf: DeviceBuffer) => {
  if (buf.freed) return;
  buf.freed = true;
  collected.unregister(buf);
  cu.cudaFree(buf.ptr);
});

function dev(t: Tensor): DeviceBuffer {
  return t._buf as DeviceBuffer;
}
function ptr(t: Tensor): number {
  return dev(t).ptr;
}
function len(t: Tensor): number {
  return dev(t).length;
}
const code = (d: DType) => DTYPE_CODE[d];

function empty(shape: readonly number[], dtype: DType, zero = false): Tensor {
  const t = new Tensor(allocBuffer(dtype, numel(shape)), shape, dtype, 'cuda');
  if (zero && t.size > 0) fill(t, 0);
  return t;
}

// Scalars used by ops (x.mul(2)) are uploaded once and reused: read-only device constants.
const constants = new Map<string, Tensor>();
function constant(v: number, dtype: DType): Tensor {
  const key = `${dtype}:${Object.is(v, -0) ? '-0' : v}`;
  let t = constants.get(key);
  if (t === undefined) {
    if (constants.size > 4096) constants.clear();
    // made outside any tidy scope: a scope must never dispose a shared constant
    const scopes = openScopes.splice(0);
    try {
      t = upload([v], [], dtype)._markReadonly();
    } finally {
      openScopes.push(...scopes);
    }
    constants.set(key, t);
  }
  return t;
}

function fill(t: Tensor, v: number): void {
  copyInto(constant(v, t.dtype), t);
}

function upload(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const t = new Tensor(allocBuffer(dtype, numel(shape)), shape, dtype, 'cuda');
  const host = data instanceof ARRAY_TYPE[dtype] ? (data as TypedArray) : ARRAY_TYPE[dtype].from(data as ArrayLike<number>);
  if (host.length > 0) cu.cudaUpload(ptr(t), host);
  return t;
}

function contiguous(x: Tensor): Tensor {
  if (x.isContiguous && x._offset === 0 && len(x) === x.size) return x;
  const out = empty(x.shape, x.dtype);
  copyInto(x, out);
  return out;
}

function copyInto(src: Tensor, dst: Tensor): void {
  if (src.device !== 'cuda') {
    // host -> device: stage a contiguous copy, then copy on the device (casts and views too)
    const staged = upload(src.data(), src.shape, src.dtype);
    copyInto(staged, dst);
    staged.dispose();
    return;
  }
  putOperands(dst.shape, dst, src);
  cu.cudaCopy(code(dst.dtype), code(src.dtype), ptr(src), ptr(dst), len(src), len(dst));
}

setReader('cuda', (t: Tensor): TypedArray => {
  const c = contiguous(t);
  const host = new ARRAY_TYPE[t.dtype](t.size);
  if (t.size > 0) cu.cudaDownload(ptr(c), host);
  if (c !== t) c.dispose();
  return host;
});

function binaryInto(op: number, a: Tensor, b: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, a, b);
  cu.cudaBinary(op, code(dst.dtype), ptr(a), ptr(b), ptr(dst), len(a), len(b), len(dst));
}

function unaryInto(op: number, x: Tensor, dst: Tensor): void {
  putOperands(dst.shape, dst, x);
  cu.cudaUnary(op, code(x.dtype), ptr(x), ptr(dst), len(x), len(dst));
}

export const cuda: Backend = {
  device: 'cuda',
  empty,

  fromArray(data, shape, dtype) {
    return upload(data, shape, dtype);
  },

  constant,

  binary(op, a, b, shape) {
    const out = empty(shape, a.dtype);
    binaryInto(op, a, b, out);
    return out;
  },

  binaryInto,

  where(c, a, b, shape) {
    const out = empty(shape, a.dtype);
    putOperands(shape, out, c, a, b);
    cu.cudaWhere(code(a.dtype), ptr(c), ptr(a), ptr(b), ptr(out), len(c), len(a), len(b), len(out));
    return out;
  },

  unary(op, x) {
    const out = empty(x.shape, x.dtype);
    unaryInto(op, x, out);
    return out;
  },

  unaryInto,

  unaryGrad(op, x, y, g) {
    const out = empty(x.shape, x.dtype);
    cu.cudaUnaryGrad(op, code(x.dtype), ptr(contiguous(x)), ptr(contiguous(y)), ptr(contiguous(g)), ptr(out), x.size);
    return out;
  },

  reduce(op, x, mask, scale, keptShape) {
    const out = empty(keptShape, x.dtype);
    putReduce(x, mask);
    cu.cudaReduce(op, code(x.dtype), ptr(x), ptr(out), len(x), len(out), scale);
    return out;
  },

  argmax(x, dim, outShape) {
    const out = empty(outShape, 'int32');
    putOperands(x.shape, x);
    cu.cudaArgmax(code(x.dtype), ptr(x), ptr(out), len(x), len(out), dim);
    return out;
  },

  softmax(log, x, dim) {
    const c = contiguous(x);
    const out = empty(x.shape, x.dtype);
    const { outer, n, inner } = aroundDim(x.shape, dim);
    cu.cudaSoftmax(log, code(x.dtype), ptr(c), ptr(out), outer, n, inner);
    return out;
  },

  matmul(a, b, spec: MatmulSpec, outShape) {
    const ta = matrixLayout(a) ? a : contiguous(a);
    const tb = matrixLayout(b) ? b : contiguous(b);
    const out = empty(outShape, a.dtype);
    putMatmul(ta, tb, spec);
    cu.cudaMatmul(code(a.dtype), ptr(ta), ptr(tb), ptr(out), len(ta), len(tb), len(out));
    return out;
  },

  copyInto,

  gather(x, dim, idx) {
    const c = contiguous(x);
    const out = empty(withDim(x.shape, dim, idx.length), x.dtype);
    const { outer, n, inner } = aroundDim(x.shape, dim);
    const i = upload(idx, [idx.length], 'int32');
    cu.cudaGather(code(x.dtype), ptr(c), ptr(i), ptr(out), outer, n, inner, idx.length);
    i.dispose();
    return out;
  },

  scatterAdd(g, dim, idx, size) {
    const c = contiguous(g);
    const out = empty(withDim(g.shape, dim, size), g.dtype, true);
    const { outer, inner } = aroundDim(g.shape, dim);
    const i = upload(idx, [idx.length], 'int32');
    cu.cudaScatterAdd(code(g.dtype), ptr(c), ptr(i), ptr(out), outer, size, inner, idx.length);
    i.dispose();
    return out;
  },

  random(shape, dtype, kind, seed, counter) {
    const out = empty(shape, dtype);
    cu.cudaRandom(code(dtype), ptr(out), out.size, kind === 'uniform' ? 0 : 1, ...seedWords(seed, counter));
    return out;
  },

  sgdStep(p, g, lr) {
    cu.cudaSgdStep(code(p.dtype), ptr(p), ptr(contiguous(g)), p.size, lr);
  },

  adamStep(p, g, m, v, lr, b1, b2, eps, step, decay) {
    cu.cudaAdamStep(code(p.dtype), ptr(p), ptr(contiguous(g)), ptr(m), ptr(v), p.size, lr, b1, b2, eps, step, decay);
  },
};

/** Device memory held by tensors (live) and kept by the caching allocator for reuse (cached). */
export function cudaMemory(): { live: number; cached: number } {
  return cu.cudaMemory();
}


