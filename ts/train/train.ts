// The training loop: for each batch, the loss and its gradient with respect to the model
// (withGradient), then one optimiser step (update). Intermediate tensors of each step are
// released as soon as the step ends, so memory stays flat over long runs. A learning-rate
// schedule sets the rate before every step, from the step count of the whole run.
import { withGradient } from '../autodiff/gradient.js';
import { ArgumentError, FluxionError, expected } from '../errors.js';
import { dispose, tidy } from '../memory.js';
import { Rule } from '../optim/rules.js';
import { NonFiniteError, type StateTree, adjust, update } from '../optim/state.js';
import { Tensor } from '../tensor.js';
import { Progress } from './progress.js';

export interface StepInfo {
  epoch: number;
  step: number; // batch index within the epoch
  /** Optimiser steps taken in the run so far, this one included, counted on from `startStep`: the schedule's position to save for resuming. */
  globalStep: number;
  /** The learning rate the schedule set for this step, schedule(globalStep − 1) (undefined without a schedule). */
  lr: number | undefined;
  loss: number;
}
export interface EpochInfo {
  epoch: number;
  loss: number; // mean loss over the epoch's batches
  seconds: number;
  /** Optimiser steps taken in the run by the end of this epoch (what `startStep` resumes from). */
  globalStep: number;
}
export interface TrainOptions {
  epochs?: number;
  /** Progress bar on a terminal, log lines otherwise; false for silence (default: true). */
  progress?: boolean;
  /** Called after every step / epoch; returning 'stop' ends training. */
  callbacks?: {
    onStep?: (s: StepInfo) => unknown;
    onEpoch?: (e: EpochInfo) => unknown;
  };
  /** First epoch number, when resuming (default 0). */
  startEpoch?: number;
  /**
   * The learning rate at each step: before optimiser step k (0 = the first step of the run,
   * counted across epochs from `startStep`) train calls adjust(optState, schedule(k)).
   * A `schedules` value (`schedules.cosine(1e-3, 1e-5, 10_000)`) or any function step => rate.
   */
  schedule?: (step: number) => number;
  /** Optimiser steps already taken, when resuming: the schedule's position (default startEpoch × data.length; 0 when the data has no length). */
  startStep?: number;
}

/** Observations in a batch: the first dim of its first tensor. */
function batchSize(b: unknown): number {
  if (b instanceof Tensor) return b.ndim > 0 ? b.shape[0] : 1;
  if (Array.isArray(b) && b.length > 0) return batchSize(b[0]);
  if (b !== null && typeof b === 'object') return batchSize(Object.values(b)[0]);
  return 1;
}

/**
 * Trains `model` in place: for each epoch, for each batch of `data`, computes
 * `loss(model, ...batch)` (a tuple batch is spread; anything else is passed as one
 * argument) and applies `update(optState, model, grad)`. Stops with an error on a
 * non-finite loss. With `schedule`, sets the learning rate before every step. Returns the
 * mean loss of every epoch.
 */
export function train<M>(
  loss: (model: M, ...batch: never[]) => Tensor,
  model: M,
  data: Iterable<unknown> & { length?: number },
  optState: StateTree,
  opts: TrainOptions = {},
): EpochInfo[] {
  if (typeof loss !== 'function') throw expected('train', 'loss', 'a function (model, ...batch) => loss', loss);
  if (optState instanceof Rule)
    throw new ArgumentError(`train: expected the optimiser state from setup(rule, model), got the rule ${optState}; call setup first: const opt = setup(${optState}, model)`);
  if (data === null || typeof (data as Iterable<unknown>)[Symbol.iterator] !== 'function')
    throw expected('train', 'data', 'an iterable of batches (e.g. a DataLoader)', data);
  const epochs = opts.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0) throw expected('train', 'epochs', 'a non-negative integer', epochs);
  const start = opts.startEpoch ?? 0;
  const schedule = opts.schedule;
  if (schedule !== undefined && typeof schedule !== 'function')
    throw expected('train', 'schedule', 'a learning-rate schedule (a function step => rate, e.g. schedules.cosine(1e-3, 1e-5, 1000))', schedule);
  let globalStep = firstStep(opts, start, data, schedule !== undefined);
  const history: EpochInfo[] = [];
  const progress = opts.progress === false ? null : new Progress();
  const call = loss as (m: M, ...b: unknown[]) => Tensor;
  for (let epoch = start; epoch < start + epochs; epoch++) {
    const t0 = performance.now();
    let total = 0;
    let steps = 0;
    let seen = 0;
    progress?.startEpoch(epoch + 1, start + epochs, data.length);
    let stop = false;
    const batches = data[Symbol.iterator]();
    for (;;) {
      // The batch is drawn inside the step's scope: a loader's copies (shuffled rows) are
      // released with the step's other intermediates; the caller's own tensors are not.
      let size = 0;
      let lr: number | undefined;
      const value = tidy(() => {
        const next = batches.next();
        if (next.done) return null;
        const batch = next.value;
        size = batchSize(batch);
        const { val, grad } = withGradient((m: M) => (Array.isArray(batch) ? call(m, ...batch) : call(m, batch)), model);
        if (!(val instanceof Tensor) || val.size !== 1)
          throw new ArgumentError('train: the loss function must return a scalar Tensor');
        const v = val.item();
        if (!Number.isFinite(v))
          throw new FluxionError(`train: the loss is ${v} at epoch ${epoch + 1}, step ${steps + 1}; stopping (lower the learning rate, or check the data)`);
        if (schedule) {
          lr = schedule(globalStep);
          if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)
            throw expected('train', `the schedule's value at step ${globalStep}`, 'a finite non-negative learning rate', lr);
          adjust(optState, lr);
        }
        try {
          update(optState, model, grad[0]);
        } catch (e) {
          if (e instanceof NonFiniteError)
            throw new NonFiniteError(`train: at epoch ${epoch + 1}, step ${steps + 1}: ${e.message.replace(/^update: /, '')}`, e.params);
          throw e;
        }
        dispose(grad); // gradients are not needed after the step
        return v;
      });
      if (value === null) break;
      total += value;
      steps++;
      globalStep++;
      seen += size;
      progress?.step(steps, value, seen / ((performance.now() - t0) / 1000));
      if (opts.callbacks?.onStep?.({ epoch: epoch + 1, step: steps, globalStep, lr, loss: value }) === 'stop') {
        stop = true;
        break;
      }
    }
    const info = { epoch: epoch + 1, loss: steps > 0 ? total / steps : Number.NaN, seconds: (performance.now() - t0) / 1000, globalStep };
    history.push(info);
    progress?.endEpoch(info.loss, info.seconds, seen);
    if (stop || opts.callbacks?.onEpoch?.(info) === 'stop') break;
  }
  return history;
}

/** The step count the run starts from: `startStep`, or startEpoch epochs of `data.length` batches. */
function firstStep(opts: TrainOptions, startEpoch: number, data: { length?: number }, scheduled: boolean): number {
  if (opts.startStep !== undefined) {
    if (!Number.isInteger(opts.startStep) || opts.startStep < 0) throw expected('train', 'startStep', 'a non-negative integer', opts.startStep);
    return opts.startStep;
  }
  if (startEpoch === 0) return 0;
  const n = data.length;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return startEpoch * n;
  if (scheduled)
    throw new ArgumentError(
      `train: resuming at startEpoch ${startEpoch} with a schedule needs startStep (the optimiser steps already taken): the data has no length to count an epoch's steps`,
    );
  return 0;
}
