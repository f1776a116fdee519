// The addon's CUDA entry points emulated by its CPU kernels: device memory is a Map from fake
// addresses to byte arrays, and every cuda* call forwards to the CPU twin with the same
// metadata. Used to check, on a machine without a GPU, everything above the kernels: the
// native check script (--mock) and the TypeScript CUDA backend (test/cuda-mock.test.ts).
export function mockDevice(addon) {
  // ptr -> typed array; every cuda* entry forwards to the CPU kernel with the same metadata
  const mem = new Map();
  let next = 4096;
  const get = (p, code) => {
    const b = mem.get(p);
    if (!b) throw new RangeError(`mock: unknown pointer ${p}`);
    const T = [Float32Array, Float64Array, Int32Array][code];
    return new T(b.buffer, 0, Math.floor(b.byteLength / T.BYTES_PER_ELEMENT));
  };
  return {
    cudaAlloc: (bytes) => {
      const p = next;
      next += Math.max(bytes, 1) + 256;
      mem.set(p, new Uint8Array(Math.max(bytes, 1)));
      return p;
    },
    cudaFree: (p) => mem.delete(p),
    cudaUpload: (p, a) => mem.get(p).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)),
    cudaDownload: (p, a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(mem.get(p).subarray(0, a.byteLength)),
    cudaSync: () => {},
    cudaMemory: () => ({ live: 0, cached: 0 }),
    cudaGemmInfo: () => ({ backend: 'own', cublas: 'mock', tf32: false }),
    cudaGemmBackend: () => {},
    cudaSetTf32: () => {},
    cudaBinary: (op, dt, a, b, out, al, bl, ol) => addon.binary(op, get(a, dt).subarray(0, al), get(b, dt).subarray(0, bl), get(out, dt).subarray(0, ol)),
    cudaWhere: (dt, c, a, b, out, cl, al, bl, ol) =>
      addon.where(get(c, dt).subarray(0, cl), get(a, dt).subarray(0, al), get(b, dt).subarray(0, bl), get(out, dt).subarray(0, ol)),
    cudaUnary: (op, dt, x, out, xl, ol) => addon.unary(op, get(x, dt).subarray(0, xl), get(out, dt).subarray(0, ol)),
    cudaUnaryGrad: (op, dt, x, y, g, out, n) =>
      addon.unaryGrad(op, get(x, dt).subarray(0, n), get(y, dt).subarray(0, n), get(g, dt).subarray(0, n), get(out, dt).subarray(0, n)),
    cudaReduce: (op, dt, x, out, xl, ol, scale) => addon.reduce(op, get(x, dt).subarray(0, xl), get(out, dt).subarray(0, ol), scale),
    cudaArgmax: (dt, x, out, xl, ol, dim) => addon.argmax(get(x, dt).subarray(0, xl), get(out, 2).subarray(0, ol), dim),
    cudaSoftmax: (log, dt, x, out, o, n, i) => addon.softmax(log, get(x, dt).subarray(0, o * n * i), get(out, dt).subarray(0, o * n * i), o, n, i),
    cudaMatmul: (dt, a, b, out, al, bl, ol) => addon.matmul(get(a, dt).subarray(0, al), get(b, dt).subarray(0, bl), get(out, dt).subarray(0, ol)),
    cudaCopy: (ddt, sdt, src, dst, sl, dl) => addon.copy(get(src, sdt).subarray(0, sl), get(dst, ddt).subarray(0, dl)),
    cudaGather: (dt, x, idx, out, o, n, i, k) =>
      addon.gather(get(x, dt).subarray(0, o * n * i), get(idx, 2).subarray(0, k), get(out, dt).subarray(0, o * k * i), o, n, i, k),
    cudaScatterAdd: (dt, g, idx, out, o, n, i, k) =>
      addon.scatterAdd(get(g, dt).subarray(0, o * k * i), get(idx, 2).subarray(0, k), get(out, dt).subarray(0, o * n * i), o, n, i, k),
    cudaRandom: (dt, out, n, kind, s0, s1, c0, c1) => addon.random(get(out, dt).subarray(0, n), kind, s0, s1, c0, c1),
    cudaSgdStep: (dt, p, g, n, lr) => addon.sgdStep(get(p, dt).subarray(0, n), get(g, dt).subarray(0, n), lr),
    cudaAdamStep: (dt, p, g, m, v, n, ...rest) =>
      addon.adamStep(get(p, dt).subarray(0, n), get(g, dt).subarray(0, n), get(m, dt).subarray(0, n), get(v, dt).subarray(0, n), ...rest),
  };
}
