#!/usr/bin/env node
// Checks the addon's CUDA entry points against its CPU kernels, below TypeScript: every cuda*
// kernel runs on the same inputs and the same metadata as its CPU twin (strided and broadcast
// views, every op, every dtype, edge sizes) and the outputs are compared. Plain Node, no
// dependencies, so it runs on the GPU machine with the carried node binary:
//
//   node scripts/cuda-native-check.mjs [path/to/fluxion.node] [--mock] [--json out.json]
//
// Without a device it prints why and exits 2. --mock runs the whole harness with the CUDA entry
// points emulated by the CPU kernels (checks the harness itself on a machine without a GPU).
// Exit code: 0 all agree, 1 some differ.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockDevice } from './cuda-mock.mjs';

const args = process.argv.slice(2);
const mock = args.includes('--mock');
const jsonAt = args.indexOf('--json');
const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : null;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = args.find((a) => a.endsWith('.node')) ?? process.env.FLUXION_NATIVE ?? path.join(root, 'build', 'Release', 'fluxion.node');
const addon = createRequire(import.meta.url)(file);
const meta = new Float64Array(1024);
addon.init(meta);
const K = addon.kernels();
console.log(`addon: ${file}\ncudaInfo: ${addon.cudaInfo()}`);

// ---------------------------------------------------------------- the device under test

const ARR = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
const CODE = { float32: 0, float64: 1, int32: 2 };
const DTYPES = ['float32', 'float64', 'int32'];

const cu = mock ? mockDevice(addon) : addon;
if (!mock && !(typeof addon.cudaDeviceCount === 'function' && addon.cudaDeviceCount() > 0)) {
  console.log(`no CUDA device: ${addon.cudaInfo()}`);
  process.exit(2);
}
console.log('gemm:', JSON.stringify(cu.cudaGemmInfo()));

// ---------------------------------------------------------------- data and views

let seed = 12345;
function rnd() {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
}
function fillRandom(a, dtype, special = false) {
  for (let i = 0; i < a.length; i++) {
    if (dtype === 'int32') a[i] = Math.floor(rnd() * 11) - 5;
    else a[i] = (rnd() * 2 - 1) * 3;
    if (special && dtype !== 'int32' && rnd() < 0.05) a[i] = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][Math.floor(rnd() * 5)];
  }
  return a;
}
const numel = (s) => s.reduce((a, b) => a * b, 1);

/** A strided view over a fresh storage: permuted dims, padding, an offset. */
function makeView(shape, dtype, { permute = false, pad = false, special = false } = {}) {
  const nd = shape.length;
  const order = [...Array(nd).keys()];
  if (permute) for (let i = nd - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  const strides = new Array(nd).fill(0);
  let s = 1;
  for (let k = nd - 1; k >= 0; k--) {
    const d = order[k];
    strides[d] = s;
    s *= shape[d] + (pad && rnd() < 0.5 ? 1 : 0);
  }
  const offset = pad ? 3 : 0;
  const len = numel(shape) === 0 ? offset : offset + s;
  const data = fillRandom(new ARR[dtype](Math.max(len, 1)), dtype, special);
  return { shape, strides, offset, dtype, data };
}
function contiguous(shape, dtype) {
  return makeView(shape, dtype);
}
function putShape(p, shape) {
  meta[p++] = shape.length;
  for (const d of shape) meta[p++] = d;
  return p;
}
/** offset and strides of v broadcast to shape (size-1 and missing dims get stride 0). */
function putView(p, v, shape) {
  const lead = shape.length - v.shape.length;
  meta[p++] = v.offset;
  for (let i = 0; i < shape.length; i++) {
    const j = i - lead;
    meta[p++] = j < 0 || v.shape[j] === 1 ? 0 : v.strides[j];
  }
  return p;
}

// device copies of host arrays
const live = [];
function up(a) {
  const p = cu.cudaAlloc(Math.max(a.byteLength, 1));
  if (a.length > 0) cu.cudaUpload(p, a);
  live.push(p);
  return p;
}
function down(p, like) {
  const out = new like.constructor(like.length);
  if (out.length > 0) cu.cudaDownload(p, out);
  return out;
}
function freeAll() {
  for (const p of live.splice(0)) cu.cudaFree(p);
}

// ---------------------------------------------------------------- comparison

const results = { pass: 0, fail: 0, failures: [] };
function ulpClose(x, y, dtype, rtol, atol) {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  if (dtype === 'int32') return x === y;
  return Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y));
}
function compare(name, cpu, gpu, dtype, { rtol, atol } = {}) {
  const r = rtol ?? (dtype === 'float32' ? 2e-6 : dtype === 'float64' ? 1e-13 : 0);
  const a = atol ?? (dtype === 'float32' ? 1e-6 : dtype === 'float64' ? 1e-14 : 0);
  for (let i = 0; i < cpu.length; i++) {
    if (!ulpClose(cpu[i], gpu[i], dtype, r, a)) {
      results.fail++;
      results.failures.push(`${name}: element ${i} cpu=${cpu[i]} gpu=${gpu[i]} (of ${cpu.length})`);
      return false;
    }
  }
  results.pass++;
  return true;
}
function guard(name, f) {
  try {
    f();
  } catch (e) {
    results.fail++;
    results.failures.push(`${name}: threw ${e.constructor.name}: ${e.message}`);
  } finally {
    freeAll();
  }
}

const SHAPES = [
  [[], []],
  [[7], [7]],
  [[1000], [1]],
  [[3, 4], [4]],
  [[3, 1, 5], [1, 4, 5]],
  [[2, 3, 4, 5], [3, 1, 5]],
  [[0, 3], [3]],
  [[513, 257], [513, 1]],
];
const broadcastShape = (a, b) => {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
};

// ---------------------------------------------------------------- elementwise

function checkBinary() {
  K.binary.forEach((opName, op) => {
    for (const dtype of DTYPES)
      for (const [sa, sb] of SHAPES)
        for (const opts of [{}, { permute: true, pad: true, special: true }]) {
          const name = `binary ${opName} ${dtype} ${JSON.stringify(sa)}x${JSON.stringify(sb)}${opts.permute ? ' views' : ''}`;
          guard(name, () => {
            const shape = broadcastShape(sa, sb);
            const a = makeView(sa, dtype, opts), b = makeView(sb, dtype, opts);
            if (opName === 'pow' && dtype === 'int32') for (let i = 0; i < b.data.length; i++) b.data[i] = Math.abs(b.data[i]) % 4;
            const out = contiguous(shape, dtype);
            let p = putShape(0, shape);
            p = putView(p, out, shape);
            p = putView(p, a, shape);
            putView(p, b, shape);
            const cpuOut = out.data.slice();
            addon.binary(op, a.data, b.data, cpuOut);
            const pa = up(a.data), pb = up(b.data), po = up(out.data);
            cu.cudaBinary(op, CODE[dtype], pa, pb, po, a.data.length, b.data.length, out.data.length);
            compare(name, cpuOut, down(po, cpuOut), dtype, { rtol: opName === 'pow' && dtype === 'float32' ? 4e-6 : undefined });
          });
        }
  });
}

function checkWhere() {
  for (const dtype of DTYPES)
    for (const [sa, sb] of SHAPES) {
      const name = `where ${dtype} ${JSON.stringify(sa)}x${JSON.stringify(sb)}`;
      guard(name, () => {
        const shape = broadcastShape(sa, sb);
        const c = makeView(sb, dtype, { permute: true });
        for (let i = 0; i < c.data.length; i++) c.data[i] = rnd() < 0.5 ? 1 : 0;
        const a = makeView(sa, dtype, { pad: true }), b = makeView([], dtype);
        const out = contiguous(shape, dtype);
        let p = putShape(0, shape);
        for (const v of [out, c, a, b]) p = putView(p, v, shape);
        const cpuOut = out.data.slice();
        addon.where(c.data, a.data, b.data, cpuOut);
        const pc = up(c.data), pa = up(a.data), pb = up(b.data), po = up(out.data);
        cu.cudaWhere(CODE[dtype], pc, pa, pb, po, c.data.length, a.data.length, b.data.length, out.data.length);
        compare(name, cpuOut, down(po, cpuOut), dtype);
      });
    }
}

function checkUnary() {
  K.unary.forEach((opName, op) => {
    for (const dtype of DTYPES)
      for (const [shape] of SHAPES)
        for (const opts of [{}, { permute: true, pad: true, special: true }]) {
          // int32 reaches only neg/abs/sign/relu from TypeScript (the others promote to float first);
          // elsewhere int32 results of NaN or inf are unspecified conversions
          if (dtype === 'int32' && !['neg', 'abs', 'sign', 'relu'].includes(opName)) continue;
          const name = `unary ${opName} ${dtype} ${JSON.stringify(shape)}${opts.permute ? ' views' : ''}`;
          guard(name, () => {
            const x = makeView(shape, dtype, opts);
            const out = makeView(shape, dtype, opts.permute ? { permute: true } : {});  // a strided out too
            let p = putShape(0, shape);
            p = putView(p, out, shape);
            putView(p, x, shape);
            const cpuOut = out.data.slice();
            addon.unary(op, x.data, cpuOut);
            const px = up(x.data), po = up(out.data);
            cu.cudaUnary(op, CODE[dtype], px, po, x.data.length, out.data.length);
            // device libm differs from glibc by a few ulps in the transcendental functions
            compare(name, cpuOut, down(po, cpuOut), dtype, { rtol: dtype === 'float32' ? 8e-7 * 8 : 1e-15 * 8 });
          });
        }
  });
  K.unaryGrad.forEach((opName, op) => {
    for (const dtype of ['float32', 'float64']) {
      const name = `unaryGrad ${opName} ${dtype}`;
      guard(name, () => {
        const n = 3001;
        const x = fillRandom(new ARR[dtype](n), dtype), y = fillRandom(new ARR[dtype](n), dtype), g = fillRandom(new ARR[dtype](n), dtype);
        const cpuOut = new ARR[dtype](n);
        addon.unaryGrad(op, x, y, g, cpuOut);
        const po = up(cpuOut);
        cu.cudaUnaryGrad(op, CODE[dtype], up(x), up(y), up(g), po, n);
        compare(name, cpuOut, down(po, cpuOut), dtype, { rtol: dtype === 'float32' ? 1e-5 : 1e-13 });
      });
    }
  });
}

// ---------------------------------------------------------------- reductions

function checkReduce() {
  const shapes = [[5], [3, 4], [2, 3, 4], [4, 1, 6, 5], [70000], [3, 50000], [50000, 3], [1024, 512], [0, 4], [4, 0]];
  K.reduce.forEach((opName, op) => {
    for (const dtype of DTYPES)
      for (const shape of shapes) {
        const nd = shape.length;
        const masks = [];
        for (let m = 0; m < 1 << nd; m++) masks.push([...Array(nd).keys()].map((d) => ((m >> d) & 1) === 1));
        for (const mask of masks)
          for (const opts of numel(shape) > 5000 ? [{}] : [{}, { permute: true, pad: true }]) {
            const nred = numel(shape.filter((_, d) => mask[d]));
            if (nred === 0 && opName !== 'sum') continue;
            const name = `reduce ${opName} ${dtype} ${JSON.stringify(shape)} mask=${mask.map(Number).join('')}${opts.permute ? ' views' : ''}`;
            guard(name, () => {
              const x = makeView(shape, dtype, opts);
              const kept = shape.filter((_, d) => !mask[d]);
              const scale = opName === 'sum' && dtype !== 'int32' ? 0.5 : 1;
              let p = putShape(0, shape);
              p = putView(p, x, shape);
              for (const m of mask) meta[p++] = m ? 1 : 0;
              const cpuOut = new ARR[dtype](numel(kept));
              addon.reduce(op, x.data, cpuOut, scale);
              const po = up(cpuOut);
              cu.cudaReduce(op, CODE[dtype], up(x.data), po, x.data.length, cpuOut.length, scale);
              // sums run in double on both devices, in a different order
              compare(name, cpuOut, down(po, cpuOut), dtype, { rtol: dtype === 'float32' ? 1e-6 : 1e-12, atol: dtype === 'float64' ? 1e-10 : 1e-5 });
            });
          }
      }
  });
}

function checkArgmax() {
  const cases = [[[7], 0], [[3, 5], 1], [[3, 5], 0], [[2, 3, 4], 1], [[4, 3000], 1], [[3000, 4], 0], [[2, 100000], 1], [[1, 1], 0]];
  for (const dtype of DTYPES)
    for (const [shape, dim] of cases)
      for (const special of [false, true]) {
        const name = `argmax ${dtype} ${JSON.stringify(shape)} dim=${dim}${special ? ' nan/ties' : ''}`;
        guard(name, () => {
          const x = makeView(shape, dtype, { permute: true, pad: true, special });
          if (special) for (let i = 0; i < x.data.length; i++) if (rnd() < 0.3) x.data[i] = 2;  // ties
          putView(putShape(0, shape), x, shape);
          const outShape = shape.filter((_, d) => d !== dim);
          const cpuOut = new Int32Array(numel(outShape));
          addon.argmax(x.data, cpuOut, dim);
          const po = up(cpuOut);
          cu.cudaArgmax(CODE[dtype], up(x.data), po, x.data.length, cpuOut.length, dim);
          compare(name, cpuOut, down(po, cpuOut), 'int32');
        });
      }
}

function checkSoftmax() {
  const cases = [[1, 10, 1], [128, 10, 1], [3, 5000, 1], [4, 7, 3], [2, 300, 129], [1000, 1, 1], [0, 5, 1]];
  for (const dtype of ['float32', 'float64'])
    for (const [outer, n, inner] of cases)
      for (const log of [false, true])
        for (const special of [false, true]) {
          const name = `${log ? 'logsoftmax' : 'softmax'} ${dtype} [${outer},${n},${inner}]${special ? ' inf/nan' : ''}`;
          guard(name, () => {
            const x = fillRandom(new ARR[dtype](outer * n * inner), dtype, special);
            if (special && x.length >= n) for (let j = 0; j < n; j++) x[j * inner] = Number.NEGATIVE_INFINITY;  // a row of -inf
            const cpuOut = new ARR[dtype](x.length);
            addon.softmax(log, x, cpuOut, outer, n, inner);
            const po = up(cpuOut);
            cu.cudaSoftmax(log, CODE[dtype], up(x), po, outer, n, inner);
            compare(name, cpuOut, down(po, cpuOut), dtype, { rtol: dtype === 'float32' ? 1e-5 : 1e-13, atol: dtype === 'float32' ? 1e-6 : 1e-14 });
          });
        }
}

// ---------------------------------------------------------------- matmul

/** An operand of batch shape `bs` holding rows x cols matrices, plain or transposed with padding. */
function matOperand(bs, rows, cols, dtype, trans, padLd) {
  const ld = Math.max(1, (trans ? rows : cols) + padLd);
  const mat = Math.max(1, (trans ? cols : rows) * ld);
  const bstr = [];
  let s = mat;
  for (let d = bs.length - 1; d >= 0; d--) {
    bstr[d] = bs[d] === 1 ? 0 : s;
    s *= bs[d];
  }
  const offset = 2;
  const data = fillRandom(new ARR[dtype](offset + s), dtype);
  return { data, offset, bstr, trans, ld };
}

function matmulCase(dtype, batch, aBatch, bBatch, M, N, Kd, ta, tb, pad, label, tf32) {
  const name = `matmul ${label} ${dtype} batch=${JSON.stringify(batch)} a${JSON.stringify(aBatch)} b${JSON.stringify(bBatch)} ${M}x${Kd}x${N} ta=${+ta} tb=${+tb}${pad ? ' padded' : ''}`;
  guard(name, () => {
    const a = matOperand(aBatch, M, Kd, dtype, ta, pad);
    const b = matOperand(bBatch, Kd, N, dtype, tb, pad);
    const nb = batch.length;
    let p = putShape(0, batch);
    for (const [t, tbs] of [[a, aBatch], [b, bBatch]]) {
      const lead = nb - tbs.length;
      meta[p++] = t.offset;
      for (let i = 0; i < nb; i++) {
        const j = i - lead;
        meta[p++] = j < 0 || tbs[j] === 1 ? 0 : t.bstr[j];
      }
    }
    for (const v of [M, N, Kd, ta ? 1 : 0, a.ld, tb ? 1 : 0, b.ld]) meta[p++] = v;
    const cpuOut = new ARR[dtype](numel(batch) * M * N);
    addon.matmul(a.data, b.data, cpuOut);
    const po = up(new ARR[dtype](cpuOut.length).fill(Number.NaN));  // every element must be written
    cu.cudaMatmul(CODE[dtype], up(a.data), up(b.data), po, a.data.length, b.data.length, cpuOut.length);
    // entries are sums of Kd products of numbers up to 3 in size (|entry| ~ 3 sqrt(Kd)); a wrong
    // index is off by O(1) or more, rounding by far less: float32 sums in another order, TF32
    // rounds each input to 11 bits (random-sign errors grow like sqrt(Kd))
    const k = Math.max(1, Kd);
    const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 * 9 * k }
      : tf32 ? { rtol: 0, atol: 3e-3 * 9 * Math.sqrt(k) } : { rtol: 1e-5, atol: 1e-5 * 9 * k };
    compare(name, cpuOut, down(po, cpuOut), dtype, tol);
  });
}

function checkMatmul() {
  const info = cu.cudaGemmInfo();
  const backends = [['own', false]];
  if (!mock && /version/.test(info.cublas) && !/not usable/.test(info.cublas)) backends.push(['cublas', false], ['cublas', true]);
  backends.push(['own', true]);
  const sizes = [[1, 1, 1], [5, 7, 3], [33, 65, 17], [128, 128, 64], [130, 257, 300], [1, 512, 784], [128, 10, 512], [7, 3, 0], [0, 4, 5]];
  for (const [backend, tf32] of backends) {
    cu.cudaGemmBackend(backend);
    cu.cudaSetTf32(tf32);
    const label = `${backend}${tf32 ? '+tf32' : ''}`;
    for (const dtype of ['float32', 'float64']) {
      if (tf32 && dtype === 'float64') continue;
      for (const [M, N, Kd] of sizes)
        for (const ta of [false, true]) for (const tb of [false, true]) matmulCase(dtype, [], [], [], M, N, Kd, ta, tb, 0, label, tf32);
      matmulCase(dtype, [], [], [], 70, 50, 40, true, false, 3, label, tf32);
      matmulCase(dtype, [3], [3], [1], 20, 30, 40, false, true, 1, label, tf32);
      matmulCase(dtype, [3], [1], [3], 20, 30, 40, true, true, 0, label, tf32);
      matmulCase(dtype, [2, 3], [2, 1], [3], 9, 11, 13, false, false, 2, label, tf32);
      matmulCase(dtype, [4, 5], [4, 5], [4, 5], 64, 64, 64, false, false, 0, label, tf32);
      matmulCase(dtype, [70000], [70000], [1], 2, 3, 4, false, false, 0, label, tf32);  // more batches than a grid dim holds
    }
  }
  cu.cudaGemmBackend('auto');
  cu.cudaSetTf32(false);
}

// ---------------------------------------------------------------- movement, random, optimisers

function checkCopy() {
  for (const ddt of DTYPES)
    for (const sdt of DTYPES)
      for (const [shape, srcShape] of [[[7], [7]], [[3, 4, 5], [3, 4, 5]], [[3, 4, 5], [4, 1]], [[600, 700], [600, 700]], [[0, 2], [2]]]) {
        const name = `copy ${sdt}->${ddt} ${JSON.stringify(srcShape)}->${JSON.stringify(shape)}`;
        guard(name, () => {
          const src = makeView(srcShape, sdt, { permute: true, pad: true });
          if (ddt === 'int32') for (let i = 0; i < src.data.length; i++) src.data[i] = Math.round(src.data[i] * 10) / 10;
          const dst = makeView(shape, ddt, { permute: true });
          let p = putShape(0, shape);
          p = putView(p, dst, shape);
          putView(p, src, shape);
          const cpuOut = dst.data.slice();
          addon.copy(src.data, cpuOut);
          const pd = up(dst.data);
          cu.cudaCopy(CODE[ddt], CODE[sdt], up(src.data), pd, src.data.length, dst.data.length);
          compare(name, cpuOut, down(pd, cpuOut), ddt);
        });
        // plain contiguous same-dtype copy (the memcpy path)
      }
  guard('copy contiguous memcpy path', () => {
    const src = makeView([1000], 'float32'), dst = makeView([1000], 'float32');
    putView(putView(putShape(0, [1000]), dst, [1000]), src, [1000]);
    const cpuOut = dst.data.slice();
    addon.copy(src.data, cpuOut);
    const pd = up(dst.data);
    cu.cudaCopy(0, 0, up(src.data), pd, 1000, 1000);
    compare('copy contiguous memcpy path', cpuOut, down(pd, cpuOut), 'float32');
  });
}

function checkIndex() {
  for (const dtype of DTYPES)
    for (const [outer, n, inner, k] of [[1, 10, 1, 4], [3, 7, 5, 9], [2, 1000, 64, 300], [4, 5, 0, 3], [0, 5, 3, 2]]) {
      const idx = new Int32Array(k);
      for (let i = 0; i < k; i++) idx[i] = Math.floor(rnd() * n);
      guard(`gather ${dtype} [${outer},${n},${inner}] k=${k}`, () => {
        const x = fillRandom(new ARR[dtype](outer * n * inner), dtype);
        const cpuOut = new ARR[dtype](outer * k * inner);
        addon.gather(x, idx, cpuOut, outer, n, inner, k);
        const po = up(cpuOut);
        cu.cudaGather(CODE[dtype], up(x), up(idx), po, outer, n, inner, k);
        compare(`gather ${dtype} [${outer},${n},${inner}] k=${k}`, cpuOut, down(po, cpuOut), dtype);
      });
      guard(`scatterAdd ${dtype} [${outer},${n},${inner}] k=${k}`, () => {
        const g = fillRandom(new ARR[dtype](outer * k * inner), dtype);
        const cpuOut = new ARR[dtype](outer * n * inner);
        addon.scatterAdd(g, idx, cpuOut, outer, n, inner, k);
        const po = up(new ARR[dtype](cpuOut.length));
        cu.cudaScatterAdd(CODE[dtype], up(g), up(idx), po, outer, n, inner, k);
        // atomics add repeated indices in any order
        compare(`scatterAdd ${dtype} [${outer},${n},${inner}] k=${k}`, cpuOut, down(po, cpuOut), dtype, { rtol: dtype === 'float32' ? 1e-6 : 1e-14 });
      });
    }
}

function checkRandom() {
  for (const dtype of ['float32', 'float64'])
    for (const kind of [0, 1])
      for (const [n, s0, s1, c0, c1] of [[1, 0, 0, 0, 0], [100003, 123456789, 987654321, 4294967295, 7]]) {
        const name = `random ${dtype} ${kind ? 'normal' : 'uniform'} n=${n} ctr=${c1}:${c0}`;
        guard(name, () => {
          const cpuOut = new ARR[dtype](n);
          addon.random(cpuOut, kind, s0, s1, c0, c1);
          const po = up(cpuOut);
          cu.cudaRandom(CODE[dtype], po, n, kind, s0, s1, c0, c1);
          // uniform is exact; normal goes through log/cos (device libm within a few ulps)
          compare(name, cpuOut, down(po, cpuOut), dtype, kind === 0 ? { rtol: 0, atol: 0 } : { rtol: dtype === 'float32' ? 2.4e-7 : 1e-14, atol: 1e-15 });
        });
      }
}

function checkOptim() {
  for (const dtype of ['float32', 'float64']) {
    const n = 10007;
    guard(`sgdStep ${dtype}`, () => {
      const p = fillRandom(new ARR[dtype](n), dtype), g = fillRandom(new ARR[dtype](n), dtype);
      const pp = up(p), pg = up(g);
      addon.sgdStep(p, g, 0.01);
      cu.cudaSgdStep(CODE[dtype], pp, pg, n, 0.01);
      compare(`sgdStep ${dtype}`, p, down(pp, p), dtype);
    });
    for (const decay of [0, 0.01]) {
      guard(`adamStep ${dtype} decay=${decay}`, () => {
        const p = fillRandom(new ARR[dtype](n), dtype), g = fillRandom(new ARR[dtype](n), dtype);
        const m = fillRandom(new ARR[dtype](n), dtype).map(Math.abs), v = fillRandom(new ARR[dtype](n), dtype).map(Math.abs);
        const pp = up(p), pg = up(g), pm = up(m), pv = up(v);
        for (let step = 1; step <= 3; step++) {
          addon.adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, step, decay);
          cu.cudaAdamStep(CODE[dtype], pp, pg, pm, pv, n, 1e-3, 0.9, 0.999, 1e-8, step, decay);
        }
        const tol = { rtol: dtype === 'float32' ? 1e-5 : 1e-13 };
        compare(`adamStep ${dtype} decay=${decay} p`, p, down(pp, p), dtype, tol);
        compare(`adamStep ${dtype} decay=${decay} m`, m, down(pm, m), dtype, tol);
        compare(`adamStep ${dtype} decay=${decay} v`, v, down(pv, v), dtype, tol);
      });
    }
  }
}

// ---------------------------------------------------------------- allocator and errors

function checkAllocator() {
  if (mock) return;
  guard('allocator: memory is reused, not grown', () => {
    const before = cu.cudaMemory();
    for (let i = 0; i < 1000; i++) {
      const p = cu.cudaAlloc(4096 + (i % 7) * 1000);
      cu.cudaFree(p);
    }
    const after = cu.cudaMemory();
    if (after.live !== before.live || after.cached - before.cached > 7 * 8192) throw new Error(`live ${before.live}->${after.live}, cached ${before.cached}->${after.cached}`);
    results.pass++;
  });
  const refuse = (name, f, re) =>
    guard(name, () => {
      try {
        f();
      } catch (e) {
        if (re.test(e.message)) {
          results.pass++;
          return;
        }
        throw e;
      }
      throw new Error('did not throw');
    });
  refuse('refuses a pointer outside any allocation', () => {
    const p = up(new Float32Array(4));
    putView(putView(putShape(0, [8]), { offset: 0, strides: [1], shape: [8] }, [8]), { offset: 0, strides: [1], shape: [8] }, [8]);
    cu.cudaUnary(0, 0, p, p, 8, 8);
  }, /not inside a live CUDA allocation/);
  refuse('refuses a double free', () => {
    const p = cu.cudaAlloc(16);
    cu.cudaFree(p);
    cu.cudaFree(p);
  }, /not a live CUDA allocation/);
  guard('the device still works after refused calls', () => {
    const p = up(new Float32Array([1, 2, 3]));
    cu.cudaSync();
    compare('the device still works after refused calls', new Float32Array([1, 2, 3]), down(p, new Float32Array(3)), 'float32');
  });
}

// ---------------------------------------------------------------- run

const t0 = Date.now();
const sections = { checkBinary, checkWhere, checkUnary, checkReduce, checkArgmax, checkSoftmax, checkMatmul, checkCopy, checkIndex, checkRandom, checkOptim, checkAllocator };
for (const [name, f] of Object.entries(sections)) {
  const before = results.fail;
  const s = Date.now();
  f();
  console.log(`${name.replace('check', '').padEnd(10)} ${results.fail - before === 0 ? 'ok' : `${results.fail - before} differ`}  (${Date.now() - s} ms)`);
}
try {
  cu.cudaSync();
} catch (e) {
  results.fail++;
  results.failures.push(`final cudaSync: ${e.message}`);
}
for (const f of results.failures.slice(0, 60)) console.log(`  ✘ ${f}`);
console.log(`${results.pass} agree, ${results.fail} differ (${((Date.now() - t0) / 1000).toFixed(1)} s${mock ? ', mock device' : ''}); memory ${JSON.stringify(cu.cudaMemory())}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ file, info: addon.cudaInfo(), gemm: cu.cudaGemmInfo(), mock, ...results }, null, 1));
process.exit(results.fail === 0 ? 0 : 1);
