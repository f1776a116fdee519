// Collectives over many tensors at once: the tensors are packed into a few flat buffers
// ("buckets") of one dtype and device, each reduced or broadcast with one call, then the results
// are read back as views of the buckets. One call per bucket instead of one per tensor: the
// per-call latency (microseconds over shared memory, tens over a network) is paid a few times
// per step, not once per parameter, and the bandwidth term is the same.
import { copyInto, empty } from '../backend/index.js';
import { BYTES_PER_ELEMENT, type DType, type Device } from '../dtype.js';
import { Tensor } from '../tensor.js';
import type { Distributed, ReduceOp } from './group.js';

/** Default bucket size: 25 MiB (docs/distributed.md says why). */
export const DEFAULT_BUCKET_BYTES = 25 * 2 ** 20;

interface Bucket {
  dtype: DType;
  device: Device;
  items: number[];
  elements: number;
}

/** Splits tensors (in order) into buckets of one dtype and device and at most `bucketBytes` (a larger tensor is a bucket of its own). */
function plan(ts: readonly Tensor[], bucketBytes: number): Bucket[] {
  const done: Bucket[] = [];
  const openBuckets = new Map<string, Bucket>();
  ts.forEach((t, i) => {
    const key = `${t.dtype}:${t.device}`;
    const bytes = t.size * BYTES_PER_ELEMENT[t.dtype];
    let b = openBuckets.get(key);
    if (b !== undefined && (b.elements + t.size) * BYTES_PER_ELEMENT[t.dtype] > bucketBytes) {
      done.push(b);
      b = undefined;
    }
    if (b === undefined) openBuckets.set(key, (b = { dtype: t.dtype, device: t.device, items: [], elements: 0 }));
    b.items.push(i);
    b.elements += t.size;
    if (bytes >= bucketBytes) {
      done.push(b);
      openBuckets.delete(key);
    }
  });
  done.push(...openBuckets.values());
  return done;
}

/** One view of `flat` per tensor of the bucket, shaped like it, laid end to end. */
function viewsOf(flat: Tensor, b: Bucket, ts: readonly Tensor[]): Tensor[] {
  let offset = 0;
  return b.items.map((i) => {
    const v = new Tensor(flat._buf, ts[i].shape, b.dtype, b.device, undefined, offset, flat, false);
    offset += ts[i].size;
    return v;
  });
}

/**
 * allReduce of every tensor of `ts` (all ranks pass the same shapes in the same order): returns
 * the results as new tensors that are views of the bucket storage (the inputs are unchanged),
 * and the buckets, to dispose when the results are no longer needed.
 */
export function allReduceBuckets(dist: Distributed, ts: readonly Tensor[], op: ReduceOp, bucketBytes = DEFAULT_BUCKET_BYTES): { results: Tensor[]; buckets: Tensor[] } {
  const results: Tensor[] = new Array(ts.length);
  const buckets: Tensor[] = [];
  for (const b of plan(ts, bucketBytes)) {
    const flat = empty([b.elements], b.dtype, b.device);
    buckets.push(flat);
    const views = viewsOf(flat, b, ts);
    b.items.forEach((i, k) => {
      copyInto(ts[i], views[k]);
    });
    dist.allReduce(flat, op);
    b.items.forEach((i, k) => {
      results[i] = views[k];
    });
  }
  return { results, buckets };
}

/** broadcast of every tensor of `ts` from `root`, in place, a bucket at a time. */
export function broadcastBuckets(dist: Distributed, ts: readonly Tensor[], root: number, bucketBytes = DEFAULT_BUCKET_BYTES): void {
  for (const b of plan(ts, bucketBytes)) {
    const flat = empty([b.elements], b.dtype, b.device);
    const views = viewsOf(flat, b, ts);
    if (dist.rank === root)
      b.items.forEach((i, k) => {
        copyInto(ts[i], views[k]);
      });
    dist.broadcast(flat, root);
    b.items.forEach((i, k) => {
      copyInto(views[k], ts[i]);
      ts[i]._root()._version++;
    });
    flat.dispose();
  }
}
