// Mini-batches streamed from a dataset on disk (a folder of safetensors shards, written by
// DatasetWriter / writeDataset), with memory bounded by the shuffle buffer, not the data.
//
// How an epoch is shuffled: the rows are cut into blocks (`blockRows` consecutive rows of a
// shard, one read per field each); the blocks are put in a random order; consecutive blocks
// are grouped into windows of at most `buffer` rows; each window's rows are read and put in a
// random order; the batches are cut from the windows one after the other. So a batch mixes
// rows from blocks anywhere in the data, and only a window (or two, where a batch straddles
// them) is in memory, plus the `prefetch` windows a worker thread reads ahead.
//
// Every random choice of an epoch comes from generators seeded by (seed, epoch, window), so
// the order of epoch e is a function of e alone: the loader's position is just { epoch,
// batch } (`state`), and setting it resumes mid-run, or mid-epoch, without replaying
// anything before it.
import { ArgumentError, expected } from '../errors.js';
import { empty } from '../backend/index.js';
import type { TypedArray } from '../dtype.js';
import { type DatasetLayout, openDataset } from '../io/dataset.js';
import type { RNG } from '../random.js';
import { epochRNG, intOption, loaderOptions } from './loader-options.js';
import type { Tensor } from '../tensor.js';
import { type Block, Prefetcher, ShardFiles, readWindow } from './prefetch.js';
import { callable } from '../callable.js';

/**
 * Options of `FileDataLoader`: batching and shuffling as `DataLoader`'s, and how much it reads at once
 * and ahead (a worker thread reads `prefetch` windows ahead).
 *
 * ```ts
 * writeDataset('data-a', [randn(100, 4), arange(100)]);
 * const loader = FileDataLoader('data-a', { batchSize: 32, shuffle: true, seed: 1, prefetch: 0 });
 * loader.length;   // 4
 * loader.close();
 * ```
 */
export interface FileDataLoaderOptions {
  batchSize?: number;
  /** Reshuffle every epoch (a new order per epoch, from `seed` and the epoch number). */
  shuffle?: boolean;
  seed?: number;
  /** Keep the last, smaller batch (default true). */
  partial?: boolean;
  /** Rows held in memory for shuffling: a window (default: as many as fit in 32 MiB, at least one batch). */
  buffer?: number;
  /** Consecutive rows read at once, the unit the block order shuffles (default: buffer / 64, between 1 and 1024). */
  blockRows?: number;
  /**
   * Windows a worker thread reads ahead while the model trains (default 1; 0 reads on the
   * calling thread, when a window is needed). Memory: about (2 + prefetch) × buffer rows.
   */
  prefetch?: number;
}

/**
 * Where a file-backed loader stands: the epoch its next iteration runs, and the batches of it already given.
 *
 * ```ts
 * writeDataset('data-b', arange(10));
 * const loader = FileDataLoader<Tensor>('data-b', { batchSize: 4, prefetch: 0 });
 * const it = loader[Symbol.iterator]();
 * it.next();
 * loader.state;   // { epoch: 0, batch: 1 }: save it with a checkpoint, set it to resume
 * loader.close();
 * ```
 */
export interface LoaderState {
  epoch: number;
  batch: number;
}

interface Plan {
  windows: Block[][];
  /** rows before each window (and the total, last) */
  before: number[];
}

/** Where an iteration is: its epoch and plan, the window it reads from, and the next batch's number. */
interface Pass {
  readonly epoch: number;
  readonly plan: Plan;
  readonly cur: Cursor;
  k: number;
}

/** The cursor of one iteration: the window being read and the next row of it. */
interface Cursor {
  w: number;
  row: number;
  data: Uint8Array[] | null;
  order: number[] | null;
}

/**
 * Batches from a dataset on disk, shaped as it was written (a tensor, an array or an object
 * of tensors). Iterable (for `train`: reads block the thread, the worker having read ahead)
 * and async iterable (for `trainAsync`: waits without blocking the event loop). `state` is
 * the position to save in a checkpoint and to set when resuming.
 *
 * ```ts
 * writeDataset('data-c', { x: randn(10, 3), y: arange(10) });
 * const loader = FileDataLoader<{ x: Tensor; y: Tensor }>('data-c', { batchSize: 4, prefetch: 0 });
 * [...loader].map((b) => b.x.shape[0]);   // [4, 4, 2]
 * loader.close();
 * ```
 */
class FileDataLoader<D = Tensor | Tensor[] | Record<string, Tensor>> implements Iterable<D>, AsyncIterable<D> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly partial: boolean;
  readonly seed: number;
  readonly buffer: number;
  readonly blockRows: number;
  readonly prefetch: number;
  /** Observations in the dataset. */
  readonly count: number;
  private readonly layout: DatasetLayout;
  private readonly blocks: Block[];
  private readonly plans = new Map<number, Plan>();
  private readonly files: ShardFiles;
  private prefetcher: Prefetcher | null = null;
  private position: LoaderState = { epoch: 0, batch: 0 };

  constructor(source: string, opts: FileDataLoaderOptions = {}) {
    const op = 'FileDataLoader';
    ({ batchSize: this.batchSize, shuffle: this.shuffle, partial: this.partial, seed: this.seed } = loaderOptions(op, opts));
    this.layout = openDataset(op, source);
    this.count = this.layout.count;
    const int = (name: string, v: unknown, min: number, dflt: number) => intOption(op, name, v, min, dflt);
    const fit = Math.floor((32 * 2 ** 20) / Math.max(1, this.layout.recordBytes));
    this.buffer = int('buffer', opts.buffer, 1, Math.max(this.batchSize, fit));
    if (this.buffer > 2 ** 24) throw expected(op, 'buffer', 'at most 2^24 rows', this.buffer);
    this.blockRows = Math.min(int('blockRows', opts.blockRows, 1, Math.min(1024, Math.max(1, Math.floor(this.buffer / 64)))), this.buffer);
    this.prefetch = int('prefetch', opts.prefetch, 0, 1);
    this.blocks = [];
    this.layout.shards.forEach((s, i) => {
      for (let start = 0; start < s.rows; start += this.blockRows) this.blocks.push([i, start, Math.min(this.blockRows, s.rows - start)]);
    });
    if (this.blocks.length > 2 ** 24) throw new ArgumentError(`${op}: ${this.blocks.length} blocks of ${this.blockRows} rows are too many (at most 2^24); raise blockRows`);
    this.files = new ShardFiles(this.layout);
  }

  /** Number of batches per epoch. */
  get length(): number {
    return this.partial ? Math.ceil(this.count / this.batchSize) : Math.floor(this.count / this.batchSize);
  }

  /** The position: the epoch the next iteration runs and how many of its batches were already given. Save it with a checkpoint. */
  get state(): LoaderState {
    return { ...this.position };
  }
  set state(s: LoaderState) {
    const ok = s !== null && typeof s === 'object' && Number.isInteger(s.epoch) && s.epoch >= 0 && Number.isInteger(s.batch) && s.batch >= 0 && s.batch <= this.length;
    if (!ok) throw expected('FileDataLoader.state', 'state', `{ epoch, batch } with a non-negative integer epoch and batch in [0, ${this.length}]`, s);
    this.position = s.batch === this.length ? { epoch: s.epoch + 1, batch: 0 } : { epoch: s.epoch, batch: s.batch };
  }

  /** Stops the worker thread and closes the files (the loader reopens them if iterated again). */
  close(): void {
    this.prefetcher?.close();
    this.prefetcher = null;
    this.files.close();
  }

  *[Symbol.iterator](): Iterator<D> {
    const pass = this.begin();
    while (pass.k < this.length) yield this.step(pass);
    this.end(pass);
  }

  [Symbol.asyncIterator](): AsyncIterator<D> {
    const pass = this.begin();
    const done = (): IteratorResult<D> => ({ done: true, value: undefined });
    return {
      // When the windows a batch needs are here, the batch is made within next() itself (so
      // trainAsync sees its tensors made and releases them with the step); otherwise after
      // waiting for them, without blocking the event loop.
      next: (): Promise<IteratorResult<D>> => {
        if (pass.k >= this.length) {
          this.end(pass);
          return Promise.resolve(done());
        }
        const missing = this.windowsOf(pass.plan, pass.cur, this.rowsAt(pass.k)).filter((w) => !this.windowReady(pass.epoch, w));
        if (missing.length === 0) return Promise.resolve({ done: false, value: this.step(pass) });
        return (async () => {
          for (const w of missing) this.arrivedEarly.set(this.key(pass.epoch, w), await this.windowAsync(pass.epoch, w));
          return { done: false, value: this.step(pass) };
        })();
      },
      return: (): Promise<IteratorResult<D>> => Promise.resolve(done()),
    };
  }

  // ------------------------------------------------------------------ one pass, for both iterators

  /** A pass over the epoch from the current position (both iterators step through one). */
  private begin(): Pass {
    const { epoch, batch } = this.position;
    const plan = this.plan(epoch);
    return { epoch, plan, cur: this.locate(plan, batch * this.batchSize), k: batch };
  }

  /** Observations in batch k (the last may be smaller). */
  private rowsAt(k: number): number {
    return Math.min(this.batchSize, this.count - k * this.batchSize);
  }

  /** The pass's next batch (its windows read synchronously where the worker has not delivered them), and the position after it. */
  private step(pass: Pass): D {
    const batch = this.assemble(pass.epoch, pass.plan, pass.cur, this.rowsAt(pass.k), (w) => this.windowSync(pass.epoch, w));
    pass.k++;
    this.position = pass.k === this.length ? { epoch: pass.epoch + 1, batch: 0 } : { epoch: pass.epoch, batch: pass.k };
    return batch;
  }

  /** The pass ran out: release its last window; an epoch without batches still counts as run. */
  private end(pass: Pass): void {
    if (pass.cur.data !== null) this.finished(pass.cur.data);
    pass.cur.data = null;
    if (this.position.epoch === pass.epoch) this.position = { epoch: pass.epoch + 1, batch: 0 };
  }

  // ------------------------------------------------------------------ the epoch's order

  /** An epoch's generator for one purpose: 0 orders the blocks, w + 1 the rows of window w. */
  private rng(epoch: number, part: number): RNG {
    return epochRNG(this.seed, epoch, part);
  }

  private plan(epoch: number): Plan {
    let p = this.plans.get(epoch);
    if (p !== undefined) return p;
    const order = this.shuffle ? this.rng(epoch, 0).permutation(this.blocks.length) : null;
    const windows: Block[][] = [];
    const before = [0];
    let w: Block[] = [];
    let rows = 0;
    for (let i = 0; i < this.blocks.length; i++) {
      const b = this.blocks[order ? order[i] : i];
      if (rows > 0 && rows + b[2] > this.buffer) {
        windows.push(w);
        before.push(before[before.length - 1] + rows);
        w = [];
        rows = 0;
      }
      w.push(b);
      rows += b[2];
    }
    windows.push(w);
    before.push(before[before.length - 1] + rows);
    p = { windows, before };
    // the current epoch and the next (which prefetching reaches into) are enough
    for (const e of this.plans.keys()) if (e < epoch - 1 || e > epoch + 1) this.plans.delete(e);
    this.plans.set(epoch, p);
    return p;
  }

  /** The cursor at row `row` of the epoch. */
  private locate(plan: Plan, row: number): Cursor {
    let w = 0;
    while (w < plan.windows.length - 1 && plan.before[w + 1] <= row) w++;
    return { w, row: row - plan.before[w], data: null, order: null };
  }

  /** The windows a batch of `rows` rows from the cursor reads. */
  private windowsOf(plan: Plan, cur: Cursor, rows: number): number[] {
    const out: number[] = [];
    let w = cur.w;
    let at = cur.row;
    let left = rows;
    while (left > 0 && w < plan.windows.length) {
      const size = plan.before[w + 1] - plan.before[w];
      if (at < size) {
        if (!(w === cur.w && cur.data !== null)) out.push(w);
        left -= size - at;
      }
      w++;
      at = 0;
    }
    return out;
  }

  /** Gathers the next `rows` rows from the cursor into one batch of tensors. */
  private assemble(epoch: number, plan: Plan, cur: Cursor, rows: number, window: (w: number) => Uint8Array[]): D {
    const { fields } = this.layout;
    // rows are gathered straight into the tensors' storage (reused from disposed batches)
    const tensors = fields.map((f) => empty([rows, ...f.rowShape], f.dtype, 'cpu'));
    const outs = tensors.map((t) => {
      const a = t._buf as TypedArray;
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    });
    for (let filled = 0; filled < rows; ) {
      const size = plan.before[cur.w + 1] - plan.before[cur.w];
      if (cur.row >= size) {
        if (cur.data !== null) this.finished(cur.data);
        cur.w++;
        cur.row = 0;
        cur.data = null;
        continue;
      }
      if (cur.data === null) {
        cur.data = window(cur.w);
        cur.order = this.shuffle ? this.rng(epoch, cur.w + 1).permutation(size) : null;
      }
      const take = Math.min(rows - filled, size - cur.row);
      fields.forEach((f, i) => {
        const src = (cur.data as Uint8Array[])[i];
        const dst = outs[i];
        const rb = f.rowBytes;
        const order = cur.order;
        if (order === null) dst.set(src.subarray(cur.row * rb, (cur.row + take) * rb), filled * rb);
        else if (rb <= 64) {
          // small rows (labels): word by word, cheaper than a subarray and a set per row
          const w = rb >> 2;
          const s32 = new Int32Array(src.buffer, src.byteOffset, src.byteLength >> 2);
          const d32 = new Int32Array(dst.buffer, dst.byteOffset, dst.byteLength >> 2);
          for (let j = 0; j < take; j++) {
            const from = order[cur.row + j] * w;
            const to = (filled + j) * w;
            for (let k = 0; k < w; k++) d32[to + k] = s32[from + k];
          }
        } else
          for (let j = 0; j < take; j++) {
            const r = order[cur.row + j];
            dst.set(src.subarray(r * rb, (r + 1) * rb), (filled + j) * rb);
          }
      });
      filled += take;
      cur.row += take;
    }
    const { structure } = this.layout;
    if (structure === 'tensor') return tensors[0] as D;
    if (structure === 'array') return tensors as D;
    return Object.fromEntries(fields.map((f, i) => [f.name, tensors[i]])) as D;
  }

  // ------------------------------------------------------------------ reading windows

  private readonly arrivedEarly = new Map<string, Uint8Array[]>();
  /** The buffers of the last finished window, to read the next one into. */
  private spare: Uint8Array[] | null = null;

  private finished(data: Uint8Array[]): void {
    if (this.prefetcher !== null) this.prefetcher.recycle(data);
    else this.spare = data;
  }

  private readHere(epoch: number, w: number): Uint8Array[] {
    const spare = this.spare;
    this.spare = null;
    return readWindow(this.layout, this.files.fd, this.plan(epoch).windows[w], this.buffer, spare);
  }

  private key(epoch: number, w: number): string {
    return `${epoch}:${w}`;
  }

  /** Window `w` of `epoch` and the `prefetch` windows after it (into the next epoch), in order. */
  private ahead(epoch: number, w: number): { key: string; blocks: Block[] }[] {
    const out: { key: string; blocks: Block[] }[] = [];
    let e = epoch;
    let i = w;
    let plan = this.plan(epoch);
    for (let n = 0; n <= this.prefetch; n++) {
      if (i >= plan.windows.length) {
        e++;
        i = 0;
        plan = this.plan(e);
      }
      out.push({ key: this.key(e, i), blocks: plan.windows[i] });
      i++;
    }
    return out;
  }

  private windowReady(epoch: number, w: number): boolean {
    const key = this.key(epoch, w);
    if (this.arrivedEarly.has(key)) return true;
    if (this.prefetch === 0) return false;
    this.startPrefetch(epoch, w, true);
    return (this.prefetcher as Prefetcher).ready(key);
  }

  /** Has the worker read the windows after window `w` (and `w` itself, unless it is already here). */
  private startPrefetch(epoch: number, w: number, withSelf: boolean): void {
    if (this.prefetcher === null) this.prefetcher = new Prefetcher(this.layout, this.buffer);
    this.prefetcher.want(this.ahead(epoch, w).slice(withSelf ? 0 : 1));
  }

  private windowSync(epoch: number, w: number): Uint8Array[] {
    const key = this.key(epoch, w);
    const early = this.arrivedEarly.get(key);
    if (early !== undefined) {
      this.arrivedEarly.delete(key);
      if (this.prefetch > 0) this.startPrefetch(epoch, w, false);
      return early;
    }
    if (this.prefetch === 0) return this.readHere(epoch, w);
    this.startPrefetch(epoch, w, true);
    return (this.prefetcher as Prefetcher).takeSync(key);
  }

  private async windowAsync(epoch: number, w: number): Promise<Uint8Array[]> {
    if (this.prefetch === 0) return this.readHere(epoch, w);
    this.startPrefetch(epoch, w, true);
    return (this.prefetcher as Prefetcher).takeAsync(this.key(epoch, w));
  }
}

// Constructible with or without `new` (ts/callable.ts).
const FileDataLoader_ = callable(FileDataLoader);
type FileDataLoader_<D = Tensor | Tensor[] | Record<string, Tensor>> = FileDataLoader<D>;
export { FileDataLoader_ as FileDataLoader };
