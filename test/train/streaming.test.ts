// Streaming data: datasets on disk (safetensors shards) read by FileDataLoader with bounded
// memory, shuffled in windows from a seed and the epoch, read ahead by a worker thread, and
// resumable from { epoch, batch }.
import { mkdtempSync, readFileSync as readFile, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  Adam, AsyncDataLoader, Chain, DataLoader, DatasetWriter, Dense, type EpochInfo, FileDataLoader, RNG, type Tensor, arange, collect, loadState, metrics, mse, randn, relu, saveState, schedules,
  setup, tensor, train, trainAsync, writeDataset,
} from '../../ts/index.js';

const made: string[] = [];
const tmp = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `fluxion-${name}-`));
  made.push(dir);
  return dir;
};
test.after.always(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const rowsOf = (t: Tensor) => Array.from(t.data());

/** 50 observations: x [50, 3] (row i holds 3i, 3i+1, 3i+2) and labels y = i, written in shards of 7. */
function numbered(n = 50, rowsPerShard = 7) {
  const dir = tmp('ds');
  const x = arange(0, 3 * n).reshape([n, 3]);
  const y = tensor(Array.from({ length: n }, (_, i) => i), { dtype: 'int32' });
  const written = writeDataset(dir, [x, y], { rowsPerShard });
  return { dir, x, y, n, written };
}

test('writeDataset / DatasetWriter: shards that read back as the data, in order, shaped as written', (t) => {
  const { dir, x, y, n, written } = numbered();
  t.deepEqual(written, { shards: 8, count: 50 });
  t.is(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length, 8);
  const loader = new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize: 16 });
  t.is(loader.count, n);
  t.is(loader.length, 4);
  const batches = [...loader];
  t.deepEqual(batches.map((b) => b[0].shape), [[16, 3], [16, 3], [16, 3], [2, 3]]);
  t.is(batches[0][1].dtype, 'int32');
  t.deepEqual(batches.flatMap((b) => rowsOf(b[0])), rowsOf(x));
  t.deepEqual(batches.flatMap((b) => rowsOf(b[1])), rowsOf(y));
  // the same batches as the in-memory loader
  const mem = [...new DataLoader([x, y], { batchSize: 16 })];
  t.deepEqual(batches.map((b) => rowsOf(b[0])), mem.map((b) => rowsOf(b[0])));
  t.is(new FileDataLoader(dir, { batchSize: 16, partial: false }).length, 3);

  // written in pieces of any size, an object of tensors; one tensor alone
  const dir2 = tmp('ds');
  const w = new DatasetWriter(dir2, { rowsPerShard: 20 });
  for (let i = 0; i < n; i += 9) w.append({ image: x.slice(0, i, Math.min(n, i + 9)), label: y.slice(0, i, Math.min(n, i + 9)) });
  t.deepEqual(w.close(), { shards: 3, count: 50 });
  const obj = [...new FileDataLoader<{ image: Tensor; label: Tensor }>(dir2, { batchSize: 50 })][0];
  t.deepEqual(Object.keys(obj), ['image', 'label']);
  t.deepEqual(rowsOf(obj.image), rowsOf(x));
  const dir3 = tmp('ds');
  writeDataset(dir3, randn([5, 2, 2], { dtype: 'float64', rng: new RNG(1) }));
  const one = [...new FileDataLoader<Tensor>(dir3, { batchSize: 5 })][0];
  t.deepEqual([one.dtype, one.shape], ['float64', [5, 2, 2]]);
  for (const d of [dir, dir2, dir3]) rmSync(d, { recursive: true });
});

/** The labels of every batch of one epoch. */
const epochOf = (l: Iterable<[Tensor, Tensor]>) => [...l].map((b) => rowsOf(b[1]));

test('shuffle: each epoch a permutation of all rows, a new one per epoch, the same for the same seed; rows mix across the data', (t) => {
  const { dir, n } = numbered();
  const make = (seed: number, o = {}) => new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize: 8, shuffle: true, seed, buffer: 16, blockRows: 4, ...o });
  const a = make(3);
  const e0 = epochOf(a);
  const e1 = epochOf(a);
  for (const e of [e0, e1]) t.deepEqual([...e.flat()].sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i), 'every row once');
  t.notDeepEqual(e0, e1);
  const b = make(3);
  t.deepEqual(epochOf(b), e0);
  t.deepEqual(epochOf(b), e1);
  t.notDeepEqual(epochOf(make(4)), e0);
  // a window holds 16 of the 50 rows, yet the first window's rows come from blocks anywhere
  const first = e0.flat().slice(0, 16);
  t.true(Math.max(...first) - Math.min(...first) > 16, `first window rows ${first}`);
  // the state after two epochs
  t.deepEqual(a.state, { epoch: 2, batch: 0 });
  // the rows of a row are the row: x and y were gathered alike
  const [x, y] = [...make(3)][0];
  const xs = rowsOf(x);
  for (const [i, label] of rowsOf(y).entries()) t.deepEqual(xs.slice(3 * i, 3 * i + 3), [3 * label, 3 * label + 1, 3 * label + 2]);
  rmSync(dir, { recursive: true });
});

test('shuffled rows of every width keep their observation together (rows gathered word by word and by copies)', (t) => {
  const dir = tmp('ds');
  const n = 40;
  const wide = arange(0, n * 30, 1, { dtype: 'float64' }).reshape([n, 30]); // 240-byte rows
  const y = tensor(Array.from({ length: n }, (_, i) => i), { dtype: 'int32' });
  writeDataset(dir, { wide, y }, { rowsPerShard: 11 });
  for (const prefetch of [0, 1]) {
    const l = new FileDataLoader<{ wide: Tensor; y: Tensor }>(dir, { batchSize: 6, shuffle: true, seed: 8, buffer: 13, blockRows: 3, prefetch });
    const seen: number[] = [];
    for (const b of l) {
      const w = rowsOf(b.wide);
      for (const [i, label] of rowsOf(b.y).entries()) {
        seen.push(label);
        t.deepEqual(w.slice(30 * i, 30 * i + 30), Array.from({ length: 30 }, (_, k) => 30 * label + k));
      }
    }
    t.deepEqual(seen.sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i));
    l.close();
  }
  rmSync(dir, { recursive: true });
});

test('prefetch in a worker thread, reading on the calling thread, and async iteration give the same batches', async (t) => {
  const { dir } = numbered(200, 23);
  const opts = { batchSize: 12, shuffle: true, seed: 5, buffer: 40, blockRows: 5 };
  const plain = new FileDataLoader<[Tensor, Tensor]>(dir, { ...opts, prefetch: 0 });
  const want = [epochOf(plain), epochOf(plain), epochOf(plain)];
  for (const prefetch of [1, 3]) {
    const l = new FileDataLoader<[Tensor, Tensor]>(dir, { ...opts, prefetch });
    t.deepEqual([epochOf(l), epochOf(l), epochOf(l)], want, `sync, prefetch ${prefetch}`);
    l.close();
  }
  for (const prefetch of [0, 2]) {
    const l = new FileDataLoader<[Tensor, Tensor]>(dir, { ...opts, prefetch });
    const got: number[][][] = [];
    for (let e = 0; e < 3; e++) {
      const ep: number[][] = [];
      for await (const b of l) ep.push(rowsOf(b[1]));
      got.push(ep);
    }
    t.deepEqual(got, want, `async, prefetch ${prefetch}`);
    l.close();
  }
  rmSync(dir, { recursive: true });
});

test('a worker thread that stops is an error naming it, not a hang; close() and iterating again starts a new one', async (t) => {
  const { dir } = numbered(100, 20);
  const l = new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize: 10, shuffle: true, seed: 1, buffer: 20, blockRows: 5, prefetch: 1 });
  const want = epochOf(new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize: 10, shuffle: true, seed: 1, buffer: 20, blockRows: 5, prefetch: 0 }));
  const it = l[Symbol.iterator]();
  it.next();
  await (l as unknown as { prefetcher: { _kill(): Promise<number> } }).prefetcher._kill();
  t.throws(
    () => {
      for (let i = 0; i < 10; i++) it.next();
    },
    { message: /FileDataLoader: the worker thread reading ahead stopped/ },
  );
  l.close();
  l.state = { epoch: 0, batch: 0 };
  t.deepEqual(epochOf(l), want);
  l.close();
  rmSync(dir, { recursive: true });
});

test('state: setting { epoch, batch } resumes the order exactly, mid-epoch too; an abandoned epoch keeps its position', (t) => {
  const { dir } = numbered(60, 9);
  const opts = { batchSize: 7, shuffle: true, seed: 2, buffer: 20, blockRows: 3 };
  const whole = new FileDataLoader<[Tensor, Tensor]>(dir, opts);
  const epochs = [epochOf(whole), epochOf(whole), epochOf(whole)];
  const r = new FileDataLoader<[Tensor, Tensor]>(dir, opts);
  r.state = { epoch: 1, batch: 4 };
  t.deepEqual(epochOf(r), epochs[1].slice(4));
  t.deepEqual(epochOf(r), epochs[2]);
  // stopping after three batches leaves the position there
  const s = new FileDataLoader<[Tensor, Tensor]>(dir, opts);
  let k = 0;
  for (const _ of s) if (++k === 3) break;
  t.deepEqual(s.state, { epoch: 0, batch: 3 });
  t.deepEqual(epochOf(s), epochs[0].slice(3));
  s.state = { epoch: 0, batch: s.length }; // the end of an epoch is the start of the next
  t.deepEqual(s.state, { epoch: 1, batch: 0 });
  t.throws(() => (s.state = { epoch: 0, batch: 99 }), { message: /FileDataLoader\.state: expected state to be \{ epoch, batch \}.*batch in \[0, 9\]/ });
  t.throws(() => (s.state = { epoch: -1, batch: 0 }), { message: /FileDataLoader\.state/ });
  rmSync(dir, { recursive: true });
});

type Model = ReturnType<typeof job>['model'];
// A regression streamed from disk, trained with Adam under warmup + cosine, 2 batches per step.
function job(dir: string, init: number, prefetch = 1) {
  const model = Chain(Dense(3, 8, relu, { dtype: 'float64', rng: new RNG(init) }), Dense(8, 1, undefined, { dtype: 'float64', rng: new RNG(init + 1) }));
  const loader = new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize: 5, shuffle: true, seed: 4, buffer: 15, blockRows: 3, prefetch }); // 9 batches per epoch
  const loss = (m: typeof model, x: Tensor, y: Tensor) => mse(m(x), y);
  return { model, loader, loss, opt: setup(new Adam(0.05), model) };
}
function regressionData(): { dir: string; val: [Tensor, Tensor] } {
  const rng = new RNG(11);
  const X = randn([43, 3], { dtype: 'float64', rng });
  const Y = X.matmul(tensor([[1], [-2], [0.5]], { dtype: 'float64' })).add(0.3);
  const dir = tmp('job');
  writeDataset(dir, [X, Y], { rowsPerShard: 10 });
  return { dir, val: [X.slice(0, 0, 10), Y.slice(0, 0, 10)] };
}
const SCHED = schedules.sequence(schedules.warmup(4, 0.05, { from: 0.005 }), schedules.cosine(0.05, 0.001, 20));

for (const mode of ['train', 'trainAsync'] as const)
  test(`a scheduled, accumulated, streaming run resumed from its checkpoints gives the uninterrupted run's losses (${mode})`, async (t) => {
    const { dir, val } = regressionData();
    const epochs = 5;
    type Fit = (loss: (m: Model, x: Tensor, y: Tensor) => Tensor, model: Model, data: FileDataLoader<[Tensor, Tensor]>, opt: ReturnType<typeof setup>, o: object) => Promise<EpochInfo[]>;
    const runWith = (mode === 'train' ? (l, m, d, o, x) => Promise.resolve(train(l, m, d, o, x)) : (l, m, d, o, x) => trainAsync(l, m, d, o, x)) as Fit;
    const opts = (extra: object) => ({
      progress: false as const,
      schedule: SCHED,
      accumulate: 2,
      validate: { data: new DataLoader(val, { batchSize: 5 }), metrics: { mse: metrics.loss((m: ReturnType<typeof job>['model'], x: Tensor, y: Tensor) => mse(m(x), y)) } },
      ...extra,
    });
    const whole = job(dir, 1);
    const expected: number[] = [];
    const h = await runWith(whole.loss, whole.model, whole.loader, whole.opt, opts({ epochs, callbacks: { onStep: (s: { loss: number }) => void expected.push(s.loss) } }));
    t.is(expected.length, 25, '5 steps of 2 batches per epoch (the ninth batch alone)');
    whole.loader.close();

    // checkpoint every epoch (model, optimiser, schedule position, loader position); interrupted after 2
    const file = path.join(tmp('ckpt'), 'run.safetensors');
    const first = job(dir, 1);
    const losses: number[] = [];
    await runWith(first.loss, first.model, first.loader, first.opt, opts({
      epochs,
      callbacks: {
        onStep: (s: { loss: number }) => void losses.push(s.loss),
        onEpoch: (e: { epoch: number; globalStep: number }) => {
          saveState(file, first.model, first.opt, { epoch: e.epoch, step: e.globalStep, data: first.loader.state });
          return e.epoch === 2 ? 'stop' : undefined;
        },
      },
    }));
    first.loader.close();
    t.is(losses.length, 10);

    // a new process: another initialisation, a fresh optimiser and loader, then the checkpoint
    const r = job(dir, 99, 2);
    const { extra } = loadState(file, r.model, r.opt) as { extra: { epoch: number; step: number; data: { epoch: number; batch: number } } };
    t.deepEqual(extra, { epoch: 2, step: 10, data: { epoch: 2, batch: 0 } });
    r.loader.state = extra.data;
    const rest: number[] = [];
    const hr = await runWith(r.loss, r.model, r.loader, r.opt, opts({ epochs: epochs - extra.epoch, startEpoch: extra.epoch, startStep: extra.step, callbacks: { onStep: (s: { loss: number }) => void rest.push(s.loss) } }));
    r.loader.close();
    t.deepEqual([...losses, ...rest], expected);
    t.deepEqual(hr[hr.length - 1].validation, h[h.length - 1].validation);
    t.deepEqual(collect(r.model).map(rowsOf), collect(whole.model).map(rowsOf));

    // without the loader's position the order differs, and so do the losses
    const wrong = job(dir, 99);
    loadState(file, wrong.model, wrong.opt);
    const other: number[] = [];
    await runWith(wrong.loss, wrong.model, wrong.loader, wrong.opt, opts({ epochs: 1, startEpoch: 2, startStep: 10, callbacks: { onStep: (s: { loss: number }) => void other.push(s.loss) } }));
    wrong.loader.close();
    t.notDeepEqual(other, expected.slice(10, 15));
    rmSync(dir, { recursive: true });
  });

test('a run checkpointed mid-epoch (after a step) resumes from that batch', (t) => {
  const { dir } = regressionData();
  const whole = job(dir, 1, 0);
  const expected: number[] = [];
  train(whole.loss, whole.model, whole.loader, whole.opt, { epochs: 2, progress: false, schedule: SCHED, accumulate: 2, callbacks: { onStep: (s) => void expected.push(s.loss) } });
  const first = job(dir, 1, 0);
  const losses: number[] = [];
  let saved: { step: number; data: { epoch: number; batch: number } } | null = null;
  const file = path.join(tmp('ckpt'), 'mid.safetensors');
  train(first.loss, first.model, first.loader, first.opt, {
    epochs: 2,
    progress: false,
    schedule: SCHED,
    accumulate: 2,
    callbacks: {
      onStep: (s) => {
        losses.push(s.loss);
        if (s.globalStep !== 7) return undefined;
        saved = { step: s.globalStep, data: first.loader.state };
        saveState(file, first.model, first.opt, saved);
        return 'stop';
      },
    },
  });
  t.deepEqual(saved, { step: 7, data: { epoch: 1, batch: 4 } }); // 5 steps in epoch 1, then 2 of 2 batches
  const r = job(dir, 99, 0);
  const { extra } = loadState(file, r.model, r.opt) as { extra: { step: number; data: { epoch: number; batch: number } } };
  r.loader.state = extra.data;
  const rest: number[] = [];
  train(r.loss, r.model, r.loader, r.opt, { epochs: 1, startEpoch: 1, startStep: extra.step, progress: false, schedule: SCHED, accumulate: 2, callbacks: { onStep: (s) => void rest.push(s.loss) } });
  t.deepEqual([...losses, ...rest], expected);
  rmSync(dir, { recursive: true });
});

test('the three loaders check their common options alike', (t) => {
  const { dir, x } = numbered(10, 4);
  const loaders: [string, (opts: never) => unknown][] = [
    ['DataLoader', (o) => new DataLoader(x, o)],
    ['FileDataLoader', (o) => new FileDataLoader(dir, o)],
    ['AsyncDataLoader', (o) => new AsyncDataLoader([x], o)],
  ];
  for (const [name, make] of loaders) {
    t.throws(() => make(null as never), { message: `${name}: expected options to be an options object, got null` });
    t.throws(() => make({ batchSize: 2.5 } as never), { message: `${name}: expected batchSize to be a positive integer, got the number 2.5` });
    t.throws(() => make({ shuffle: 'yes' } as never), { message: `${name}: expected shuffle to be a boolean, got the string "yes"` });
    t.throws(() => make({ partial: 0 } as never), { message: `${name}: expected partial to be a boolean, got the number 0` });
    t.notThrows(() => make({ batchSize: 3, shuffle: true, partial: false } as never));
  }
});

test('bad datasets and options are clear errors', (t) => {
  const { dir, x, y } = numbered(10, 4);
  t.throws(() => new DatasetWriter(dir), { message: /DatasetWriter: .* already holds 3 \.safetensors files; pass \{ overwrite: true \}/ });
  const w = new DatasetWriter(tmp('ds'));
  w.append([x, y]);
  t.throws(() => w.append([x, x]), { message: /DatasetWriter\.append: expected a batch shaped like the first \(array of 0: float32 rows \[3\], 1: int32 rows \[\]\), got array of 0: float32 rows \[3\], 1: float32 rows \[3\]/ });
  t.throws(() => w.append([x, y.slice(0, 0, 3)]), { message: /same number of observations/ });
  t.throws(() => new DatasetWriter(tmp('ds')).close(), { message: /nothing was appended/ });
  t.throws(() => writeDataset(tmp('ds'), [x, 3 as never]), { message: /expected tensors in the data, found/ });
  t.throws(() => new FileDataLoader(tmp('empty')), { message: /FileDataLoader: .* holds no \.safetensors shards/ });
  t.throws(() => new FileDataLoader(path.join(dir, 'nope')), { message: /FileDataLoader: cannot read/ });
  t.throws(() => new FileDataLoader(dir, { batchSize: 0 }), { message: /FileDataLoader: expected batchSize to be a positive integer, got the number 0/ });
  t.throws(() => new FileDataLoader(dir, { prefetch: -1 }), { message: /expected prefetch to be a non-negative integer/ });
  t.throws(() => new FileDataLoader(dir, { buffer: 1.5 }), { message: /expected buffer to be a positive integer/ });
  // shards that disagree
  const mixed = tmp('ds');
  writeDataset(path.join(mixed, 'a'), [x, y]);
  writeDataset(path.join(mixed, 'b'), [x, x]);
  const merged = tmp('ds');
  writeFileSync(path.join(merged, 'part-0.safetensors'), new Uint8Array(readFile(path.join(mixed, 'a', 'part-00000.safetensors'))));
  writeFileSync(path.join(merged, 'part-1.safetensors'), new Uint8Array(readFile(path.join(mixed, 'b', 'part-00000.safetensors'))));
  t.throws(() => new FileDataLoader(merged), { message: /the shards of .* differ: .* holds 0: float32 rows \[3\], 1: int32 rows \[\], .* holds 0: float32 rows \[3\], 1: float32 rows \[3\]/ });
  // a truncated shard
  const cut = tmp('ds');
  writeFileSync(path.join(cut, 'part-0.safetensors'), new Uint8Array(readFile(path.join(mixed, 'a', 'part-00000.safetensors'))).subarray(0, 100));
  t.throws(() => new FileDataLoader(cut), { message: /FileDataLoader: .* truncated/ });
});

test('train reads a FileDataLoader synchronously; an async-only source is for trainAsync', async (t) => {
  const { dir } = regressionData();
  const a = job(dir, 1, 0);
  const b = job(dir, 1, 1);
  const la: number[] = [];
  const lb: number[] = [];
  train(a.loss, a.model, a.loader, a.opt, { epochs: 2, progress: false, callbacks: { onStep: (s) => void la.push(s.loss) } });
  await trainAsync(b.loss, b.model, b.loader, b.opt, { epochs: 2, progress: false, callbacks: { onStep: (s) => void lb.push(s.loss) } });
  t.deepEqual(lb, la);
  b.loader.close();
  const asyncOnly = { [Symbol.asyncIterator]: () => b.loader[Symbol.asyncIterator]() };
  t.throws(() => train(a.loss, a.model, asyncOnly as never, a.opt, { progress: false }), { message: /use trainAsync/ });
  rmSync(dir, { recursive: true });
});

/** Observation i: x = [i, −i], y = i (an int32 scalar), after a little wait, as a network would give them. */
function observations(n: number) {
  return async function* (): AsyncGenerator<[Tensor, Tensor]> {
    for (let i = 0; i < n; i++) {
      if (i % 16 === 0) await new Promise((r) => setTimeout(r, 1));
      yield [tensor([i, -i]), tensor(i, { dtype: 'int32' })];
    }
  };
}
const labelsOf = async (l: AsyncIterable<[Tensor, Tensor]>) => {
  const out: number[][] = [];
  for await (const [, y] of l) out.push(rowsOf(y));
  return out;
};

test('AsyncDataLoader: batches of a stream, shuffled through a buffer from a seed and the epoch; resumable', async (t) => {
  const n = 70;
  const plain = new AsyncDataLoader<[Tensor, Tensor]>(observations(n), { batchSize: 16 });
  const first = await (async () => {
    for await (const b of plain) return b;
  })();
  t.deepEqual(first?.[0].shape, [16, 2]);
  t.deepEqual(rowsOf(first?.[0] as Tensor).slice(0, 4), [0, -0, 1, -1]);
  const make = (seed = 1) => new AsyncDataLoader<[Tensor, Tensor]>(() => observations(n)(), { batchSize: 16, shuffle: true, buffer: 20, seed });
  const a = make();
  const e0 = await labelsOf(a);
  const e1 = await labelsOf(a);
  t.deepEqual(e0.map((b) => b.length), [16, 16, 16, 16, 6]);
  for (const e of [e0, e1]) t.deepEqual([...e.flat()].sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i));
  t.notDeepEqual(e0, e1);
  t.deepEqual(a.state, { epoch: 2, batch: 0 });
  t.deepEqual(await labelsOf(make()), e0);
  t.notDeepEqual(await labelsOf(make(2)), e0);
  const r = make();
  r.state = { epoch: 1, batch: 3 };
  t.deepEqual(await labelsOf(r), e1.slice(3));
  // one stream is one epoch
  const once = new AsyncDataLoader(observations(5)());
  t.is((await labelsOf(once as never)).length, 5);
  await t.throwsAsync(labelsOf(once as never), { message: /AsyncDataLoader: the source gave no observations in epoch 2; .*pass a function epoch => stream/ });
  t.throws(() => new AsyncDataLoader(3 as never), { message: /AsyncDataLoader: expected source to be an async iterable of observations/ });
  t.throws(() => new AsyncDataLoader(observations(1)(), { buffer: 0 }), { message: /expected buffer to be a positive integer/ });
});

test('AsyncDataLoader trains with trainAsync (resumed exactly from its state); train refuses it and says to use trainAsync', async (t) => {
  const rng = new RNG(3);
  const X = randn([40, 3], { rng, dtype: 'float64' });
  const Y = X.matmul(tensor([[1], [-1], [2]], { dtype: 'float64' }));
  const source = () =>
    (async function* () {
      for (let i = 0; i < 40; i++) yield [X.slice(0, i, i + 1).reshape([3]), Y.slice(0, i, i + 1).reshape([1])] as [Tensor, Tensor];
    })();
  const setupRun = (init: number) => {
    const model = Dense(3, 1, undefined, { dtype: 'float64', rng: new RNG(init) });
    return { model, opt: setup(new Adam(0.05), model), loader: new AsyncDataLoader<[Tensor, Tensor]>(source, { batchSize: 8, shuffle: true, buffer: 12, seed: 5 }) };
  };
  const loss = (m: ReturnType<typeof setupRun>['model'], x: Tensor, y: Tensor) => mse(m(x), y);
  const whole = setupRun(1);
  const expected: number[] = [];
  await trainAsync(loss, whole.model, whole.loader, whole.opt, { epochs: 4, progress: false, schedule: SCHED, startStep: 0, accumulate: 2, callbacks: { onStep: (s) => void expected.push(s.loss) } });
  t.is(expected.length, 12);
  t.true(expected[11] < expected[0]);
  const first = setupRun(1);
  const losses: number[] = [];
  const file = path.join(tmp('ckpt'), 'async.safetensors');
  await trainAsync(loss, first.model, first.loader, first.opt, {
    epochs: 4,
    progress: false,
    schedule: SCHED,
    startStep: 0,
    accumulate: 2,
    callbacks: {
      onStep: (s) => void losses.push(s.loss),
      onEpoch: (e) => {
        saveState(file, first.model, first.opt, { step: e.globalStep, data: first.loader.state });
        return e.epoch === 1 ? 'stop' : undefined;
      },
    },
  });
  const r = setupRun(7);
  const { extra } = loadState(file, r.model, r.opt) as { extra: { step: number; data: { epoch: number; batch: number } } };
  r.loader.state = extra.data;
  const rest: number[] = [];
  await trainAsync(loss, r.model, r.loader, r.opt, { epochs: 3, startEpoch: 1, startStep: extra.step, progress: false, schedule: SCHED, accumulate: 2, callbacks: { onStep: (s) => void rest.push(s.loss) } });
  t.deepEqual([...losses, ...rest], expected);
  t.throws(() => train(loss, r.model, r.loader as never, r.opt, { progress: false }), { message: /train: the data is an async iterable \(streamed\): use trainAsync/ });
});
