/**
 * Learning-rate schedules as plain values. A schedule is a function from the optimiser step
 * (0 = the first step) to a learning rate, with a readable toString and a `length`: the
 * steps after which it holds its value at `length` (Infinity when it never settles).
 * `train(..., { schedule })` calls adjust(opt, schedule(k)) before its k-th step; a manual
 * loop does the same. The closed forms are those of PyTorch's lr_scheduler (StepLR,
 * ExponentialLR, LinearLR, CosineAnnealingLR); `sequence` chains parts in time, each part
 * counting its steps from 0 (ParameterSchedulers.jl's Sequence).
 *
 * Exported as the namespace `schedules` (`schedules.cosine(...)`): the short names would
 * clash with ops at the top level (`linear` is the dense-layer op).
 *
 * ```ts
 * const { warmup, cosine, sequence } = schedules;
 * const s = sequence(warmup(100, 1e-3), cosine(1e-3, 1e-5, 900));
 * [s(0), s(50), s(100)];   // [0, 0.0005, 0.001]
 * s(1000);   // 0.00001
 * schedules.step(0.1, { every: 10 })(25);   // 0.001
 * ```
 *
 * @module
 */
import { ArgumentError, describe, expected } from '../errors.js';

/**
 * A learning rate for each optimiser step: `sched(k)`, k counted from 0.
 *
 * ```ts
 * const s = schedules.cosine(1e-3, 1e-5, 100);
 * s(0);   // 0.001
 * s(100);   // 0.00001
 * s.length;   // 100
 * ```
 */
export interface Schedule {
  (step: number): number;
  /** Steps until the schedule holds its value (its value at `length` from then on); Infinity if it never does. */
  readonly length: number;
  toString(): string;
}

/** Schedules made here; they know their length (a plain function's `length` is its arity). */
const made = new WeakSet<object>();

function make(name: string, label: string, length: number, at: (k: number) => number): Schedule {
  const f = (k: number): number => {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0)
      throw expected(label, 'step', 'a non-negative integer (0 = the first optimiser step)', k);
    return at(k);
  };
  Object.defineProperties(f, {
    length: { value: length },
    name: { value: name },
    toString: { value: () => label },
  });
  made.add(f);
  return Object.freeze(f) as Schedule;
}

function rate(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw expected(op, arg, 'a finite non-negative learning rate', v);
  return v;
}
function count(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw expected(op, arg, 'a positive integer number of steps', v);
  return v;
}
function factor(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw expected(op, arg, 'a finite positive factor', v);
  return v;
}
function options<T extends object>(op: string, v: T | undefined): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw expected(op, 'options', 'an options object', v);
  return v;
}
/** from at t = 0, to at t = 1, exactly at both ends. */
const lerp = (from: number, to: number, t: number) => from * (1 - t) + to * t;

/** The same rate at every step. */
export function constant(lr: number): Schedule {
  rate('constant', 'lr', lr);
  return make('constant', `constant(${lr})`, Number.POSITIVE_INFINITY, () => lr);
}

/** From `from` at step 0 to `to` at step `steps` in equal steps, then `to` (PyTorch's LinearLR, with rates for its factors). */
export function linear(from: number, to: number, steps: number): Schedule {
  rate('linear', 'from', from);
  rate('linear', 'to', to);
  count('linear', 'steps', steps);
  return make('linear', `linear(${from} → ${to}, ${steps})`, steps, (k) => (k >= steps ? to : lerp(from, to, k / steps)));
}

/** lr·gamma^floor(step / every) (PyTorch's ExponentialLR when every = 1). */
export function exponential(lr: number, gamma: number, opts?: { every?: number }): Schedule {
  rate('exponential', 'lr', lr);
  factor('exponential', 'gamma', gamma);
  const every = count('exponential', 'every', options('exponential', opts).every ?? 1);
  const label = `exponential(${lr}, gamma=${gamma}${every === 1 ? '' : `, every=${every}`})`;
  return make('exponential', label, Number.POSITIVE_INFINITY, (k) => lr * gamma ** Math.floor(k / every));
}

/** lr, multiplied by gamma (default 0.1) every `every` steps (PyTorch's StepLR with step_size = every). */
export function step(lr: number, opts: { every: number; gamma?: number }): Schedule {
  rate('step', 'lr', lr);
  const o = options('step', opts);
  if (o.every === undefined) throw new ArgumentError('step: expected options { every, gamma? } (the rate is multiplied by gamma every `every` steps)');
  const every = count('step', 'every', o.every);
  const gamma = factor('step', 'gamma', o.gamma ?? 0.1);
  return make('step', `step(${lr}, every=${every}, gamma=${gamma})`, Number.POSITIVE_INFINITY, (k) => lr * gamma ** Math.floor(k / every));
}

/**
 * Cosine annealing from `from` at step 0 down to `to` at step `steps`, then `to`:
 * to + (from − to)·(1 + cos(π·step/steps))/2 (PyTorch's CosineAnnealingLR with T_max = steps, eta_min = to).
 */
export function cosine(from: number, to: number, steps: number): Schedule {
  rate('cosine', 'from', from);
  rate('cosine', 'to', to);
  count('cosine', 'steps', steps);
  return make('cosine', `cosine(${from} → ${to}, ${steps})`, steps, (k) =>
    k >= steps ? to : to + ((from - to) * (1 + Math.cos((Math.PI * k) / steps))) / 2,
  );
}

/** Linear warmup from `from` (default 0) at step 0 to `lr` at step `steps`, then `lr`. */
export function warmup(steps: number, lr: number, opts?: { from?: number }): Schedule {
  count('warmup', 'steps', steps);
  rate('warmup', 'lr', lr);
  const from = rate('warmup', 'from', options('warmup', opts).from ?? 0);
  const label = from === 0 ? `warmup(${steps} → ${lr})` : `warmup(${steps}, ${from} → ${lr})`;
  return make('warmup', label, steps, (k) => (k >= steps ? lr : lerp(from, lr, k / steps)));
}

/**
 * A part of a sequence: a schedule (of finite length, unless last) or [schedule, steps] to run it for `steps`.
 *
 * ```ts
 * const s = schedules.sequence([schedules.constant(0.1), 2], schedules.constant(0.01));
 * [s(0), s(1), s(2)];   // [0.1, 0.1, 0.01]
 * ```
 */
export type SequencePart = ((step: number) => number) | readonly [(step: number) => number, number];

/**
 * Schedules one after another, each counting its steps from 0: `sequence(warmup(500, 1e-3),
 * cosine(1e-3, 1e-5, 9500))`. A part runs for its own length, or for `steps` when given as
 * [schedule, steps]; only the last may run forever. After the last part ends the sequence
 * holds that part's value at its end.
 */
export function sequence(...parts: SequencePart[]): Schedule {
  if (parts.length === 0) throw new ArgumentError('sequence: expected at least one schedule');
  const scheds: ((k: number) => number)[] = [];
  const lengths: number[] = [];
  const labels: string[] = [];
  parts.forEach((p, i) => {
    const arg = `part ${i}`;
    const pair = Array.isArray(p);
    if (pair && p.length !== 2) throw expected('sequence', arg, 'a schedule or a pair [schedule, steps]', p);
    const s = (pair ? p[0] : p) as unknown;
    if (typeof s !== 'function') throw expected('sequence', arg, 'a schedule (a function step => learning rate) or [schedule, steps]', s);
    const own = made.has(s) ? (s as Schedule).length : Number.POSITIVE_INFINITY;
    const n = pair ? count('sequence', `the steps of ${arg}`, p[1]) : own;
    if (n === Number.POSITIVE_INFINITY && i < parts.length - 1)
      throw new ArgumentError(
        `sequence: ${arg} (${made.has(s) ? String(s) : describe(s)}) never ends, so nothing after it would run; give it a length: [schedule, steps]`,
      );
    scheds.push(s as (k: number) => number);
    lengths.push(n);
    const label = made.has(s) ? String(s) : describe(s);
    labels.push(pair && n !== own ? `[${label}, ${n}]` : label);
  });
  const total = lengths.reduce((a, b) => a + b, 0);
  const last = parts.length - 1;
  return make('sequence', `sequence(${labels.join(', ')})`, total, (k) => {
    let start = 0;
    for (let i = 0; i < last; i++) {
      if (k < start + lengths[i]) return scheds[i](k - start);
      start += lengths[i];
    }
    return scheds[last](Math.min(k - start, lengths[last]));
  });
}
