// The device path of Fluxion, checked on a machine without a GPU: with FLUXION_EMULATE_CUDA=1
// 'cuda' tensors live on the emulated device (native/src/device.cc: host memory behind the same
// handles, caching allocator, uploads and downloads, run by the CPU kernels). Everything above
// the CUDA kernels themselves runs for real: every op case on the device against the CPU,
// gpu()/to(), training on the device, device memory, dispose.
import test from 'ava';

process.env.FLUXION_EMULATE_CUDA = '1';
const fx = await import('../../ts/index.js');
const { compareOnDevice } = await import('../ops/on-device.js');

test('the emulated device is what backends() reports as cuda', (t) => {
  const { cuda } = fx.backends();
  t.true(cuda.available);
  t.true(cuda.emulated);
  t.regex(cuda.info, /emulated/);
});

test('every op case on the (emulated) CUDA device agrees with the CPU', (t) => {
  const r = compareOnDevice('cuda');
  t.log(`${r.pass} cases agree`);
  t.true(r.pass > 1000);
  t.deepEqual(r.failures, []);
});

test('gpu(model) trains on the device; gradients, optimiser state and tidy stay there; dispose frees device memory', (t) => {
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

test('ops mixing devices name both devices', (t) => {
  const a = fx.tensor([1, 2]).to('cuda');
  t.throws(() => a.add(fx.tensor([1, 2])), { message: /different devices \(cuda and cpu\)/ });
});

test('a disposed device tensor is refused, and its freed handle too', async (t) => {
  const { native } = await import('../../ts/native.js');
  const a = fx.tensor([1, 2, 3]).to('cuda');
  const handle = (a._buf as { handle: BigUint64Array }).handle;
  a.dispose();
  t.throws(() => a.add(1), { message: /disposed/ });
  t.throws(() => native.unary(handle, handle, 0), { instanceOf: RangeError, message: /freed/ });
});

test('gpu(CNN) moves conv weights and BatchNorm running statistics; a step on the device matches the CPU', (t) => {
  const { Chain, Conv, BatchNorm, MaxPool, Flatten, Dense, relu, gpu, cpu, setup, update, Adam, gradient, logitCrossEntropy, randn, tensor, RNG } = fx;
  const make = () => {
    const rng = new RNG(8);
    return Chain(Conv([3, 3], 1, 4, relu, { pad: 1, rng }), BatchNorm(4, relu), MaxPool([2, 2]), Flatten(), Dense(64, 3, undefined, { rng }));
  };
  const host = make();
  const dev = gpu(make());
  const bn = dev.layers[1];
  t.is(dev.layers[0].weight.device, 'cuda');
  t.is(bn.runningMean?.device, 'cuda');
  t.is(bn.runningVar?.device, 'cuda');
  const rng = new RNG(2);
  const x = randn([6, 1, 8, 8], { rng });
  const y = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
  const step = (m: ReturnType<typeof make>, xb: typeof x, yb: typeof y) => {
    const s = setup(new Adam(0.01), m);
    const [g] = gradient((mm: typeof m) => logitCrossEntropy(mm(xb), yb), m);
    update(s, m, g);
  };
  step(host, x, y);
  step(dev, x.to('cuda'), y.to('cuda'));
  const back = cpu(dev);
  for (const [a, b] of [
    [back.layers[0].weight, host.layers[0].weight],
    [back.layers[1].runningMean, host.layers[1].runningMean],
    [back.layers[1].runningVar, host.layers[1].runningVar],
    [back.layers[4].weight, host.layers[4].weight],
  ] as const) {
    const d = a!.sub(b!).abs().max().item();
    t.true(d < 1e-6, `device and host differ by ${d}`);
  }
});

test('gpu(LSTM and GPT-style models) run the fused recurrent kernels and attention on the device; a step matches the CPU', async (t) => {
  const { gpu, cpu, setup, update, Adam, gradient, logitCrossEntropy, tensor, RNG, params } = fx;
  const { CharGPT, CharLSTM } = await import('../../examples/names-models.js');
  for (const [name, make] of [
    ['LSTM', () => CharLSTM(7, { embed: 4, hidden: 6, rng: new RNG(3) })],
    ['GPT', () => new CharGPT(7, 5, { dim: 8, heads: 2, layers: 1, rng: new RNG(3) })],
  ] as const) {
    const host = make() as unknown as (x: unknown) => ReturnType<typeof tensor>;
    const dev = gpu(make()) as unknown as typeof host;
    t.true([...params(dev)].every((p) => p.device === 'cuda'), `${name}: every parameter on the device`);
    const ids = tensor([1, 2, 3, 4, 0, 6, 5, 4, 3, 2], { shape: [2, 5], dtype: 'int32' });
    const next = tensor([2, 3, 4, 0, 1, 5, 4, 3, 2, 1], { dtype: 'int32' });
    const step = (m: typeof host, x: typeof ids, y: typeof next) => {
      const s = setup(new Adam(0.01), m);
      const [g] = gradient((mm: typeof m) => logitCrossEntropy(mm(x).reshape([-1, 7]), y), m);
      update(s, m, g);
    };
    step(host, ids, next);
    step(dev, ids.to('cuda'), next.to('cuda'));
    const back = [...params(cpu(dev))];
    [...params(host)].forEach((p, i) => {
      const d = back[i].sub(p).abs().max().item();
      t.true(d < 1e-5, `${name} parameter ${i}: device and host differ by ${d}`);
    });
  }
});
