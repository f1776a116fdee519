// The training loop: for each batch, the loss and its gradient with respect to the model
// (withGradient), then one optimiser step (update). Intermediate tensors of each step are
// released as soon as the step ends, so memory stays flat over long runs. A learning-rate
// schedule sets the rate before every step, from the step count of the whole run; gradients
// of several batches may be accumulated into one step; a validation set may be evaluated as
// training goes (with early stopping), and every event logged as a JSON line.
//
// `train` runs synchronously; `trainAsync` runs the same loop, yielding to the event loop
// between steps (a server stays responsive), stops on an AbortSignal, and takes async
// iterables of batches (streamed data). Both share the Run below, step for step. Loaders:
// DataLoader (in memory) and FileDataLoader (from disk, read synchronously, or awaited in
// trainAsync) work with both; AsyncDataLoader and other async-only sources with trainAsync.
import { withGradient } from '../autodiff/gradient.js';
import { ArgumentError, FluxionError, expected } from '../errors.js';
import { capture, dispose, tidy } from '../memory.js';
import { add, mul } from '../ops/binary.js';
import { Rule } from '../optim/rules.js';
import { NonFiniteError, type StateTree, adjust, update } from '../optim/state.js';
import { Tensor } from '../tensor.js';
import { collect, collectWithPaths, fmapstructure } from '../tree.js';
import { Progress } from './progress.js';

/**
 * What `callbacks.onStep` receives after every optimiser step.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const steps: number[] = [];
 * train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), {
 *   epochs: 2,
 *   progress: false,
 *   callbacks: { onStep: (s) => void steps.push(s.globalStep) },
 * });
 * steps;   // [1, 2, 3, 4, 5, 6, 7, 8]
 * ```
 */
export interface StepInfo {
  epoch: number;
  /** Optimiser steps taken in this epoch, this one included. */
  step: number;
  /** Optimiser steps taken in the run so far, this one included, counted on from `startStep`: the schedule's position to save for resuming. */
  globalStep: number;
  /** The learning rate the schedule set for this step, schedule(globalStep − 1) (undefined without a schedule). */
  lr: number | undefined;
  /** The loss of the step's batch (with `accumulate`, the mean over its batches). */
  loss: number;
}
/**
 * One epoch's summary, as `train` returns them and `callbacks.onEpoch` receives them.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const history = train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), { epochs: 3, progress: false });
 * history.map((e) => e.epoch);   // [1, 2, 3]: counted from 1
 * history[2].globalStep;   // 12
 * ```
 */
export interface EpochInfo {
  epoch: number;
  loss: number; // mean loss over the epoch's steps
  seconds: number;
  /** Optimiser steps taken in the run by the end of this epoch (what `startStep` resumes from). */
  globalStep: number;
  /** The last validation's results, when validating. */
  validation?: Record<string, number>;
}
/**
 * What `callbacks.onValidate` receives after every validation: the mean of every metric.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const seen: number[] = [];
 * train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), {
 *   progress: false,
 *   validate: { data, every: 2 },
 *   callbacks: { onValidate: (v) => void seen.push(v.globalStep) },
 * });
 * seen;   // [2, 4]
 * ```
 */
export interface ValidationInfo {
  epoch: number;
  globalStep: number;
  /** Each metric's mean over the validation data, weighted by batch size. */
  metrics: Record<string, number>;
}
/**
 * What a progress callback receives instead of the bar on stderr.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const events: string[] = [];
 * train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), { progress: (e) => void events.push(e.type) });
 * events;   // ['step', 'step', 'step', 'step', 'epoch']
 * ```
 */
export type ProgressEvent =
  | ({ type: 'step'; epochs: number; steps: number | undefined; samplesPerSecond: number } & StepInfo)
  | ({ type: 'epoch'; epochs: number } & EpochInfo)
  | ({ type: 'validate' } & ValidationInfo);

/**
 * A validation metric: a value for one batch (a number or a one-element tensor), averaged over the data.
 *
 * ```ts
 * const meanOutput: Metric = (m, x) => m(x).mean();
 * meanOutput((x: Tensor) => x.mul(2), tensor([1, 2])).item();   // 3
 * ```
 */
export type Metric<M = any> = (model: M, ...batch: any[]) => number | Tensor;

/**
 * Options of `train`'s validation: the held-out batches, how often, the metrics, and early stopping.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const history = train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), {
 *   epochs: 2,
 *   progress: false,
 *   validate: { data, metrics: { mae: metrics.loss((m, x, y) => mae(m(x), y)) }, earlyStop: { metric: 'mae', patience: 5 } },
 * });
 * typeof history[1].validation?.mae;   // 'number'
 * ```
 */
export interface ValidateOptions<M = any> {
  /** The validation batches (any iterable; a DataLoader without shuffling, say). */
  data: Iterable<unknown>;
  /** Validate after every `every` optimiser steps (default: at the end of every epoch). */
  every?: number;
  /** name → metric; `metrics.loss(fn)` and `metrics.accuracy()` are ready-made. Default: the training loss. */
  metrics?: Record<string, Metric<M>>;
  /** Stop when `metric` has not improved for `patience` validations (by more than `minDelta`). */
  earlyStop?: { metric: string; mode?: 'min' | 'max'; patience?: number; minDelta?: number };
}

/**
 * A stream of JSON lines (a file or process.stdout): one object per event.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const lines: string[] = [];
 * train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), { progress: false, log: { write: (l) => lines.push(l) } });
 * JSON.parse(lines[0]).type;   // 'step'
 * lines.length;   // 5
 * ```
 */
export interface LogStream {
  write(line: string): unknown;
}

/**
 * Options of `train` and `trainAsync`: epochs, progress, callbacks, a learning-rate schedule,
 * gradient accumulation, validation and a JSON-lines log; `startEpoch` and `startStep` to resume.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const history = train((m, x, y) => mse(m(x), y), model, data, setup(Adam(1e-2), model), {
 *   epochs: 10,
 *   accumulate: 2,   // two batches per optimiser step
 *   schedule: schedules.cosine(1e-2, 1e-4, 20),
 *   progress: false,
 * });
 * history.length;   // 10
 * ```
 */
export interface TrainOptions<M = any> {
  epochs?: number;
  /**
   * A progress bar on a terminal, log lines otherwise (true, the default); false for silence;
   * or a function that receives every step, epoch and validation as a ProgressEvent instead.
   */
  progress?: boolean | ((e: ProgressEvent) => void);
  /** Called after every step / epoch / validation; returning 'stop' ends training. */
  callbacks?: {
    onStep?: (s: StepInfo) => unknown;
    onEpoch?: (e: EpochInfo) => unknown;
    onValidate?: (v: ValidationInfo) => unknown;
  };
  /** First epoch number, when resuming (default 0). */
  startEpoch?: number;
  /**
   * The learning rate at each step: before optimiser step k (0 = the first step of the run,
   * counted across epochs from `startStep`) train calls adjust(optState, schedule(k)).
   * A `schedules` value (`schedules.cosine(1e-3, 1e-5, 10_000)`) or any function step => rate.
   */
  schedule?: (step: number) => number;
  /** Optimiser steps already taken, when resuming: the schedule's position (default startEpoch × steps per epoch; 0 when the data has no length). */
  startStep?: number;
  /**
   * Gradients of this many batches are summed and applied as one optimiser step, scaled by
   * 1/k: with a mean loss, k batches of n give the update of one batch of k·n (default 1).
   * An epoch's leftover batches make one last step, scaled by 1/(their count).
   */
  accumulate?: number;
  /** Evaluate metrics on held-out data as training goes (and stop early on one). */
  validate?: ValidateOptions<M>;
  /** Every step, epoch and validation as a JSON line (for servers and log collectors). */
  log?: LogStream;
}

/**
 * Options of `trainAsync`: those of `train`, and a signal that stops it.
 *
 * ```ts
 * const model = Dense(2, 1);
 * const data = DataLoader([randn(8, 2), randn(8, 1)], { batchSize: 2 });
 * const ac = new AbortController();
 * ac.abort();
 * const run = trainAsync((m, x, y) => mse(m(x), y), model, data, setup(Adam(), model), { signal: ac.signal, progress: false });
 * const why = await run.catch((e: Error) => e.name);
 * why;   // 'AbortError'
 * ```
 */
export interface AsyncTrainOptions<M = any> extends TrainOptions<M> {
  /** Aborting rejects the promise with an AbortError after the step in progress; the model keeps every completed step. */
  signal?: AbortSignal;
}

/** Observations in a batch: the first dim of its first tensor. */
function batchSize(b: unknown): number {
  if (b instanceof Tensor) return b.ndim > 0 ? b.shape[0] : 1;
  if (Array.isArray(b) && b.length > 0) return batchSize(b[0]);
  if (b !== null && typeof b === 'object') return batchSize(Object.values(b)[0]);
  return 1;
}

type Batches = Iterable<unknown> | AsyncIterable<unknown>;
/**
 * What a batch gives the loss after the model: a tuple (or array) batch is spread, anything else is one argument.
 *
 * ```ts
 * type A = BatchArgs<[Tensor, number[]]>;   // [Tensor, number[]]: a tuple batch is spread
 * type B = BatchArgs<Tensor>;   // [Tensor]: anything else is one argument
 * const b: B = [zeros(1)];
 * ```
 */
export type BatchArgs<B> = B extends readonly unknown[] ? B : [B];
type LossFn<M> = (m: M, ...b: unknown[]) => Tensor;

/** The sum of two gradient trees of one model, leaf by leaf (null is zero). */
function addGrads(a: unknown, b: unknown): unknown {
  const other = new Map(collectWithPaths(b));
  return fmapstructure((leaf, path) => {
    const y = other.get(path) ?? null;
    if (!(leaf instanceof Tensor)) return y;
    return y === null ? leaf : add(leaf, y);
  }, a);
}

/** One training run: everything the sync and async loops share, step by step. */
class Run<M> {
  readonly history: EpochInfo[] = [];
  readonly epochs: number;
  readonly start: number;
  readonly accumulate: number;
  private globalStep: number;
  private readonly progress: Progress | null;
  private readonly onProgress: ((e: ProgressEvent) => void) | null;
  private readonly call: LossFn<M>;
  // within an epoch
  private epoch = 0;
  private t0 = 0;
  private total = 0;
  private steps = 0;
  private seen = 0;
  private pending: unknown = null; // accumulated gradient
  private pendingLoss = 0;
  private pendingBatches = 0;
  // validation
  private lastValidation: Record<string, number> | undefined;
  private best = Number.NaN;
  private sinceBest = 0;
  stopped = false;

  constructor(
    op: string,
    loss: LossFn<M>,
    readonly model: M,
    readonly data: Batches & { length?: number },
    readonly opt: StateTree,
    readonly opts: TrainOptions<M>,
  ) {
    if (typeof loss !== 'function') throw expected(op, 'loss', 'a function (model, ...batch) => loss', loss);
    if (opt instanceof Rule)
      throw new ArgumentError(`${op}: expected the optimiser state from setup(rule, model), got the rule ${opt}; call setup first: const opt = setup(${opt}, model)`);
    this.call = loss;
    this.epochs = opts.epochs ?? 1;
    if (!Number.isInteger(this.epochs) || this.epochs < 0) throw expected(op, 'epochs', 'a non-negative integer', opts.epochs);
    this.start = opts.startEpoch ?? 0;
    if (opts.schedule !== undefined && typeof opts.schedule !== 'function')
      throw expected(op, 'schedule', 'a learning-rate schedule (a function step => rate, e.g. schedules.cosine(1e-3, 1e-5, 1000))', opts.schedule);
    this.accumulate = opts.accumulate ?? 1;
    if (!Number.isInteger(this.accumulate) || this.accumulate < 1) throw expected(op, 'accumulate', 'a positive integer (batches per optimiser step)', opts.accumulate);
    const v = opts.validate;
    if (v !== undefined) {
      if (v === null || typeof v !== 'object' || v.data === null || typeof (v.data as Iterable<unknown>)?.[Symbol.iterator] !== 'function')
        throw expected(op, 'validate.data', 'an iterable of batches', v?.data);
      if (v.every !== undefined && (!Number.isInteger(v.every) || v.every < 1)) throw expected(op, 'validate.every', 'a positive integer (optimiser steps)', v.every);
      for (const [k, f] of Object.entries(v.metrics ?? {})) if (typeof f !== 'function') throw expected(op, `validate.metrics.${k}`, 'a function (model, ...batch) => number', f);
      const es = v.earlyStop;
      if (es !== undefined && !(es.metric in (v.metrics ?? { loss: 1 })))
        throw new ArgumentError(`${op}: validate.earlyStop.metric '${es.metric}' is not one of the metrics (${Object.keys(v.metrics ?? { loss: 1 }).join(', ')})`);
    }
    if (opts.log !== undefined && typeof opts.log?.write !== 'function') throw expected(op, 'log', 'a writable stream (an object with write(line))', opts.log);
    this.globalStep = this.firstStep(op);
    this.onProgress = typeof opts.progress === 'function' ? opts.progress : null;
    this.progress = opts.progress === false || this.onProgress !== null ? null : new Progress();
  }

  /** The step count the run starts from: `startStep`, or startEpoch epochs of steps. */
  private firstStep(op: string): number {
    const { startStep } = this.opts;
    if (startStep !== undefined) {
      if (!Number.isInteger(startStep) || startStep < 0) throw expected(op, 'startStep', 'a non-negative integer', startStep);
      return startStep;
    }
    if (this.start === 0) return 0;
    const n = this.data.length;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return this.start * Math.ceil(n / this.accumulate);
    if (this.opts.schedule !== undefined)
      throw new ArgumentError(
        `${op}: resuming at startEpoch ${this.start} with a schedule needs startStep (the optimiser steps already taken): the data has no length to count an epoch's steps`,
      );
    return 0;
  }

  startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.t0 = performance.now();
    this.total = 0;
    this.steps = 0;
    this.seen = 0;
    this.progress?.startEpoch(epoch + 1, this.start + this.epochs, this.stepsPerEpoch());
  }

  private stepsPerEpoch(): number | undefined {
    const n = this.data.length;
    return typeof n === 'number' ? Math.ceil(n / this.accumulate) : undefined;
  }

  /**
   * One batch: its loss and gradient, added to the pending ones; an optimiser step every
   * `accumulate` batches. `made`: the tensors the loader made for it, released after.
   */
  batch(batch: unknown, made: readonly Tensor[] = []): void {
    const size = batchSize(batch);
    const k = this.accumulate;
    // the batch's tensors and every intermediate are released at the end of the scope; the
    // accumulated gradient is what the scope returns
    const result = tidy(() => {
      const { val, grad } = withGradient((m: unknown) => (Array.isArray(batch) ? this.call(m as M, ...batch) : this.call(m as M, batch)), this.model as unknown);
      if (!(val instanceof Tensor) || val.size !== 1) throw new ArgumentError('train: the loss function must return a scalar Tensor');
      const v = val.item();
      if (!Number.isFinite(v))
        throw new FluxionError(`train: the loss is ${v} at epoch ${this.epoch + 1}, step ${this.steps + 1}; stopping (lower the learning rate, or check the data)`);
      const pending = this.pending === null ? grad[0] : addGrads(this.pending, grad[0]);
      return { v, pending };
    });
    for (const t of made) t.dispose(); // the loader's copies for this batch
    if (this.pending !== null) {
      // the old sum, but for the leaves the new one took over (a parameter without a gradient in this batch)
      const kept = new Set(collect(result.pending));
      for (const t of collect(this.pending)) if (!kept.has(t)) t.dispose();
    }
    this.pending = result.pending;
    this.pendingLoss += result.v;
    this.pendingBatches++;
    this.seen += size;
    if (this.pendingBatches === k) this.step();
  }

  /** Applies the pending gradient as one optimiser step (scaled by 1/batches when accumulated). */
  private step(): void {
    const n = this.pendingBatches;
    if (n === 0) return;
    let lr: number | undefined;
    const { schedule } = this.opts;
    if (schedule) {
      lr = schedule(this.globalStep);
      if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)
        throw expected('train', `the schedule's value at step ${this.globalStep}`, 'a finite non-negative learning rate', lr);
      adjust(this.opt, lr);
    }
    const grad = this.pending;
    tidy(() => {
      const g = n === 1 ? grad : fmapstructure((leaf) => (leaf instanceof Tensor ? mul(leaf, 1 / n) : null), grad);
      try {
        update(this.opt, this.model, g);
      } catch (e) {
        if (e instanceof NonFiniteError)
          throw new NonFiniteError(`train: at epoch ${this.epoch + 1}, step ${this.steps + 1}: ${e.message.replace(/^update: /, '')}`, e.params);
        throw e;
      }
    });
    dispose(grad); // gradients are not needed after the step
    const loss = this.pendingLoss / n;
    this.pending = null;
    this.pendingLoss = 0;
    this.pendingBatches = 0;
    this.total += loss;
    this.steps++;
    this.globalStep++;
    const info: StepInfo = { epoch: this.epoch + 1, step: this.steps, globalStep: this.globalStep, lr, loss };
    this.progress?.step(this.steps, loss, this.seen / ((performance.now() - this.t0) / 1000));
    this.emit({ type: 'step', ...info, epochs: this.start + this.epochs, steps: this.stepsPerEpoch(), samplesPerSecond: this.seen / ((performance.now() - this.t0) / 1000) });
    if (this.opts.callbacks?.onStep?.(info) === 'stop') this.stopped = true;
    const every = this.opts.validate?.every;
    if (every !== undefined && this.globalStep % every === 0) this.validate();
  }

  endEpoch(): void {
    this.step(); // leftover accumulated batches
    if (this.opts.validate !== undefined && this.opts.validate.every === undefined && !this.stopped) this.validate();
    const info: EpochInfo = {
      epoch: this.epoch + 1,
      loss: this.steps > 0 ? this.total / this.steps : Number.NaN,
      seconds: (performance.now() - this.t0) / 1000,
      globalStep: this.globalStep,
    };
    if (this.lastValidation !== undefined) info.validation = this.lastValidation;
    this.history.push(info);
    this.progress?.endEpoch(info.loss, info.seconds, this.seen);
    this.emit({ type: 'epoch', ...info, epochs: this.start + this.epochs });
    if (this.opts.callbacks?.onEpoch?.(info) === 'stop') this.stopped = true;
  }

  /** Every metric over the validation data (no gradient, so Dropout and the like are off). */
  private validate(): void {
    const v = this.opts.validate as ValidateOptions<M>;
    const metrics: Record<string, Metric<M>> = v.metrics ?? { loss: (m, ...b) => this.call(m, ...b) };
    const sums: Record<string, number> = {};
    let weight = 0;
    const it = v.data[Symbol.iterator]();
    for (;;) {
      const { value: next, tensors: made } = capture(() => it.next());
      if (next.done) break;
      const batch = next.value;
      const w = batchSize(batch);
      tidy(() => {
        for (const [name, f] of Object.entries(metrics)) {
          const r = Array.isArray(batch) ? f(this.model, ...batch) : f(this.model, batch);
          const x = r instanceof Tensor ? r.item() : r;
          if (typeof x !== 'number') throw expected('train', `the validation metric '${name}'`, 'a number or a one-element Tensor', r);
          sums[name] = (sums[name] ?? 0) + x * w;
        }
      });
      for (const t of made) t.dispose();
      weight += w;
    }
    const results = Object.fromEntries(Object.keys(metrics).map((k) => [k, weight > 0 ? (sums[k] ?? 0) / weight : Number.NaN]));
    this.lastValidation = results;
    const info: ValidationInfo = { epoch: this.epoch + 1, globalStep: this.globalStep, metrics: results };
    this.emit({ type: 'validate', ...info });
    if (this.opts.callbacks?.onValidate?.(info) === 'stop') this.stopped = true;
    const es = v.earlyStop;
    if (es !== undefined) {
      const x = results[es.metric];
      const better = es.mode === 'max' ? x > this.best + (es.minDelta ?? 0) : x < this.best - (es.minDelta ?? 0);
      if (Number.isNaN(this.best) || better) {
        this.best = x;
        this.sinceBest = 0;
      } else if (++this.sinceBest >= (es.patience ?? 1)) this.stopped = true;
    }
  }

  private emit(e: ProgressEvent): void {
    this.onProgress?.(e);
    this.opts.log?.write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`);
  }
}

function checkData(op: string, data: unknown, async: boolean): void {
  const iterable = data !== null && typeof data === 'object' && typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function';
  const asyncIterable = data !== null && typeof data === 'object' && typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
  if (iterable || (async && asyncIterable)) return;
  if (asyncIterable) throw new ArgumentError(`${op}: the data is an async iterable (streamed): use trainAsync, which awaits each batch`);
  throw expected(op, 'data', 'an iterable of batches (e.g. a DataLoader)', data);
}

/**
 * Trains `model` in place: for each epoch, for each batch of `data`, computes
 * `loss(model, ...batch)` (a tuple batch is spread; anything else is passed as one
 * argument) and applies `update(optState, model, grad)`. Stops with an error on a
 * non-finite loss or step. With `schedule`, sets the learning rate before every step;
 * `accumulate`, `validate` and `log` as in TrainOptions. Returns the epochs' summaries.
 *
 * ```ts
 * const model = Dense(1, 1);
 * const x = tensor([[1], [2], [3], [4]]), y = x.mul(2).add(1);
 * const opt = setup(Adam(0.1), model);
 * const history = train((m, x, y) => mse(m(x), y), model, DataLoader([x, y], { batchSize: 2 }), opt, { epochs: 100, progress: false });
 * history.length;   // 100
 * history[99].loss < 0.1 * history[0].loss;   // true
 * ```
 */
export function train<M, B>(
  loss: (model: M, ...batch: BatchArgs<B>) => Tensor,
  model: M,
  data: Iterable<B> & { length?: number },
  optState: StateTree,
  opts: TrainOptions<M> = {},
): EpochInfo[] {
  checkData('train', data, false);
  const run = new Run('train', loss as unknown as LossFn<M>, model, data, optState, opts);
  for (let epoch = run.start; epoch < run.start + run.epochs && !run.stopped; epoch++) {
    run.startEpoch(epoch);
    const it = (data as Iterable<unknown>)[Symbol.iterator]();
    for (;;) {
      // drawn so that the loader's copies are known and released with the step
      const { value: next, tensors } = capture(() => it.next());
      if (next.done) break;
      run.batch(next.value, tensors);
      if (run.stopped) {
        it.return?.();
        break;
      }
    }
    run.endEpoch();
  }
  return run.history;
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * Lets the event loop run between two steps. One turn of the loop is not enough for a request:
 * accepting a connection, reading the request and writing the answer take a turn each, so the
 * loop gets three turns (a few microseconds each when nothing waits).
 */
async function yieldToEventLoop(): Promise<void> {
  for (let i = 0; i < 3; i++) await immediate();
}

/**
 * `train`, as a Promise: the same arguments and result, but the loop yields to the event loop
 * after every batch, so a server keeps answering requests while it trains. `data` may also be
 * an async iterable (batches streamed from disk or the network). `signal` stops it: the promise
 * rejects with an AbortError, the model keeping every completed step.
 *
 * ```ts
 * const model = Dense(1, 1);
 * const data = DataLoader([tensor([[1], [2]]), tensor([[3], [5]])]);
 * const history = await trainAsync((m, x, y) => mse(m(x), y), model, data, setup(Descent(0.05), model), { epochs: 3, progress: false });
 * history.length;   // 3
 * ```
 */
export async function trainAsync<M, B>(
  loss: (model: M, ...batch: BatchArgs<B>) => Tensor,
  model: M,
  data: (Iterable<B> | AsyncIterable<B>) & { length?: number },
  optState: StateTree,
  opts: AsyncTrainOptions<M> = {},
): Promise<EpochInfo[]> {
  checkData('trainAsync', data, true);
  const { signal } = opts;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw expected('trainAsync', 'signal', 'an AbortSignal', signal);
  const run = new Run('trainAsync', loss as unknown as LossFn<M>, model, data, optState, opts);
  const aborted = () => {
    if (!signal?.aborted) return;
    if (signal.reason instanceof Error && signal.reason.name !== 'AbortError') throw signal.reason;
    throw Object.assign(new Error('trainAsync: aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
  };
  aborted();
  const isAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
  for (let epoch = run.start; epoch < run.start + run.epochs && !run.stopped; epoch++) {
    run.startEpoch(epoch);
    const it = isAsync ? (data as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (data as Iterable<unknown>)[Symbol.iterator]();
    for (;;) {
      await yieldToEventLoop();
      aborted();
      // a sync iterator's batch is made in next() (its copies are released with the step); an
      // async one's after awaits, where other tasks run too: those the garbage collector releases
      const { value: pending, tensors } = capture(() => it.next());
      const next = await pending;
      if (next.done) break;
      // an async loader may make tensors in next() that it keeps for later batches (the
      // observations in a shuffle buffer): of those, only the batch's are released with the step
      const inBatch = isAsync ? new Set(collect(next.value)) : null;
      run.batch(next.value, inBatch ? tensors.filter((t) => inBatch.has(t)) : tensors);
      if (run.stopped) {
        await it.return?.();
        break;
      }
    }
    run.endEpoch();
  }
  return run.history;
}

/**
 * Ready-made validation metrics.
 *
 * ```ts
 * const scores = (x: Tensor) => x;   // a model that returns its input
 * metrics.accuracy()(scores, tensor([[0.9, 0.1], [0.2, 0.8]]), [0, 0]);   // 0.5
 * metrics.loss((m, x, y) => mse(m(x), y))(scores, tensor([1, 2]), tensor([1, 4]));   // 2
 * ```
 */
export const metrics = {
  /** The mean of a loss function over the validation data: `metrics.loss((m, x, y) => mse(m(x), y))`. */
  loss<M>(fn: (model: M, ...batch: any[]) => Tensor): Metric<M> {
    if (typeof fn !== 'function') throw expected('metrics.loss', 'fn', 'a function (model, ...batch) => loss', fn);
    return (m, ...b) => fn(m, ...b);
  },
  /** The fraction of rows whose largest output is the label (`y` integer labels, or one-hot rows). */
  accuracy<M extends (x: Tensor) => Tensor>(): Metric<M> {
    return (m: M, x: Tensor, y: Tensor | number[]) => {
      const pred = m(x).argmax(-1);
      const labels = y instanceof Tensor ? (y.ndim === pred.ndim ? y : y.argmax(-1)) : y;
      const want = labels instanceof Tensor ? Array.from(labels.data()) : labels;
      const got = pred.data();
      let hits = 0;
      for (let i = 0; i < got.length; i++) if (got[i] === want[i]) hits++;
      return got.length === 0 ? 0 : hits / got.length;
    };
  },
};
