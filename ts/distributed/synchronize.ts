// Makes every rank start from the same model: root's tensors (parameters and buffers such as
// running statistics) and, when given, root's optimiser state are broadcast to every rank.
// The structure is checked first (root's list of paths, shapes and dtypes against each rank's),
// so ranks that built different models fail with an error naming the difference instead of
// exchanging bytes that do not fit.
import { ArgumentError, expected } from '../errors.js';
import { type StateTree, stateLeaves } from '../optim/state.js';
import { Tensor } from '../tensor.js';
import { children, collectWithPaths, isNode, joinPath } from '../tree.js';
import { broadcastBuckets } from './buckets.js';
import { Distributed, DistributedError } from './group.js';

/**
 * Options of `synchronize`: `root`, the rank whose values every rank takes (default 0), and
 * `state`, an optimiser state to send along.
 *
 * ```ts no-run
 * synchronize(dist, model, { root: 0, state: opt });
 * ```
 */
export interface SynchronizeOptions {
  /** The rank whose values every rank gets (default 0). */
  root?: number;
  /** Optimiser state (from `setup`) to synchronise too: its tensors and its numbers (Adam's step count). */
  state?: StateTree;
}

/** Number fields of an optimiser leaf's state, by path (tensors are collected separately). */
function numbersOf(x: unknown, path: string, out: [string, { obj: Record<string, unknown>; key: string }][]): void {
  if (!isNode(x)) return;
  for (const [k, v] of children(x)) {
    if (typeof v === 'number') out.push([joinPath(path, k), { obj: x as Record<string, unknown>, key: k }]);
    else if (isNode(v)) numbersOf(v, joinPath(path, k), out);
  }
}

/**
 * Every rank gets root's tensors of `model` (and of `opts.state`), in place. Returns the model.
 *
 * ```ts no-run
 * const opt = setup(Adam(), model);
 * synchronize(dist, model, { state: opt });   // every rank starts from rank 0's weights and state
 * ```
 */
export function synchronize<M>(dist: Distributed, model: M, opts: SynchronizeOptions = {}): M {
  if (!(dist instanceof Distributed)) throw expected('synchronize', 'dist', 'the Distributed from initDistributed', dist);
  const root = opts.root ?? 0;
  if (!Number.isInteger(root) || root < 0 || root >= dist.size) throw expected('synchronize', 'root', `a rank in [0, ${dist.size - 1}]`, root);
  dist.usable('synchronize');
  const tensors = collectWithPaths(model);
  if (tensors.length === 0 && opts.state === undefined) throw new ArgumentError('synchronize: the model holds no tensors');
  const numbers: [string, { obj: Record<string, unknown>; key: string }][] = [];
  if (opts.state !== undefined && opts.state !== null) {
    for (const [p, leaf] of stateLeaves(opts.state)) {
      for (const [q, t] of collectWithPaths(leaf.state)) tensors.push([joinPath(`state.${p}`, q), t]);
      numbersOf(leaf.state, `state.${p}`, numbers);
    }
  }
  checkSameStructure(dist, root, [
    ...tensors.map(([p, t]) => `${p}:${t.dtype}[${t.shape.join(',')}]`),
    ...numbers.map(([p]) => `${p}:number`),
  ]);
  broadcastBuckets(
    dist,
    tensors.map(([, t]) => t),
    root,
  );
  if (numbers.length > 0) {
    const values = new Float64Array(numbers.map(([, r]) => r.obj[r.key] as number));
    dist._broadcastBytes(values, root);
    numbers.forEach(([, r], i) => {
      r.obj[r.key] = values[i];
    });
  }
  return model;
}

/** Throws on every rank whose list of entries differs from root's, naming the first difference. */
function checkSameStructure(dist: Distributed, root: number, entries: string[]): void {
  const mine = new TextEncoder().encode(entries.join('\n'));
  const length = new Float64Array([mine.length]);
  dist._broadcastBytes(length, root);
  const theirs = dist.rank === root ? mine : new Uint8Array(length[0]);
  dist._broadcastBytes(theirs, root);
  // every rank learns whether any rank differs, so all fail together (none waits in a broadcast)
  const differs = new Float64Array([Buffer.compare(Buffer.from(mine), Buffer.from(theirs)) === 0 ? 0 : 1]);
  const flag = new Tensor(differs, [1], 'float64');
  dist.allReduce(flag, 'max');
  if (differs[0] === 0) return;
  const rootEntries = new TextDecoder().decode(theirs).split('\n');
  const i = entries.findIndex((e, k) => e !== rootEntries[k]);
  const what =
    dist.rank === root || (i < 0 && entries.length === rootEntries.length)
      ? 'another rank has a different model or optimiser state'
      : i < 0
        ? `rank ${root} has ${rootEntries.length} entries but rank ${dist.rank} has ${entries.length}`
        : `rank ${root} has ${rootEntries[i] ?? 'nothing'} where rank ${dist.rank} has ${entries[i]}`;
  throw new DistributedError(`synchronize: the ranks hold different models: ${what} (every rank must build the same model)`);
}
