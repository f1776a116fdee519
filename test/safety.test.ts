// Mistakes that used to fail silently now fail loudly, with the model left as it was where
// that is possible: gradient trees that do not match the model, a rule where state belongs,
// losses of mismatched shapes, dtype mismatches, NaN in the data, int32 overflow, disposed
// gradients, negative embedding ids, and memory kept for reuse.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  Adam, ArgumentError, CheckpointError, Chain, ClipNorm, DataLoader, Dense, Descent, Embedding, IndexError, NonFiniteError,
  OptimiserChain, RNG, ShapeError, type Tensor, collect, emptyCache, logitCrossEntropy, mae, memory, mse, relu, saveState, setup,
  tanh, tensor, train, update, where, withGradient, zeros,
} from '../ts/index.js';
import { kernelReport, native } from '../ts/native.js';
import { bundles } from './workers/bundle.js';

function snapshot(model: unknown): number[][] {
  return collect(model).map((t) => Array.from(t.data()));
}

function small() {
  const rng = new RNG(3);
  const model = Chain(Dense(3, 4, tanh, { rng }), Dense(4, 2, undefined, { rng }));
  const x = tensor([[1, 2, 3], [0, -1, 1]]);
  const y = [0, 1];
  return { model, x, y, loss: (m: typeof model) => logitCrossEntropy(m(x), y) };
}

test('update: a gradient tree that does not mirror the model is an error naming the first path, and nothing changes', (t) => {
  const { model, loss } = small();
  const opt = setup(new Adam(0.1), model);
  const before = snapshot(model);
  const { grad } = withGradient(loss, model);
  t.throws(() => update(opt, model, grad), { instanceOf: ArgumentError, message: /the gradient has 0, which the model lacks \(withGradient returns one gradient per argument: pass grad\[0\]\)/ });
  t.throws(() => update(opt, model, {}), { instanceOf: ArgumentError, message: /the gradient at the root is empty but the model has layers/ });
  const g = grad[0] as { layers: { weight: Tensor; bias: Tensor }[] };
  t.throws(() => update(opt, model, { layers: [g.layers[0], { weight: g.layers[1].weight, bais: g.layers[1].bias }] }), {
    message: /the gradient has layers\.1\.bais, which the model lacks/,
  });
  t.throws(() => update(opt, model, { layers: [g.layers[0], g.layers[1].weight] }), { message: /the gradient at layers\.1 is a float32 tensor .* but the model has the layer Dense\(4 => 2\) there/ });
  t.deepEqual(snapshot(model), before);
  update(opt, model, grad[0]);
  t.notDeepEqual(snapshot(model), before, 'the right tree steps');
});

test('update and train refuse a rule where the optimiser state belongs, saying to call setup', (t) => {
  const { model, loss, x } = small();
  const { grad } = withGradient(loss, model);
  t.throws(() => update(new Adam() as never, model, grad[0]), { instanceOf: ArgumentError, message: /got the rule Adam\(.*\); call setup first/ });
  const data = new DataLoader([x, tensor([0, 1], { dtype: 'int32' })], { batchSize: 2 });
  t.throws(() => train((m: typeof model, a: Tensor, b: Tensor) => logitCrossEntropy(m(a), b), model, data, new Adam() as never, { progress: false }), {
    message: /call setup first/,
  });
});

test('losses check sizes as Flux does: [6,3] against [3] is an error, [N,1] against [N] is fine', (t) => {
  const p = zeros(6, 3);
  t.throws(() => mse(p, tensor([1, 2, 3])), { instanceOf: ShapeError, message: /mse: prediction \[6, 3\] and target \[3\] differ in dim 0 \(6 vs 3\)/ });
  t.throws(() => mae(p, zeros(6, 1)), { instanceOf: ShapeError, message: /differ in dim 1/ });
  const col = tensor([[1], [2], [4]]);
  const flat = tensor([1, 1, 1]);
  // elementwise: (0 + 1 + 9) / 3, not the 3×3 broadcast
  for (const v of [mse(col, flat), mse(flat, col), mse(col, 1)]) t.true(Math.abs(v.item() - 10 / 3) < 1e-6, `${v.item()}`);
});

test('a float64 input to a float32 layer is converted, with one warning', (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  const layer = Dense(3, 2);
  const y = layer(tensor([[1, 2, 3]], { dtype: 'float64' }));
  layer(tensor([[1, 2, 3]], { dtype: 'float64' }));
  t.is(y.dtype, 'float32');
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      process.off('warning', onWarning);
      t.is(warnings.filter((w) => /float32 parameters but got a float64 input/.test(w)).length, 1);
      resolve();
    }),
  );
});

test('NaN propagates through relu, and a NaN in the data stops train at that step, naming the parameters; the diverged model is not saved', (t) => {
  t.true(Number.isNaN(relu(tensor([Number.NaN])).item()));
  t.deepEqual(Array.from(relu(tensor([-1, 0, 2, Number.NaN, -0])).data()).slice(0, 3), [0, 0, 2]);
  const X = tensor([[1, 2, 3], [0, -1, 1], [1, Number.NaN, 0], [2, 2, 2]]);
  const labels = tensor([0, 1, 0, 1], { dtype: 'int32' });
  // a NaN sample makes the loss NaN, now that relu no longer hides it
  const plain = small();
  t.throws(
    () => train((m: typeof plain.model, a: Tensor, b: Tensor) => logitCrossEntropy(m(a), b), plain.model, new DataLoader([X, labels], { batchSize: 1 }), setup(new Adam(0.01), plain.model), { progress: false }),
    { message: /train: the loss is NaN at epoch 1, step 3/ },
  );
  // a loss that masks the sample out stays finite, but its gradient is NaN (0 · NaN): caught by the step
  const masked = (m: ReturnType<typeof small>['model'], a: Tensor, b: Tensor) => where(a.sum(1, true).gt(-1e30), m(a), 0).sum().add(b.sum().mul(0));
  for (const rule of [new Descent(0.1), new Adam(0.01), new OptimiserChain(new ClipNorm(1), new Adam(0.01))]) {
    const { model } = small();
    const data = new DataLoader([X, labels], { batchSize: 1 });
    const opt = setup(rule, model);
    const err = t.throws(() => train(masked, model, data, opt, { progress: false }), {
      instanceOf: NonFiniteError,
      message: /train: at epoch 1, step 3: the step left \d+ non-finite values? in layers\.0\.weight/,
    }) as NonFiniteError;
    t.true(err.params.some(([p, n]) => p === 'layers.0.weight' && n > 0), `${rule}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxion-nan-'));
    try {
      t.throws(() => saveState(path.join(dir, 'm.safetensors'), model), { instanceOf: CheckpointError, message: /non-finite/ });
      t.notThrows(() => saveState(path.join(dir, 'm.safetensors'), model, undefined, undefined, { allowNonFinite: true }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('the fused optimiser kernels count non-finite results in the same pass', (t) => {
  const p = tensor([1, 2, 3, 4]);
  const count = tensor([0], { dtype: 'int32' });
  native.sgdStep(p._buf as Float32Array, tensor([0, Number.POSITIVE_INFINITY, Number.NaN, 1])._buf as Float32Array, 0.5, count._buf as Int32Array);
  t.is(count.item(), 2);
  t.deepEqual(Array.from(p.data()), [1, Number.NEGATIVE_INFINITY, Number.NaN, 3.5]);
});

test('int32 arithmetic wraps modulo 2^32; sums wrap; casts of NaN, infinities and large numbers saturate', (t) => {
  const max = tensor([2 ** 31 - 1], { dtype: 'int32' });
  const min = tensor([-(2 ** 31)], { dtype: 'int32' });
  t.is(max.add(1).item(), -(2 ** 31));
  t.is(min.sub(1).item(), 2 ** 31 - 1);
  t.is(max.mul(2).item(), -2);
  t.is(min.neg().item(), -(2 ** 31));
  t.is(min.abs().item(), -(2 ** 31));
  t.is(tensor([2 ** 30, 2 ** 30, 2 ** 30], { dtype: 'int32' }).sum().item(), -(2 ** 30));
  t.is(tensor([2 ** 31 - 1, 1], { dtype: 'int32' }).cumsum(0).get(1).item(), -(2 ** 31));
  const cast = tensor([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e10, -1e10, 2.9, -2.9]).cast('int32');
  t.deepEqual(Array.from(cast.data()), [0, 2 ** 31 - 1, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31), 2, -2]);
});

test('update refuses a disposed gradient, or a view of one', (t) => {
  const { model, loss } = small();
  const opt = setup(new Descent(0.1), model);
  const { grad } = withGradient(loss, model);
  const g = grad[0] as { layers: { weight: Tensor; bias: Tensor }[] };
  const before = snapshot(model);
  const w = g.layers[0].weight.clone();
  const view = w.reshape([-1]).reshape(w.shape);
  w.dispose();
  t.throws(() => update(opt, model, { layers: [{ weight: view, bias: g.layers[0].bias }, g.layers[1]] }), { message: /update \(the gradient at layers\.0\.weight\): the tensor .* was disposed/ });
  t.deepEqual(snapshot(model), before, 'the failing tree was refused before the first step');
});

test('Embedding refuses negative ids, as a number, an array or a tensor', (t) => {
  const e = Embedding(5, 2);
  t.throws(() => e(-1), { instanceOf: IndexError, message: /Embedding\(5 => 2\): index -1 at position 0 is outside \[0, 5\)/ });
  t.throws(() => e([0, -1]), { instanceOf: IndexError, message: /index -1 at position 1/ });
  t.throws(() => e(tensor([1, -1], { dtype: 'int32' })), { instanceOf: IndexError });
  t.deepEqual(e(4).shape, [2]);
});

test('the CPU reuse pool is bounded and emptyCache() releases it', (t) => {
  emptyCache();
  for (let i = 0; i < 4; i++) zeros(25 * 2 ** 20).dispose(); // 100 MB each: too large to keep
  t.is(memory().cpu.pooledBytes, 0);
  const ts = Array.from({ length: 8 }, () => zeros(2 ** 20)); // 4 MB each
  for (const x of ts) x.dispose();
  t.true(memory().cpu.pooledBytes >= 8 * 4 * 2 ** 20);
  t.true(memory().cpu.pooledBytes <= memory().cpu.poolLimit);
  // the default bound: a sixteenth of the machine's memory, between 256 MB and 2 GB
  t.is(memory().cpu.poolLimit, Math.min(2 * 2 ** 30, Math.max(256 * 2 ** 20, Math.floor(os.totalmem() / 16))));
  emptyCache();
  t.is(memory().cpu.pooledBytes, 0);
});

test('FLUXION_POOL_MB bounds the reuse pool; a bad value is an error naming it', (t) => {
  const run = (mb: string) =>
    spawnSync(
      process.execPath,
      ['--import=tsx', '--input-type=module', '-e', `
        const { zeros, memory } = await import(${JSON.stringify(new URL('../ts/index.js', import.meta.url).href)});
        const ts = Array.from({ length: 8 }, () => zeros(2 ** 20)); // 4 MB each, 32 MB in all
        for (const x of ts) x.dispose();
        console.log(JSON.stringify(memory().cpu));`],
      { encoding: 'utf8', env: { ...process.env, FLUXION_POOL_MB: mb } },
    );
  const r = run('10');
  t.is(r.status, 0, r.stderr);
  const cpu = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  t.is(cpu.poolLimit, 10 * 2 ** 20);
  t.true(cpu.pooledBytes > 0 && cpu.pooledBytes <= 10 * 2 ** 20, `pooled ${cpu.pooledBytes}`);
  const bad = run('lots');
  t.not(bad.status, 0);
  t.regex(bad.stderr, /FLUXION_POOL_MB: expected a number of megabytes/);
});

test('a native error thrown while a worker terminates does not abort the process', (t) => {
  const { esm, env } = bundles();
  // each worker loops on kernel calls that throw; the main thread terminates them at random points
  const script = `
    const { Worker } = require('node:worker_threads');
    const body = 'import(' + JSON.stringify(${JSON.stringify(esm)}) + ').then((F) => { for (;;) { try { F.tensor([1, 2]).reshape([3]); } catch {} try { F.zeros(2, 3).matmul(F.zeros(4, 5)); } catch {} } })';
    (async () => {
      for (let i = 0; i < 30; i++) {
        const w = new Worker(body, { eval: true });
        await new Promise((r) => setTimeout(r, 5 + (i % 7) * 3));
        await w.terminate();
      }
      console.log('survived');
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 120000 });
  t.is(r.signal, null, r.stderr);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /survived/);
});

test('native size and bounds arithmetic is overflow-checked', (t) => {
  // a view whose (shape - 1) · stride does not fit in 64 bits
  const { meta } = native;
  meta.set([2, 2 ** 40, 2, 0, 2 ** 40, 1, 0, 2 ** 40, 1]);
  t.throws(() => native.unary(new Float32Array(4), new Float32Array(4), 0), { instanceOf: RangeError, message: /view reaches outside its storage|size overflows/ });
  // scatterAdd sizes whose product wraps 2^64
  t.throws(() => native.scatterAdd(new Float32Array(1), new Float32Array(1), new Int32Array(1), 2 ** 32, 2 ** 32, 1, 1), { instanceOf: RangeError, message: /size overflows/ });
  // metadata beyond exact integers
  meta.set([1, 2, 0, 2 ** 61, 0, 1]);
  t.throws(() => native.unary(new Float32Array(4), new Float32Array(4), 0), { instanceOf: RangeError, message: /not an integer within ±2\^53/ });
  t.true(Object.keys(kernelReport.kernels).length > 0);
});
