import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  Adam, Chain, DataLoader, Dense, Descent, RNG, type SequencePart, type StepInfo, type Tensor, adjust, loadState, mse, ones, randn, relu, saveState,
  schedules, setup, tensor, train, update, withGradient,
} from '../../ts/index.js';
import { close, flat } from '../helpers.js';

const { constant, linear, exponential, step, cosine, warmup, sequence } = schedules;
const values = (s: (k: number) => number, n: number) => Array.from({ length: n }, (_, k) => s(k));

// PyTorch's lr_scheduler computes each rate from the previous one (get_lr); these are those
// recurrences, written out, as references independent of the closed forms above.
function torchCosine(base: number, etaMin: number, tMax: number, n: number): number[] {
  const lrs = [base];
  for (let k = 1; k < n; k++) {
    const lr = lrs[k - 1];
    if ((k - 1 - tMax) % (2 * tMax) === 0) lrs.push(lr + ((base - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    else lrs.push(((1 + Math.cos((Math.PI * k) / tMax)) / (1 + Math.cos((Math.PI * (k - 1)) / tMax))) * (lr - etaMin) + etaMin);
  }
  return lrs;
}
function torchLinear(base: number, sf: number, ef: number, total: number, n: number): number[] {
  const lrs = [base * sf];
  for (let k = 1; k < n; k++) lrs.push(k > total ? lrs[k - 1] : lrs[k - 1] * (1 + (ef - sf) / (total * sf + (k - 1) * (ef - sf))));
  return lrs;
}
function torchStep(base: number, stepSize: number, gamma: number, n: number): number[] {
  const lrs = [base];
  for (let k = 1; k < n; k++) lrs.push(k % stepSize !== 0 ? lrs[k - 1] : lrs[k - 1] * gamma);
  return lrs;
}
function torchExponential(base: number, gamma: number, n: number): number[] {
  const lrs = [base];
  for (let k = 1; k < n; k++) lrs.push(lrs[k - 1] * gamma);
  return lrs;
}

test('constant, linear, warmup: closed forms, PyTorch LinearLR, length, holding the end value', (t) => {
  const c = constant(0.01);
  t.deepEqual(values(c, 3), [0.01, 0.01, 0.01]);
  t.is(c(1e9), 0.01);
  t.is(c.length, Number.POSITIVE_INFINITY);

  const l = linear(0.1, 0.3, 4);
  close(t, values(l, 7), [0.1, 0.15, 0.2, 0.25, 0.3, 0.3, 0.3], { atol: 1e-15 });
  t.is(l(0), 0.1);
  t.is(l(4), 0.3); // exactly the end rate
  t.is(l.length, 4);
  // LinearLR(base 0.2, start_factor 0.5, end_factor 1.5, total_iters 10): from 0.1 to 0.3
  close(t, values(linear(0.1, 0.3, 10), 15), torchLinear(0.2, 0.5, 1.5, 10, 15), { atol: 1e-15, rtol: 1e-12 });
  // decreasing too: LinearLR(base 1, 1 → 0.1 over 5)
  close(t, values(linear(1, 0.1, 5), 8), torchLinear(1, 1, 0.1, 5, 8), { atol: 1e-15, rtol: 1e-12 });

  const w = warmup(4, 1);
  t.deepEqual(values(w, 6), [0, 0.25, 0.5, 0.75, 1, 1]);
  t.is(w.length, 4);
  // from > 0: LinearLR(base 1e-3, start_factor 0.1, end_factor 1, total_iters 8)
  close(t, values(warmup(8, 1e-3, { from: 1e-4 }), 12), torchLinear(1e-3, 0.1, 1, 8, 12), { atol: 1e-18, rtol: 1e-12 });
  close(t, warmup(500, 1e-3)(123), (1e-3 * 123) / 500, { atol: 1e-18, rtol: 1e-14 });
});

test('step and exponential: lr·gamma^floor(k / every), PyTorch StepLR and ExponentialLR', (t) => {
  const s = step(0.1, { every: 3, gamma: 0.5 });
  t.deepEqual(values(s, 8), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
  close(t, values(step(0.1, { every: 30 }), 100), torchStep(0.1, 30, 0.1, 100), { atol: 0, rtol: 1e-12 }); // gamma 0.1 by default
  t.is(step(0.1, { every: 30 })(95), 0.1 * 0.1 ** 3);
  t.is(s.length, Number.POSITIVE_INFINITY);

  const e = exponential(1, 0.5);
  t.deepEqual(values(e, 4), [1, 0.5, 0.25, 0.125]);
  close(t, values(exponential(0.01, 0.97), 200), torchExponential(0.01, 0.97, 200), { atol: 0, rtol: 1e-12 });
  close(t, values(exponential(0.01, 0.97, { every: 4 }), 40), torchStep(0.01, 4, 0.97, 40), { atol: 0, rtol: 1e-12 });
  t.is(e.length, Number.POSITIVE_INFINITY);
});

test('cosine: to + (from − to)(1 + cos(π k / steps))/2 up to steps, then to; PyTorch CosineAnnealingLR', (t) => {
  const c = cosine(1, 0, 4);
  close(t, values(c, 7), [1, 0.8535533905932737, 0.5, 0.14644660940672627, 0, 0, 0], { atol: 1e-15 });
  t.is(c(4), 0);
  t.is(c.length, 4);
  const d = cosine(1e-3, 1e-5, 1000);
  t.is(d(0), 1e-3);
  close(t, d(500), (1e-3 + 1e-5) / 2, { atol: 0, rtol: 1e-12 });
  close(t, d(250), 1e-5 + ((1e-3 - 1e-5) * (1 + Math.SQRT1_2)) / 2, { atol: 0, rtol: 1e-12 });
  t.is(d(1000), 1e-5);
  t.is(d(5000), 1e-5); // PyTorch would climb again past T_max; a Fluxion cosine holds its end value
  // CosineAnnealingLR(base 0.1, T_max 50, eta_min 0.001), steps 0..50
  close(t, values(cosine(0.1, 0.001, 50), 51), torchCosine(0.1, 0.001, 50, 51), { atol: 1e-15, rtol: 1e-9 });
  // increasing (eta_min above the base) follows the same formula
  close(t, values(cosine(0.001, 0.1, 20), 21), torchCosine(0.001, 0.1, 20, 21), { atol: 1e-15, rtol: 1e-9 });
});

test('sequence: each part counts from 0; boundaries; explicit lengths; holds the last value after the end', (t) => {
  const s = sequence(warmup(5, 1e-3), cosine(1e-3, 1e-5, 10));
  t.is(s.length, 15);
  close(t, [s(0), s(4)], [0, 0.8e-3], { atol: 1e-18, rtol: 1e-14 });
  t.is(s(5), 1e-3); // the cosine's step 0
  close(t, s(6), 1e-5 + ((1e-3 - 1e-5) * (1 + Math.cos(Math.PI / 10))) / 2, { atol: 0, rtol: 1e-12 });
  close(t, s(14), cosine(1e-3, 1e-5, 10)(9), { atol: 0, rtol: 0 });
  t.is(s(15), 1e-5);
  t.is(s(1_000_000), 1e-5);

  const p = sequence([constant(0.1), 3], [constant(0.01), 2], exponential(0.01, 0.5));
  t.is(p.length, Number.POSITIVE_INFINITY);
  t.deepEqual(values(p, 8), [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005, 0.0025]);

  // [schedule, steps] truncates or extends a part; the last part is held at its end
  const q = sequence([warmup(2, 1), 4], [exponential(1, 0.5), 3]);
  t.is(q.length, 7);
  t.deepEqual(values(q, 10), [0, 0.5, 1, 1, 1, 0.5, 0.25, 0.125, 0.125, 0.125]);

  // sequences nest, and a plain function may be a part given its length (or as the last part)
  const r = sequence(sequence(warmup(2, 1), [constant(1), 1]), [(k: number) => 1 / (k + 1), 2], (k: number) => 0.01 * k);
  t.deepEqual(values(r, 8), [0, 0.5, 1, 1, 0.5, 0, 0.01, 0.02]);
  t.is(r.length, Number.POSITIVE_INFINITY);
  t.is(sequence(cosine(1, 0, 3)).length, 3);
});

test('toString reads as the schedule; schedules are frozen function values made without new', (t) => {
  t.is(String(sequence(warmup(500, 1e-3), cosine(1e-3, 1e-5, 9500))), 'sequence(warmup(500 → 0.001), cosine(0.001 → 0.00001, 9500))');
  t.is(String(warmup(100, 0.1, { from: 0.01 })), 'warmup(100, 0.01 → 0.1)');
  t.is(String(constant(0.1)), 'constant(0.1)');
  t.is(String(linear(1, 0.5, 10)), 'linear(1 → 0.5, 10)');
  t.is(String(exponential(0.1, 0.9)), 'exponential(0.1, gamma=0.9)');
  t.is(String(exponential(0.1, 0.9, { every: 5 })), 'exponential(0.1, gamma=0.9, every=5)');
  t.is(String(step(0.1, { every: 30 })), 'step(0.1, every=30, gamma=0.1)');
  t.is(String(sequence([constant(0.1), 10], [cosine(0.1, 0, 50), 50], [warmup(5, 1), 8], constant(0))), 'sequence([constant(0.1), 10], cosine(0.1 → 0, 50), [warmup(5 → 1), 8], constant(0))');
  t.is(`${cosine(1, 0, 2)}`, 'cosine(1 → 0, 2)');
  const c = cosine(1, 0, 2);
  t.is(typeof c, 'function');
  t.true(Object.isFrozen(c));
  t.is(c.name, 'cosine');
});

test('errors name the schedule, the argument, what was expected and what was received', (t) => {
  const cases: [() => unknown, RegExp][] = [
    [() => cosine(1e-3, 0, 0), /^cosine: expected steps to be a positive integer number of steps, got the number 0$/],
    [() => cosine(1e-3, 0, 2.5), /^cosine: expected steps to be a positive integer/],
    [() => linear(1, 0, -3), /^linear: expected steps to be a positive integer.*got the number -3/],
    [() => warmup(0, 1e-3), /^warmup: expected steps to be a positive integer/],
    [() => warmup(10, Number.NaN), /^warmup: expected lr to be a finite non-negative learning rate, got the number NaN$/],
    [() => warmup(10, 1e-3, { from: -1 }), /^warmup: expected from to be a finite non-negative learning rate, got the number -1$/],
    [() => constant(Number.POSITIVE_INFINITY), /^constant: expected lr to be a finite non-negative learning rate, got the number Infinity$/],
    [() => constant('0.1' as unknown as number), /^constant: expected lr to be .*got the string "0.1"$/],
    [() => cosine(1, Number.NaN, 10), /^cosine: expected to to be a finite/],
    [() => linear(Number.NEGATIVE_INFINITY, 0, 10), /^linear: expected from to be a finite/],
    [() => exponential(0.1, 0), /^exponential: expected gamma to be a finite positive factor, got the number 0$/],
    [() => exponential(0.1, 0.9, { every: 0 }), /^exponential: expected every to be a positive integer/],
    [() => step(0.1, {} as { every: number }), /^step: expected options \{ every, gamma\? \}/],
    [() => step(0.1, { every: 1.5 }), /^step: expected every to be a positive integer/],
    [() => step(0.1, { every: 10, gamma: Number.NaN }), /^step: expected gamma to be a finite positive factor/],
    [() => cosine(1, 0, 10)(-1), /^cosine\(1 → 0, 10\): expected step to be a non-negative integer \(0 = the first optimiser step\), got the number -1$/],
    [() => constant(1)(0.5), /^constant\(1\): expected step to be a non-negative integer.*got the number 0.5$/],
    [() => sequence(), /^sequence: expected at least one schedule$/],
    [() => sequence(constant(1), cosine(1, 0, 5)), /^sequence: part 0 \(constant\(1\)\) never ends, so nothing after it would run; give it a length: \[schedule, steps\]$/],
    [() => sequence((k: number) => k, constant(1)), /^sequence: part 0 \(a function\) never ends/],
    [() => sequence(warmup(5, 1), [constant(1), 0]), /^sequence: expected the steps of part 1 to be a positive integer number of steps, got the number 0$/],
    [() => sequence(warmup(5, 1), 0.1 as unknown as SequencePart), /^sequence: expected part 1 to be a schedule .*got the number 0.1$/],
    [() => sequence([warmup(5, 1)] as unknown as SequencePart), /^sequence: expected part 0 to be a schedule or a pair \[schedule, steps\], got an array of length 1$/],
    [() => sequence(warmup(2, 1), cosine(1, 0, 2))(Number.NaN), /^sequence\(warmup\(2 → 1\), cosine\(1 → 0, 2\)\): expected step/],
  ];
  for (const [f, message] of cases) t.throws(f, { name: 'ArgumentError', message });
});

// A linear model whose gradient is the same at every step: loss = sum(w·x + b) over a batch of
// two rows of ones gives dw = db = 2, so each Descent step changes w by exactly 2·lr.
function linearRun() {
  const model = Dense(1, 1, undefined, { dtype: 'float64', rng: new RNG(1) });
  const data = new DataLoader(ones(6, 1, { dtype: 'float64' }), { batchSize: 2 }); // 3 steps per epoch
  const loss = (m: typeof model, x: Tensor) => m(x).sum();
  return { model, data, loss, opt: setup(new Descent(123), model) }; // the schedule replaces eta = 123
}

test('train applies the schedule before every step, across epochs: StepInfo.lr and the size of each Descent step', (t) => {
  const { model, data, loss, opt } = linearRun();
  const sched = sequence(warmup(3, 0.1, { from: 0.01 }), cosine(0.1, 0.01, 4));
  const seen: StepInfo[] = [];
  const weights = [flat(model.weight)[0]];
  const hist = train(loss, model, data, opt, {
    epochs: 3,
    progress: false,
    schedule: sched,
    callbacks: {
      onStep: (s) => {
        seen.push(s);
        weights.push(flat(model.weight)[0]);
      },
    },
  });
  const expected = values(sched, 9); // warmup 0..2, cosine 3..6, then held at 0.01
  t.deepEqual(seen.map((s) => s.globalStep), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(seen.map((s) => [s.epoch, s.step]), [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3], [3, 1], [3, 2], [3, 3]]);
  t.deepEqual(seen.map((s) => s.lr), expected);
  t.deepEqual(hist.map((e) => e.globalStep), [3, 6, 9]);
  const changes = weights.slice(1).map((w, k) => (weights[k] - w) / 2);
  close(t, changes, expected, { atol: 1e-14, rtol: 1e-12 });
  t.is(String((opt as { weight: { rule: unknown } }).weight.rule), 'Descent(eta=0.01)'); // the last rate set
});

test('the same schedule in a manual loop: adjust(opt, sched(k)) before the k-th update', (t) => {
  const sched = sequence(warmup(2, 0.2), step(0.2, { every: 2, gamma: 0.5 }));
  const a = linearRun();
  train(a.loss, a.model, a.data, a.opt, { epochs: 2, progress: false, schedule: sched });
  const b = linearRun();
  let k = 0;
  for (let epoch = 0; epoch < 2; epoch++)
    for (const x of b.data) {
      adjust(b.opt, sched(k++));
      const { grad } = withGradient((m: typeof b.model) => b.loss(m, x), b.model);
      update(b.opt, b.model, grad[0]);
    }
  t.deepEqual(flat(b.model.weight), flat(a.model.weight));
  t.deepEqual(flat(b.model.bias), flat(a.model.bias));
});

test('train resumes the schedule at startStep, by default startEpoch × batches per epoch; errors', (t) => {
  const sched = linear(1, 0, 20);
  const lrsOf = (opts: { startEpoch?: number; startStep?: number }) => {
    const { model, data, loss, opt } = linearRun();
    const seen: [number, number | undefined][] = [];
    train(loss, model, data, opt, { ...opts, epochs: 1, progress: false, schedule: sched, callbacks: { onStep: (s) => void seen.push([s.globalStep, s.lr]) } });
    return seen;
  };
  t.deepEqual(lrsOf({ startStep: 5 }), [[6, sched(5)], [7, sched(6)], [8, sched(7)]]);
  t.deepEqual(lrsOf({ startEpoch: 2 }), [[7, sched(6)], [8, sched(7)], [9, sched(8)]]);
  t.deepEqual(lrsOf({ startEpoch: 2, startStep: 1 }), [[2, sched(1)], [3, sched(2)], [4, sched(3)]]);

  // without a schedule the steps are still counted, and lr is undefined
  const plain = linearRun();
  const infos: StepInfo[] = [];
  train(plain.loss, plain.model, plain.data, plain.opt, { epochs: 1, progress: false, callbacks: { onStep: (s) => void infos.push(s) } });
  t.deepEqual(infos.map((s) => [s.globalStep, s.lr]), [[1, undefined], [2, undefined], [3, undefined]]);

  const { model, data, loss, opt } = linearRun();
  const run = (opts: object, d: Iterable<unknown> = data) => () => train(loss as (m: typeof model, ...b: unknown[]) => Tensor, model, d, opt, { progress: false, ...opts });
  t.throws(run({ schedule: 0.1 }), { message: /^train: expected schedule to be a learning-rate schedule .*got the number 0.1$/ });
  t.throws(run({ schedule: sched, startStep: -1 }), { message: /^train: expected startStep to be a non-negative integer, got the number -1$/ });
  t.throws(run({ schedule: () => Number.NaN }), { message: /^train: expected the schedule's value at step 0 to be a finite non-negative learning rate, got the number NaN$/ });
  t.throws(run({ schedule: (k: number) => (k < 2 ? 0.1 : -1) }), { message: /^train: expected the schedule's value at step 2 to be .*got the number -1$/ });
  const generator = { *[Symbol.iterator]() { yield ones(2, 1, { dtype: 'float64' }); } };
  t.throws(run({ schedule: sched, startEpoch: 3 }, generator), { message: /^train: resuming at startEpoch 3 with a schedule needs startStep/ });
  t.notThrows(run({ schedule: sched, startEpoch: 3, startStep: 9 }, generator));
});

// A small regression trained with Adam under a warmup + cosine schedule, its rows reshuffled
// every epoch by a seeded DataLoader. `init` seeds the weights.
function regression(init: number) {
  const rng = new RNG(11);
  const X = randn(23, 3, { dtype: 'float64', rng });
  const Y = X.matmul(tensor([[1], [-2], [0.5]], { dtype: 'float64' })).add(0.3);
  const model = Chain(Dense(3, 8, relu, { dtype: 'float64', rng: new RNG(init) }), Dense(8, 1, undefined, { dtype: 'float64', rng: new RNG(init + 1) }));
  const loader = new DataLoader([X, Y], { batchSize: 5, shuffle: true, seed: 4 }); // 5 steps per epoch
  const loss = (m: typeof model, x: Tensor, y: Tensor) => mse(m(x), y);
  return { model, loader, loss, opt: setup(new Adam(0.05), model) };
}
const SCHED = sequence(warmup(4, 0.05, { from: 0.005 }), cosine(0.05, 0.001, 12)); // ends at step 16, then holds

test('an interrupted scheduled run resumed from its checkpoint (model, optimiser, globalStep, loader rng) repeats the uninterrupted run exactly', (t) => {
  const epochs = 5;
  const whole = regression(1);
  const expected: number[] = [];
  train(whole.loss, whole.model, whole.loader, whole.opt, { epochs, progress: false, schedule: SCHED, callbacks: { onStep: (s) => void expected.push(s.loss) } });
  t.is(expected.length, 25);

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fluxion-sched-')), 'run.safetensors');
  const first = regression(1);
  const losses: number[] = [];
  train(first.loss, first.model, first.loader, first.opt, {
    epochs,
    progress: false,
    schedule: SCHED,
    callbacks: {
      onStep: (s) => void losses.push(s.loss),
      onEpoch: (e) => {
        saveState(file, first.model, first.opt, { epoch: e.epoch, step: e.globalStep, rng: first.loader.rng.state });
        return e.epoch === 2 ? 'stop' : undefined; // interrupted after two epochs
      },
    },
  });
  t.is(losses.length, 10);

  // a new process: differently initialised model and a fresh optimiser and loader, then the checkpoint
  const resume = (startStep: (extra: { epoch: number; step: number }) => number | undefined) => {
    const r = regression(99);
    const { extra } = loadState(file, r.model, r.opt) as { extra: { epoch: number; step: number; rng: RNG['state'] } };
    t.deepEqual([extra.epoch, extra.step], [2, 10]);
    r.loader.rng.state = extra.rng;
    const rest: number[] = [];
    const steps: number[] = [];
    train(r.loss, r.model, r.loader, r.opt, {
      epochs: epochs - extra.epoch,
      startEpoch: extra.epoch,
      startStep: startStep(extra),
      progress: false,
      schedule: SCHED,
      callbacks: {
        onStep: (s) => {
          rest.push(s.loss);
          steps.push(s.globalStep);
        },
      },
    });
    return { rest, steps };
  };
  const resumed = resume((extra) => extra.step);
  t.deepEqual(resumed.steps, Array.from({ length: 15 }, (_, i) => 11 + i));
  t.deepEqual([...losses, ...resumed.rest], expected);
  // startStep left out: startEpoch × loader.length is the same position here
  t.deepEqual([...losses, ...resume(() => undefined).rest], expected);
  // the position matters: restarting the schedule from 0 (warmup again) gives another run
  t.notDeepEqual([...losses, ...resume(() => 0).rest], expected);
});
