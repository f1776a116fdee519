// What a training job needs beyond the demo loop: gradient accumulation (k batches of n step
// like one batch of k·n), validation with metrics and early stopping, and JSON-lines logs.
import test from 'ava';
import {
  Adam, Chain, DataLoader, Dense, Descent, RNG, type Tensor, collect, logitCrossEntropy, metrics, mse, randn, setup, tanh, tensor, train,
} from '../../ts/index.js';

function regression(dtype: 'float32' | 'float64' = 'float64') {
  const rng = new RNG(11);
  const model = Chain(Dense(3, 6, tanh, { rng, dtype }), Dense(6, 2, undefined, { rng, dtype }));
  const X = randn([32, 3], { rng, dtype });
  const Y = randn([32, 2], { rng, dtype });
  return { model, X, Y, loss: (m: typeof model, x: Tensor, y: Tensor) => mse(m(x), y) };
}
const params = (m: unknown) => collect(m).map((t) => Array.from(t.data()));

for (const rule of ['Descent', 'Adam'] as const)
  test(`accumulate: 4 batches of 8 give the update of one batch of 32 (${rule})`, (t) => {
    const a = regression();
    const b = regression();
    const make = () => (rule === 'Descent' ? new Descent(0.1) : new Adam(0.01));
    const optA = setup(make(), a.model);
    const optB = setup(make(), b.model);
    // unshuffled, so the 32 rows are the same in both
    train(a.loss, a.model, new DataLoader([a.X, a.Y], { batchSize: 32 }), optA, { epochs: 5, progress: false });
    const hist = train(b.loss, b.model, new DataLoader([b.X, b.Y], { batchSize: 8 }), optB, { epochs: 5, progress: false, accumulate: 4 });
    t.is(hist[4].globalStep, 5, 'one optimiser step per 4 batches');
    const pa = params(a.model).flat();
    const pb = params(b.model).flat();
    for (let i = 0; i < pa.length; i++) t.true(Math.abs(pa[i] - pb[i]) <= 1e-12 + 1e-10 * Math.abs(pa[i]), `parameter ${i}: ${pa[i]} vs ${pb[i]}`);
  });

test('accumulate: an epoch with leftover batches makes one last step of them; memory stays flat', (t) => {
  const a = regression('float32');
  const opt = setup(new Adam(0.01), a.model);
  const data = new DataLoader([a.X, a.Y], { batchSize: 6, shuffle: true }); // 6 batches, the last of 2 rows
  const h = train(a.loss, a.model, data, opt, { epochs: 1, progress: false, accumulate: 4 });
  t.is(h[0].globalStep, 2, '4 batches, then the 2 left over');
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  train(a.loss, a.model, data, opt, { epochs: 50, progress: false, accumulate: 3 });
  gc();
  const before = process.memoryUsage().arrayBuffers;
  train(a.loss, a.model, data, opt, { epochs: 300, progress: false, accumulate: 3 });
  gc();
  const after = process.memoryUsage().arrayBuffers;
  t.true(after - before < 256 * 1024, `ArrayBuffer memory grew by ${after - before} bytes`);
});

function classification() {
  const rng = new RNG(2);
  const model = Chain(Dense(2, 16, tanh, { rng }), Dense(16, 2, undefined, { rng }));
  const X = randn([200, 2], { rng });
  const v = X.data();
  const labels = Array.from({ length: 200 }, (_, i) => (v[2 * i] * v[2 * i + 1] > 0 ? 1 : 0)); // the XOR of the signs
  const y = tensor(labels, { dtype: 'int32' });
  const split = (from: number, to: number) => [X.slice(0, from, to), y.slice(0, from, to)] as const;
  return { model, train: split(0, 150), val: split(150, 200) };
}

test('validate: metrics on held-out data every n steps and at epoch ends, reported and logged as JSON lines', (t) => {
  const c = classification();
  const lines: string[] = [];
  const seen: Record<string, number>[] = [];
  const hist = train((m: typeof c.model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y), c.model, new DataLoader([...c.train], { batchSize: 25, shuffle: true }), setup(new Adam(0.03), c.model), {
    epochs: 30,
    progress: false,
    validate: {
      data: new DataLoader([...c.val], { batchSize: 20 }),
      every: 12,
      metrics: { loss: metrics.loss((m: typeof c.model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y)), accuracy: metrics.accuracy() },
    },
    callbacks: { onValidate: (v) => void seen.push(v.metrics) },
    log: { write: (l: string) => lines.push(l) },
  });
  t.is(seen.length, (30 * 6) / 12);
  t.true(seen[seen.length - 1].accuracy > 0.85, `held-out accuracy ${seen[seen.length - 1].accuracy}`);
  t.true(seen[seen.length - 1].loss < seen[0].loss);
  t.deepEqual(hist[29].validation, seen[seen.length - 1]);
  const events = lines.map((l) => JSON.parse(l) as { type: string });
  t.true(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')), 'one JSON object per line');
  t.is(events.filter((e) => e.type === 'step').length, 180);
  t.is(events.filter((e) => e.type === 'epoch').length, 30);
  t.is(events.filter((e) => e.type === 'validate').length, 15);
  t.truthy((events[0] as { time?: string }).time);
});

test('validate: early stopping when the metric stops improving', (t) => {
  const c = classification();
  let validations = 0;
  const hist = train((m: typeof c.model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y), c.model, new DataLoader([...c.train], { batchSize: 50 }), setup(new Adam(0.5), c.model), {
    epochs: 500,
    progress: false,
    validate: { data: [c.val], earlyStop: { metric: 'loss', patience: 3 } },
    callbacks: { onValidate: () => void validations++ },
  });
  t.true(hist.length < 500, `stopped after ${hist.length} epochs`);
  t.is(validations, hist.length);
});

test('validate and accumulate refuse bad settings with clear errors', (t) => {
  const a = regression();
  const opt = setup(new Descent(0.1), a.model);
  const data = new DataLoader([a.X, a.Y], { batchSize: 8 });
  t.throws(() => train(a.loss, a.model, data, opt, { accumulate: 0, progress: false }), { message: /train: expected accumulate to be a positive integer/ });
  t.throws(() => train(a.loss, a.model, data, opt, { validate: { data: 3 as never }, progress: false }), { message: /validate\.data/ });
  t.throws(() => train(a.loss, a.model, data, opt, { validate: { data: [], earlyStop: { metric: 'acc' } }, progress: false }), { message: /earlyStop\.metric 'acc' is not one of the metrics \(loss\)/ });
});
