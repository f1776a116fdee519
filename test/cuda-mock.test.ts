// The TypeScript CUDA backend, checked on a machine without a GPU: the addon's cuda* entry
// points are replaced by their CPU twins (scripts/cuda-mock.mjs), so everything above the
// kernels runs for real — metadata, lengths, uploads and downloads, device constants,
// gpu()/to(), training on the device, dispose freeing device memory.
import { createRequire } from 'node:module';
import test from 'ava';
import { nativePath } from '../ts/native.js';

process.env.FLUXION_EXPERIMENTAL_CUDA = '1';
const addon = createRequire(import.meta.url)(nativePath) as Record<string, unknown> & { kernels(): { cuda: boolean } };
const compiled = addon.kernels().cuda;
if (compiled) {
  // @ts-expect-error a plain .mjs helper without types
  const { mockDevice } = await import('../scripts/cuda-mock.mjs');
  const mock = mockDevice(addon) as Record<string, unknown>;
  let live = 0;
  const sizes = new Map<number, number>();
  Object.assign(addon, mock, {
    cudaDeviceCount: () => 1,
    cudaAlloc: (bytes: number) => {
      const p = (mock.cudaAlloc as (b: number) => number)(bytes);
      sizes.set(p, bytes);
      live += bytes;
      return p;
    },
    cudaFree: (p: number) => {
      live -= sizes.get(p) ?? 0;
      sizes.delete(p);
      (mock.cudaFree as (p: number) => void)(p);
    },
    cudaMemory: () => ({ live, cached: 0 }),
  });
}
const fx = await import('../ts/index.js');
const { compareOnDevice } = await import('./ops/on-device.js');
const run = compiled ? test : test.skip;

run('every op case on the (emulated) CUDA backend agrees with the CPU', (t) => {
  const r = compareOnDevice('cuda');
  t.log(`${r.pass} cases agree`);
  t.deepEqual(r.failures, []);
});

run('gpu(model) trains on the device; gradients, optimiser state and tidy stay there; dispose frees device memory', (t) => {
  const { Chain, Dense, relu, gpu, cpu, setup, Adam, train, DataLoader, logitCrossEntropy, randn, tensor, memory, RNG } = fx;
  const rng = new RNG(4);
  const model = gpu(Chain(Dense(8, 16, relu, { rng }), Dense(16, 3, undefined, { rng })));
  t.is(model.layers[0].weight.device, 'cuda');
  const X = randn(64, 8, { rng }).to('cuda');
  const y = tensor(Array.from({ length: 64 }, (_, i) => i % 3), { dtype: 'int32' }).to('cuda');
  const opt = setup(new Adam(0.01), model);
  const before = memory().cuda?.live ?? 0;
  const hist = train((m: typeof model, xb: typeof X, yb: typeof y) => logitCrossEntropy(m(xb), yb), model, new DataLoader([X, y], { batchSize: 16, shuffle: true, seed: 1 }), opt, { epochs: 20, progress: false });
  t.true(hist[19].loss < hist[0].loss);
  const after = memory().cuda?.live ?? 0;
  t.true(after <= before + 4096, `device memory grew from ${before} to ${after} bytes over training`);
  const back = cpu(model);
  t.is(back.layers[1].bias!.device, 'cpu');
  const w = model.layers[0].weight;
  const held = memory().cuda?.live ?? 0;
  w.dispose();
  t.true((memory().cuda?.live ?? 0) < held);
});

run('ops mixing devices name both devices', (t) => {
  const a = fx.tensor([1, 2]).to('cuda');
  t.throws(() => a.add(fx.tensor([1, 2])), { message: /different devices \(cuda and cpu\)/ });
});
