// trainAsync: the same run as train, step for step, as a Promise that yields to the event loop,
// stops on an AbortSignal, reports progress to a callback, and takes async iterables of batches.
import test from 'ava';
import { Adam, Chain, DataLoader, Dense, RNG, type Tensor, collect, logitCrossEntropy, randn, setup, tanh, tensor, train, trainAsync } from '../../ts/index.js';

function problem() {
  const rng = new RNG(5);
  const model = Chain(Dense(4, 8, tanh, { rng }), Dense(8, 3, undefined, { rng }));
  const X = randn([48, 4], { rng });
  const y = tensor(Array.from({ length: 48 }, (_, i) => i % 3), { dtype: 'int32' });
  const data = new DataLoader([X, y], { batchSize: 8, shuffle: true, seed: 9 });
  return { model, data, opt: setup(new Adam(0.05), model), loss: (m: typeof model, a: Tensor, b: Tensor) => logitCrossEntropy(m(a), b) };
}
const params = (m: unknown) => collect(m).map((t) => Array.from(t.data()));

test('trainAsync gives the run train gives, step for step', async (t) => {
  const a = problem();
  const b = problem();
  const la: number[] = [];
  const lb: number[] = [];
  const ha = train(a.loss, a.model, a.data, a.opt, { epochs: 3, progress: false, callbacks: { onStep: (s) => void la.push(s.loss) } });
  const hb = await trainAsync(b.loss, b.model, b.data, b.opt, { epochs: 3, progress: false, callbacks: { onStep: (s) => void lb.push(s.loss) } });
  t.deepEqual(lb, la);
  t.deepEqual(hb.map((e) => e.loss), ha.map((e) => e.loss));
  t.deepEqual(params(b.model), params(a.model));
});

test('trainAsync lets timers run between steps', async (t) => {
  const p = problem();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  let steps = 0;
  await trainAsync(p.loss, p.model, p.data, p.opt, { epochs: 4, progress: false, callbacks: { onStep: () => void steps++ } });
  clearInterval(timer);
  t.true(ticks >= steps / 4, `${ticks} timer ticks during ${steps} steps`);
});

test('an AbortSignal stops trainAsync after the step in progress; the model keeps the completed steps', async (t) => {
  const p = problem();
  const ctrl = new AbortController();
  let steps = 0;
  const err = await t.throwsAsync(
    trainAsync(p.loss, p.model, p.data, p.opt, {
      epochs: 100,
      progress: false,
      signal: ctrl.signal,
      callbacks: {
        onStep: () => {
          if (++steps === 7) ctrl.abort();
        },
      },
    }),
  );
  t.is(err?.name, 'AbortError');
  t.is(steps, 7);
  // the same seven steps with train reach the same parameters
  const q = problem();
  let n = 0;
  train(q.loss, q.model, q.data, q.opt, { epochs: 100, progress: false, callbacks: { onStep: () => (++n === 7 ? 'stop' : undefined) } });
  t.deepEqual(params(p.model), params(q.model));
  await t.throwsAsync(trainAsync(p.loss, p.model, p.data, p.opt, { signal: AbortSignal.abort(), progress: false }), { name: 'AbortError' });
});

test('progress goes to a callback instead of stderr when asked', async (t) => {
  const p = problem();
  const events: string[] = [];
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((s: string) => {
    stderr += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    await trainAsync(p.loss, p.model, p.data, p.opt, { epochs: 2, progress: (e) => void events.push(`${e.type}:${e.epoch}`) });
  } finally {
    process.stderr.write = write;
  }
  t.is(stderr, '');
  t.is(events.filter((e) => e.startsWith('step')).length, 12);
  t.deepEqual(events.filter((e) => e.startsWith('epoch')), ['epoch:1', 'epoch:2']);
});

test('trainAsync takes an async iterable of batches; train refuses one and says to use trainAsync', async (t) => {
  const p = problem();
  const batches = [...p.data];
  async function* stream() {
    for (const b of batches) {
      await new Promise((r) => setTimeout(r, 1));
      yield b;
    }
  }
  const streamed = { [Symbol.asyncIterator]: stream };
  const h = await trainAsync(p.loss, p.model, streamed, p.opt, { epochs: 2, progress: false });
  t.is(h.length, 2);
  t.throws(() => train(p.loss, p.model, streamed as never, p.opt, { progress: false }), { message: /use trainAsync/ });
});
