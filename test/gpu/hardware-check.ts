// The prepared GPU check (bundled by test/gpu/prepare.sh into .device/gpu-check.mjs
// and run with plain node on the GPU machine). It:
//   1. runs every op case on the GPU and compares with the CPU (float32 tolerances);
//   2. gradchecks differentiable cases on the GPU in float64;
//   3. trains the MNIST MLP on the GPU and compares held-out accuracy with the CPU;
//   4. checks GPU memory is flat over 5,000 training steps;
//   5. times GEMM (own kernel, cuBLAS, TF32), a large add, and the MLP step, and runs the same
//      work in PyTorch (python3) in the same process tree, printing one table.
// Writes everything as JSON to $OUT/gpu-check.json (or the path in argv[2]).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Adam, Chain, DataLoader, Dense, Descent, type Tensor, backends, gpu, gradcheck, logitCrossEntropy, memory, oneCold, rand, randn,
  relu, setCudaGemm, setup, tensor, tidy, train, update, withGradient, dispose,
} from '../../ts/index.js';
import { CASES, makeInputs } from '../ops/cases.js';
import { compareOnDevice, onDevice } from '../ops/on-device.js';

const outFile = process.argv[2] ?? path.join(process.env.OUT ?? '.', 'gpu-check.json');
const report: Record<string, unknown> = { date: new Date().toISOString(), backends: backends() };
const log = (...a: unknown[]) => console.log(...a);
log('backends:', JSON.stringify(report.backends));
if (!backends().cuda.available) {
  log(`no usable GPU: ${backends().cuda.reason}`);
  writeFileSync(outFile, JSON.stringify(report, null, 1));
  process.exit(2);
}

// ---- 1. op cases: GPU against CPU --------------------------------------------------------
function opCases() {
  const r = compareOnDevice('cuda');
  log(`op cases on the GPU: ${r.pass} agree with the CPU, ${r.failures.length} differ`);
  for (const f of r.failures.slice(0, 40)) log(`  ✘ ${f}`);
  return { pass: r.pass, fail: r.failures.length, failures: r.failures };
}

// ---- 2. gradient checks on the GPU ---------------------------------------------------------
function gradChecks() {
  let pass = 0;
  const failures: string[] = [];
  for (const c of CASES) {
    if (c.differentiable === false) continue;
    if (!(c.dtypes ?? ['float32', 'float64']).includes('float64')) continue;
    try {
      const { tensors } = makeInputs(c, 'float64');
      const gpu = tensors.map((t) => onDevice(t, 'cuda'));
      const wrt = gpu.map((t, i) => (c.inputs[i].grad === false ? null : t));
      const idx = wrt.flatMap((t, i) => (t === null ? [] : [i]));
      const f = (...xs: Tensor[]) => {
        const args = gpu.slice();
        idx.forEach((k, j) => {
          args[k] = xs[j];
        });
        const out = c.fn(...args);
        return Array.isArray(out) ? out.reduce((s, t) => s.add(t.sum()), out[0].sum().mul(0)) : out;
      };
      gradcheck(f, idx.map((k) => gpu[k]), c.gradcheck);
      pass++;
    } catch (err) {
      failures.push(`${c.name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  log(`gradient checks on the GPU (float64): ${pass} pass, ${failures.length} fail`);
  for (const f of failures.slice(0, 20)) log(`  ✘ ${f}`);
  return { pass, fail: failures.length, failures };
}

// ---- 3. MNIST on the GPU --------------------------------------------------------------------
function mnist() {
  const file = path.join(path.dirname(process.argv[1]), 'mnist.bin');
  if (!existsSync(file)) return { skipped: `no ${file}` };
  const raw = readFileSync(file); // 10,000 × (1 label byte + 784 pixel bytes)
  const n = raw.length / 785;
  const xs = new Float32Array(n * 784);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ys[i] = raw[i * 785];
    for (let p = 0; p < 784; p++) xs[i * 784 + p] = raw[i * 785 + 1 + p] / 255;
  }
  const X = tensor(xs, { shape: [n, 784] });
  const Y = tensor(ys, { shape: [n] });
  const result: Record<string, number> = {};
  for (const device of ['cpu', 'cuda'] as const) {
    const model = Chain(Dense(784, 512, relu), Dense(512, 512, relu), Dense(512, 10));
    const m = device === 'cuda' ? gpu(model) : model;
    const opt = setup(new Adam(1e-3), m);
    const xtr = X.slice(0, 0, 8000).to(device);
    const ytr = Y.slice(0, 0, 8000).to(device);
    const t0 = performance.now();
    train((mm: typeof m, x: Tensor, y: Tensor) => logitCrossEntropy(mm(x), y), m, new DataLoader([xtr, ytr], { batchSize: 128, shuffle: true, seed: 1 }), opt, {
      epochs: 8,
      progress: false,
    });
    const acc = oneCold(m(X.slice(0, 8000).to(device))).eq(Y.slice(0, 8000).to(device)).mean().item();
    result[`${device}_accuracy`] = acc;
    result[`${device}_seconds`] = (performance.now() - t0) / 1000;
    log(`MNIST MLP on ${device}: held-out accuracy ${(100 * acc).toFixed(2)}% in ${result[`${device}_seconds`].toFixed(1)} s`);
  }
  return result;
}

// ---- 4. memory flat over 5,000 steps ---------------------------------------------------------
function memoryFlat() {
  const model = gpu(Chain(Dense(64, 128, relu), Dense(128, 10)));
  const opt = setup(new Descent(0.01), model);
  const x = randn(32, 64).to('cuda');
  const y = tensor(Array.from({ length: 32 }, (_, i) => i % 10), { dtype: 'int32' }).to('cuda');
  const step = () =>
    tidy(() => {
      const { grad } = withGradient((m: typeof model) => logitCrossEntropy(m(x), y), model);
      update(opt, model, grad[0]);
      dispose(grad);
      return 0;
    });
  for (let i = 0; i < 500; i++) step();
  const at500 = memory().cuda;
  for (let i = 0; i < 4500; i++) step();
  const at5000 = memory().cuda;
  log(`GPU memory after 500 steps ${JSON.stringify(at500)}, after 5,000 ${JSON.stringify(at5000)}`);
  return { at500, at5000, flat: at500 !== null && at5000 !== null && at5000.live <= at500.live };
}

// ---- 5. timings, with PyTorch in the same run -------------------------------------------------
function time(fn: () => void, reps: number): number {
  fn(); // warm-up
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

function timings() {
  const sync = () => rand(1).to('cuda').item(); // a download waits for the stream
  const rows: Record<string, number> = {};
  const a = randn(4096, 4096).to('cuda');
  const b = randn(4096, 4096).to('cuda');
  for (const [name, opts] of [
    ['gemm4096_fp32_cublas', { backend: 'cublas', tf32: false }],
    ['gemm4096_tf32_cublas', { backend: 'cublas', tf32: true }],
    ['gemm4096_fp32_own', { backend: 'own', tf32: false }],
    ['gemm4096_tf32_own', { backend: 'own', tf32: true }],
  ] as const) {
    try {
      setCudaGemm(opts);
      const ms = time(() => {
        tidy(() => a.matmul(b));
        sync();
      }, 5);
      rows[name] = (2 * 4096 ** 3) / (ms / 1000) / 1e12; // TFLOP/s
    } catch (e) {
      log(`${name}: ${(e as Error).message}`);
    }
  }
  setCudaGemm({ backend: 'auto', tf32: false });
  const big = randn(64 * 2 ** 20).to('cuda');
  const ms = time(() => {
    tidy(() => big.add(big));
    sync();
  }, 10);
  rows.add64M_GBps = (3 * 4 * 64 * 2 ** 20) / (ms / 1000) / 1e9;
  const model = gpu(Chain(Dense(784, 512, relu), Dense(512, 512, relu), Dense(512, 10)));
  const opt = setup(new Descent(0.01), model);
  for (const batch of [128, 1024]) {
    const x = randn(batch, 784).to('cuda');
    const y = tensor(Array.from({ length: batch }, (_, i) => i % 10), { dtype: 'int32' }).to('cuda');
    rows[`mlp_step_b${batch}_ms`] = time(() => {
      tidy(() => {
        const { grad } = withGradient((m: typeof model) => logitCrossEntropy(m(x), y), model);
        update(opt, model, grad[0]);
        dispose(grad);
        return 0;
      });
      sync();
    }, 20);
  }
  log('fluxion timings:', JSON.stringify(rows));
  const py = spawnSync('python3', [path.join(path.dirname(process.argv[1]), 'torch_gpu.py')], { encoding: 'utf8', timeout: 300_000 });
  let torch: Record<string, number> | { error: string };
  try {
    torch = JSON.parse(py.stdout);
  } catch {
    torch = { error: (py.stderr || py.error?.message || 'no output').slice(-500) };
  }
  log('pytorch timings:', JSON.stringify(torch));
  return { fluxion: rows, torch };
}

const steps: [string, () => unknown][] = [
  ['opCases', opCases],
  ['gradChecks', gradChecks],
  ['mnist', mnist],
  ['memory', memoryFlat],
  ['timings', timings],
];
for (const [name, fn] of steps) {
  const t0 = performance.now();
  try {
    report[name] = fn();
  } catch (e) {
    report[name] = { error: (e as Error).stack };
    log(`${name} failed: ${(e as Error).stack}`);
  }
  log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  writeFileSync(outFile, JSON.stringify(report, null, 1));
}
log(`wrote ${outFile}`);
