// Mini-batches over tensors, or arrays / objects of tensors that share their first dim
// (observations along the first dimension: batch first). Reshuffled every epoch.
//
// Sharded (`shard: dist`, data-parallel training): every rank holds the same data and the same
// seed, so every rank draws the same order of the epoch; the order is cut into global batches
// of batchSize × size observations and rank r takes the r-th part of each. Together the ranks
// see exactly the batches one process would with batchSize × size, and every rank has the same
// number of batches (their collectives must match): a last global batch too small to split
// evenly gives each rank ⌊its length / size⌋ observations and leaves the rest out.
import { ArgumentError, ShapeError, describe, expected, shapeStr } from '../errors.js';
import { indexSelect, slice } from '../ops/movement.js';
import { RNG } from '../random.js';
import { Tensor } from '../tensor.js';
import { collect, fcollect, fmap, isNode } from '../tree.js';
import { callable } from '../callable.js';
import { boolOption, intOption } from './loader-options.js';

/**
 * Options of `DataLoader`: the batch size (default 1), shuffling (with a seed or a generator), whether
 * to keep the last, smaller batch, and this rank's shard in data-parallel training.
 *
 * ```ts
 * DataLoader(zeros(10, 3), { batchSize: 4, shuffle: true, seed: 1 }).length;   // 3
 * DataLoader(zeros(10, 3), { batchSize: 4, partial: false }).length;   // 2
 * ```
 */
export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  /** Seed of the shuffling generator (or pass `rng`). */
  seed?: number;
  rng?: RNG;
  /** Keep the last, smaller batch (default true). */
  partial?: boolean;
  /** Data-parallel training: this rank's part of every epoch (a Distributed, or any { rank, size }). */
  shard?: { readonly rank: number; readonly size: number };
}

export type Data = Tensor | readonly Tensor[] | { readonly [k: string]: Tensor };

/**
 * Batches of tensors that share their first (observation) dim: a tensor, an array or an object of
 * them, sliced along that dim, in order or shuffled anew every epoch (Flux's DataLoader). Constructible
 * with or without `new`.
 *
 * ```ts
 * const x = arange(10).reshape([5, 2]), y = arange(5);
 * const loader = DataLoader([x, y], { batchSize: 2 });
 * loader.length;   // 3
 * [...loader].map(([xb]) => xb.shape[0]);   // [2, 2, 1]
 * [...DataLoader({ x, y }, { batchSize: 5 })][0].y;   // Tensor [0, 1, 2, 3, 4]
 * ```
 */
class DataLoader<D extends Data> implements Iterable<D> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly partial: boolean;
  /** The shuffling generator; its state is saved with checkpoints to resume exactly. */
  readonly rng: RNG;
  readonly count: number;
  /** This rank and the number of ranks; { rank: 0, size: 1 } when not sharded. */
  readonly shard: { readonly rank: number; readonly size: number };

  constructor(
    readonly data: D,
    opts: DataLoaderOptions = {},
  ) {
    const tensors = leavesOf(data);
    if (tensors.length === 0) throw expected('DataLoader', 'data', 'a tensor, or an array / object of tensors', data);
    this.count = tensors[0].shape[0];
    for (const t of tensors) {
      if (t.ndim === 0) throw new ShapeError('DataLoader: tensors need a first (observation) dim; got a 0-d tensor');
      if (t.shape[0] !== this.count)
        throw new ShapeError(`DataLoader: every tensor needs the same number of observations (first dim); got ${shapeStr(tensors[0].shape)} and ${shapeStr(t.shape)}`);
    }
    if (opts === null || typeof opts !== 'object') throw expected('DataLoader', 'options', 'an options object', opts);
    this.batchSize = intOption('DataLoader', 'batchSize', opts.batchSize, 1, 1);
    this.shuffle = boolOption('DataLoader', 'shuffle', opts.shuffle, false);
    this.partial = boolOption('DataLoader', 'partial', opts.partial, true);
    if (opts.rng !== undefined && !(opts.rng instanceof RNG)) throw expected('DataLoader', 'rng', 'an RNG', opts.rng);
    this.rng = opts.rng ?? new RNG(opts.seed ?? 0);
    const shard = opts.shard ?? { rank: 0, size: 1 };
    if (shard === null || typeof shard !== 'object' || !Number.isInteger(shard.size) || shard.size < 1 || !Number.isInteger(shard.rank) || shard.rank < 0 || shard.rank >= shard.size)
      throw expected('DataLoader', 'shard', 'the Distributed from initDistributed (or { rank, size } with 0 ≤ rank < size)', opts.shard);
    this.shard = shard;
  }

  /** Number of batches per epoch (on every rank, when sharded). */
  get length(): number {
    const global = this.batchSize * this.shard.size;
    const full = Math.floor(this.count / global);
    const rest = this.count - full * global;
    return full + (this.partial && rest >= this.shard.size ? 1 : 0);
  }

  *[Symbol.iterator](): Iterator<D> {
    const order = this.shuffle ? this.rng.permutation(this.count) : null;
    const { rank, size } = this.shard;
    const global = this.batchSize * size;
    for (let b = 0; b < this.length; b++) {
      const first = b * global;
      // this rank's part of the global batch: batchSize each, or an even split of the last one
      const part = Math.min(this.batchSize, Math.floor((Math.min(first + global, this.count) - first) / size));
      const start = first + rank * part;
      const end = start + part;
      const pick = (t: Tensor) => (order ? indexSelect(t, 0, order.slice(start, end)) : slice(t, 0, start, end));
      yield fmap(pick, this.data) as D;
    }
  }
}

function leavesOf(d: unknown): Tensor[] {
  for (const [path, x] of fcollect(d)) if (!isNode(x) && !(x instanceof Tensor))
    throw new ArgumentError(`DataLoader: expected tensors in the data, found ${describe(x)}${path ? ` at ${path}` : ''}`);
  return collect(d);
}

/** DataLoader, constructible with or without `new` (the call keeps the data's type, which `Callable` cannot). */
interface DataLoaderClass {
  new <const D extends Data>(data: D, opts?: DataLoaderOptions): DataLoader<D>;
  <const D extends Data>(data: D, opts?: DataLoaderOptions): DataLoader<D>;
  readonly prototype: DataLoader<Data>;
}
const DataLoader_ = callable(DataLoader) as DataLoaderClass;
type DataLoader_<D extends Data> = DataLoader<D>;
export { DataLoader_ as DataLoader };
