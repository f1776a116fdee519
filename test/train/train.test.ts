import test from 'ava';
import {
  Adam, Chain, DataLoader, Dense, Descent, RNG, type Tensor, logitCrossEntropy, mse, randn, relu, setup, tensor, train,
} from '../../ts/index.js';
import { flat, processMemory } from '../helpers.js';

test('DataLoader: batches along the first dim, length, partial, reshuffles each epoch with a seed', (t) => {
  const x = tensor(Array.from({ length: 10 }, (_, i) => [i, i]), { dtype: 'float64' });
  const y = tensor(Array.from({ length: 10 }, (_, i) => i), { dtype: 'float64' });
  const plain = new DataLoader([x, y], { batchSize: 4 });
  t.is(plain.length, 3);
  const batches = [...plain];
  t.deepEqual(batches.map((b) => b[0].shape[0]), [4, 4, 2]);
  t.deepEqual(flat(batches[2][1]), [8, 9]);
  t.is(new DataLoader(x, { batchSize: 4, partial: false }).length, 2);
  const obj = new DataLoader({ x, y }, { batchSize: 5 });
  t.deepEqual([...obj][1].y.shape, [5]);
  const shuffled = new DataLoader([x, y], { batchSize: 10, shuffle: true, seed: 7 });
  const e1 = flat([...shuffled][0][1]);
  const e2 = flat([...shuffled][0][1]);
  t.notDeepEqual(e1, e2);
  t.deepEqual([...e1].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // rows stay paired
  const [bx, by] = [...shuffled][0];
  t.deepEqual(flat(bx).filter((_, i) => i % 2 === 0), flat(by));
  const again = new DataLoader([x, y], { batchSize: 10, shuffle: true, seed: 7 });
  t.deepEqual(flat([...again][0][1]), e1);
  t.throws(() => new DataLoader([x, tensor([1, 2])]), { message: /same number of observations/ });
  t.throws(() => new DataLoader(x, { batchSize: 0 }), { message: /batchSize/ });
});

test('train fits a small regression and reports epoch losses; callbacks can stop it', (t) => {
  const rng = new RNG(3);
  const X = randn(64, 3, { dtype: 'float64', rng });
  const W = tensor([[1, -2, 0.5]], { dtype: 'float64' });
  const Y = X.matmul(W.T).add(0.3);
  const model = Chain(Dense(3, 1, undefined, { dtype: 'float64', rng }));
  const state = setup(new Adam(0.05), model);
  const data = new DataLoader([X, Y], { batchSize: 16, shuffle: true, seed: 1 });
  const hist = train((m: typeof model, x: Tensor, y: Tensor) => mse(m(x), y), model, data, state, { epochs: 60, progress: false });
  t.is(hist.length, 60);
  t.true(hist[59].loss < 1e-3 * hist[0].loss);
  let steps = 0;
  const stopped = train((m: typeof model, x: Tensor, y: Tensor) => mse(m(x), y), model, data, state, {
    epochs: 5,
    progress: false,
    callbacks: { onStep: () => (++steps === 3 ? 'stop' : undefined) },
  });
  t.is(steps, 3);
  t.is(stopped.length, 1);
});

test('train stops with a clear error on a non-finite loss', (t) => {
  const model = Chain(Dense(2, 1));
  const state = setup(new Descent(1e30), model);
  const X = tensor([[1e20, 1e20], [1, 1]]);
  const data = new DataLoader([X, tensor([[1], [2]])], { batchSize: 1 });
  t.throws(() => train((m: typeof model, x: Tensor, y: Tensor) => mse(m(x), y), model, data, state, { epochs: 3, progress: false }), {
    // the step that makes the parameters overflow is caught now, before the next loss is
    message: /train: (the loss is (Infinity|NaN) at epoch \d+, step \d+; stopping|at epoch \d+, step \d+: the step left \d+ non-finite values)/,
  });
});

test('memory stays flat over a long training loop (memory outside the JS heap after 5,000 steps within 5% of after 500, JS heap flat)', (t) => {
  const rng = new RNG(5);
  const model = Chain(Dense(32, 64, relu, { rng }), Dense(64, 10, undefined, { rng }));
  const state = setup(new Adam(1e-3), model);
  const X = randn(256, 32, { rng });
  const labels = tensor(Array.from({ length: 256 }, (_, i) => i % 10), { dtype: 'int32' });
  const data = new DataLoader([X, labels], { batchSize: 32, shuffle: true, seed: 2 }); // 8 steps per epoch
  const loss = (m: typeof model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y);
  const gc = (globalThis as { gc?: () => void }).gc;
  const measure = () => {
    gc?.();
    return processMemory();
  };
  train(loss, model, data, state, { epochs: 63, progress: false }); // ~500 steps
  const at500 = measure();
  train(loss, model, data, state, { epochs: 563, progress: false }); // ~4,500 more
  const at5000 = measure();
  const mb = (v: number) => (v / 2 ** 20).toFixed(1);
  t.log(`outside the JS heap after 500 steps ${mb(at500.outsideHeap)} MB, after 5,000 ${mb(at5000.outsideHeap)} MB; RSS ${mb(at500.rss)} → ${mb(at5000.rss)} MB`);
  t.true(at5000.outsideHeap <= at500.outsideHeap * 1.05, `memory outside the JS heap grew from ${at500.outsideHeap} to ${at5000.outsideHeap}`);
  t.true(at5000.heapUsed <= at500.heapUsed * 1.1 + 2 * 2 ** 20, `the JS heap grew from ${at500.heapUsed} to ${at5000.heapUsed}`);
});
