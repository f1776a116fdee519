// Mini-batches from a stream of observations (an async iterable: rows from a database, a
// socket, a decoder), shuffled through a buffer: the first `buffer` observations fill it, then
// each one that arrives takes the place of a randomly chosen one, which goes out. Memory holds
// the buffer and one batch, whatever the stream's length.
//
// It is async iterable only, so it trains with `trainAsync`; `train` (synchronous) cannot
// await a stream and says so. The order of epoch e is drawn from (seed, e), so with a source
// that gives the same observations every epoch (a function epoch => iterable), `state` =
// { epoch, batch } resumes a run: the batches before it are drawn again and dropped.
import { ArgumentError, describe, expected } from '../errors.js';
import { stack } from '../ops/movement.js';
import { Tensor } from '../tensor.js';
import { epochRNG, intOption, loaderOptions } from './loader-options.js';
import type { LoaderState } from './streaming.js';
import { callable } from '../callable.js';

/**
 * One observation: a tensor, or an array / object of tensors (no batch dim: they are stacked).
 *
 * ```ts
 * async function* observations() {
 *   for (let i = 0; i < 3; i++) yield [tensor([i, i]), tensor(i)] as Observation;
 * }
 * const loader = AsyncDataLoader(observations(), { batchSize: 3 });
 * ```
 */
export type Observation = Tensor | readonly Tensor[] | { readonly [k: string]: Tensor };
type Source<O> = AsyncIterable<O> | Iterable<O>;

/**
 * Options of `AsyncDataLoader`: the batch size, shuffling through a buffer of observations, and
 * whether to keep the last, smaller batch.
 *
 * ```ts
 * const loader = AsyncDataLoader((epoch) => [tensor([epoch]), tensor([epoch + 1])], { batchSize: 2, shuffle: true, buffer: 64, seed: 1 });
 * loader.batchSize;   // 2
 * ```
 */
export interface AsyncDataLoaderOptions {
  batchSize?: number;
  /** Shuffle through a buffer (a new order every epoch, from `seed` and the epoch number). */
  shuffle?: boolean;
  /** Observations held for shuffling (default 1024). */
  buffer?: number;
  seed?: number;
  /** Keep the last, smaller batch (default true). */
  partial?: boolean;
}

/**
 * Batches of a stream of observations (stacked along a new first dim), for `trainAsync`.
 *
 * ```ts
 * async function* rows() {
 *   for (let i = 0; i < 5; i++) yield tensor([i, 2 * i]);
 * }
 * const sizes: number[] = [];
 * for await (const batch of AsyncDataLoader(rows(), { batchSize: 2 })) sizes.push(batch.shape[0]);
 * sizes;   // [2, 2, 1]
 * ```
 */
class AsyncDataLoader<D = Tensor | Tensor[] | Record<string, Tensor>> implements AsyncIterable<D> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly buffer: number;
  readonly seed: number;
  readonly partial: boolean;
  private readonly source: (epoch: number) => Source<Observation>;
  private position: LoaderState = { epoch: 0, batch: 0 };
  private seenOne = false;

  /**
   * `source`: the observations of every epoch, as a function epoch => (async) iterable, or
   * one (async) iterable, for a single epoch unless it can be iterated again.
   */
  constructor(source: Source<Observation> | ((epoch: number) => Source<Observation>), opts: AsyncDataLoaderOptions = {}) {
    const op = 'AsyncDataLoader';
    const iterable = (x: unknown) =>
      x !== null && typeof x === 'object' && (typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function');
    if (typeof source === 'function') this.source = source;
    else if (iterable(source)) this.source = () => source;
    else throw expected(op, 'source', 'an async iterable of observations, or a function epoch => one', source);
    ({ batchSize: this.batchSize, shuffle: this.shuffle, partial: this.partial, seed: this.seed } = loaderOptions(op, opts));
    this.buffer = intOption(op, 'buffer', opts.buffer, 1, 1024);
  }

  /** The position: the epoch the next iteration runs and how many of its batches were already given. Save it with a checkpoint. */
  get state(): LoaderState {
    return { ...this.position };
  }
  set state(s: LoaderState) {
    const ok = s !== null && typeof s === 'object' && Number.isInteger(s.epoch) && s.epoch >= 0 && Number.isInteger(s.batch) && s.batch >= 0;
    if (!ok) throw expected('AsyncDataLoader.state', 'state', '{ epoch, batch } of non-negative integers', s);
    this.position = { epoch: s.epoch, batch: s.batch };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<D> {
    const { epoch, batch: skip } = this.position;
    const src = this.source(epoch);
    const it =
      typeof (src as AsyncIterable<Observation>)[Symbol.asyncIterator] === 'function'
        ? (src as AsyncIterable<Observation>)[Symbol.asyncIterator]()
        : (src as Iterable<Observation>)[Symbol.iterator]();
    const rng = epochRNG(this.seed, epoch);
    const pool: Observation[] = [];
    let batch: Observation[] = [];
    let given = 0; // batches drawn this epoch (dropped ones included)
    let observations = 0;
    const out = (o: Observation): D | null => {
      batch.push(o);
      if (batch.length < this.batchSize) return null;
      const b = batch;
      batch = [];
      return this.take(b, ++given <= skip);
    };
    try {
      for (;;) {
        const next = await it.next();
        if (next.done) break;
        const o = next.value;
        observations++;
        let leaving = o;
        if (this.shuffle) {
          if (pool.length < this.buffer) {
            pool.push(o);
            continue;
          }
          const j = Math.floor(rng.nextFloat() * pool.length);
          leaving = pool[j];
          pool[j] = o;
        }
        const b = out(leaving);
        if (b !== null) yield this.advance(epoch, given, b);
      }
      // the buffer's last observations, in random order
      while (pool.length > 0) {
        const j = Math.floor(rng.nextFloat() * pool.length);
        const o = pool[j];
        pool[j] = pool[pool.length - 1];
        pool.pop();
        const b = out(o);
        if (b !== null) yield this.advance(epoch, given, b);
      }
      if (batch.length > 0 && this.partial) {
        const last = batch;
        batch = [];
        const b = this.take(last, ++given <= skip);
        if (b !== null) yield this.advance(epoch, given, b);
      }
    } finally {
      await it.return?.();
    }
    if (observations === 0 && this.seenOne)
      throw new ArgumentError(
        `AsyncDataLoader: the source gave no observations in epoch ${epoch + 1}; a stream iterates once: pass a function epoch => stream to stream more than one epoch`,
      );
    if (observations > 0) this.seenOne = true;
    this.position = { epoch: epoch + 1, batch: 0 };
  }

  private advance(epoch: number, given: number, b: D): D {
    this.position = { epoch, batch: given };
    return b;
  }

  /** The batch of these observations, stacked (null for a batch dropped before the resumed position). */
  private take(obs: Observation[], drop: boolean): D | null {
    if (drop) return null;
    const first = obs[0];
    if (first instanceof Tensor) return stack(obs.map((o) => this.check(o, first) as Tensor)) as D;
    if (first === null || typeof first !== 'object') throw this.bad(first);
    const keys = Object.keys(first);
    const parts = keys.map((k) => stack(obs.map((o) => this.field(this.check(o, first), k))));
    if (Array.isArray(first)) return parts as D;
    return Object.fromEntries(keys.map((k, i) => [k, parts[i]])) as D;
  }

  private check(o: Observation, first: Observation): Observation {
    const same = o instanceof Tensor ? first instanceof Tensor : o !== null && typeof o === 'object' && !(first instanceof Tensor) && Array.isArray(o) === Array.isArray(first);
    if (!same) throw this.bad(o);
    return o;
  }

  private field(o: Observation, k: string): Tensor {
    const t = (o as Record<string, unknown>)[k];
    if (!(t instanceof Tensor)) throw new ArgumentError(`AsyncDataLoader: expected a tensor at '${k}' of every observation, got ${describe(t)}`);
    return t;
  }

  private bad(o: unknown): ArgumentError {
    return new ArgumentError(`AsyncDataLoader: expected observations shaped alike (a tensor, or an array / object of tensors), got ${describe(o)}`);
  }
}

// Constructible with or without `new` (ts/callable.ts).
const AsyncDataLoader_ = callable(AsyncDataLoader);
type AsyncDataLoader_<D = Tensor | Tensor[] | Record<string, Tensor>> = AsyncDataLoader<D>;
export { AsyncDataLoader_ as AsyncDataLoader };
