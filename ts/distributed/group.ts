// A group of processes training one model together: `initDistributed` joins the group that
// `mpirun -np N node train.js` started, and the `Distributed` it returns runs collectives over
// it. MPI (Open MPI or MPICH, loaded at run time) carries host memory; with the 'nccl' backend,
// CUDA tensors go through NCCL (its unique id travels over MPI) and host tensors still over MPI.
//
// Every collective has a deadline (`timeout`, seconds): a rank that died, hangs, or calls a
// different collective makes the others fail with a DistributedError instead of waiting
// forever. A collective that timed out cannot be taken back, so the group is then broken and
// every later call fails at once; the process should exit (the launcher then ends the others).
import { contiguous, copyInto, empty, raw } from '../backend/index.js';
import { cudaProblem, emulatedCuda } from '../backend/device.js';
import type { TypedArray } from '../dtype.js';
import { DTypeError, DeviceError, FluxionError, expected } from '../errors.js';
import { native } from '../native.js';
import { checkTarget } from '../ops/inplace.js';
import { Tensor } from '../tensor.js';
import { callable } from '../callable.js';

/**
 * A collective failed: a rank died or never arrived, the group was closed, or MPI reported an error.
 *
 * ```ts
 * const e = DistributedError('allReduce: rank 1 never arrived');
 * e instanceof FluxionError;   // true
 * ```
 */
class DistributedError extends FluxionError {
  override name = 'DistributedError';
}

/**
 * The engine a group runs on: 'mpi' (host tensors, any machine with MPI) or 'nccl' (CUDA tensors).
 *
 * ```ts no-run
 * const dist = initDistributed({ backend: 'mpi' });
 * ```
 */
export type DistributedBackend = 'mpi' | 'nccl';
/**
 * How `allReduce` combines the ranks' values, elementwise.
 *
 * ```ts no-run
 * dist.allReduce(loss, 'mean');   // every rank now holds the mean over ranks
 * ```
 */
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';

/**
 * Options of `initDistributed`.
 *
 * ```ts no-run
 * const dist = initDistributed({ backend: 'mpi', timeout: 30 });   // collectives fail after 30 s
 * ```
 */
export interface DistributedOptions {
  /** 'mpi' for host tensors (any machine with MPI); 'nccl' for CUDA tensors (host tensors then go over MPI). */
  backend: DistributedBackend;
  /**
   * Seconds a collective may wait for the other ranks before it fails (default 120; 0 or
   * Infinity: no limit). Every rank should use the same value.
   */
  timeout?: number;
  /**
   * Which MPI library: 'openmpi' (libmpi.so.40), 'mpich' (libmpich.so.12), or a path to either
   * (named by its file). Default: the one whose launcher started this process
   * (FLUXION_MPI_LIBRARY overrides), Open MPI when none did.
   */
  library?: string;
}

const REDUCE_CODE = { sum: 0, max: 1, min: 2 } as const;
const LIBRARIES = { openmpi: 'libmpi.so.40', mpich: 'libmpich.so.12' } as const;

/** Which MPI library to load: the option, the environment, or the launcher's own variables. */
function chooseLibrary(option: string | undefined): { flavour: 'openmpi' | 'mpich'; path: string } {
  const given = option ?? process.env.FLUXION_MPI_LIBRARY;
  if (given !== undefined && given !== '') {
    if (given === 'openmpi' || given === 'mpich') return { flavour: given, path: LIBRARIES[given] };
    const file = given.split('/').pop() ?? '';
    if (file.startsWith('libmpich')) return { flavour: 'mpich', path: given };
    if (file.startsWith('libmpi')) return { flavour: 'openmpi', path: given };
    throw expected('initDistributed', 'library', "'openmpi', 'mpich', or the path of libmpi.so.40 or libmpich.so.12", given);
  }
  // Hydra (MPICH's mpiexec) sets PMI_RANK; Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE.
  if (!process.env.OMPI_COMM_WORLD_SIZE && process.env.PMI_RANK) return { flavour: 'mpich', path: LIBRARIES.mpich };
  return { flavour: 'openmpi', path: LIBRARIES.openmpi };
}

/** The world size the launcher announced, when it did (to catch a library that does not match the launcher). */
function launcherSize(): number | undefined {
  const s = process.env.OMPI_COMM_WORLD_SIZE || process.env.PMI_SIZE;
  return s ? Number(s) : undefined;
}

/** This process's rank among those on its machine, from the launcher (0 when it says nothing). */
function localRank(): number {
  const r = process.env.OMPI_COMM_WORLD_LOCAL_RANK ?? process.env.MPI_LOCALRANKID ?? process.env.PMI_LOCAL_RANK;
  return r === undefined ? 0 : Number(r);
}

/** Buffers of collectives that timed out: the library may still write into them. */
const abandoned: (Tensor | ArrayBufferView)[] = [];

/** Live groups, closed when the process exits normally (MPI wants every rank to finalise). */
const open = new Set<Distributed>();
let exitHook = false;

/**
 * A group of ranks (processes) that train together, from `initDistributed`: its `rank` and
 * `size`, and the collectives, each called by every rank in the same order.
 *
 * ```ts no-run
 * const dist = initDistributed({ backend: 'mpi' });
 * dist.allReduce(grad, 'mean');
 * dist.broadcast(weights, 0);
 * dist.barrier();
 * dist.close();
 * ```
 */
export class Distributed {
  /** This process's index in the group, 0 ≤ rank < size. */
  readonly rank: number;
  /** Number of processes in the group. */
  readonly size: number;
  /** Index among the group's processes on this machine (the GPU it should use). */
  readonly localRank: number;
  readonly backend: DistributedBackend;
  /** The MPI library in use, and NCCL's version with the 'nccl' backend. */
  readonly library: string;
  /** Seconds a collective may wait (Infinity: no limit). */
  readonly timeout: number;
  private state: 'open' | 'closed' | 'broken' = 'open';
  private why = '';

  /** @internal use initDistributed */
  constructor(w: { rank: number; size: number; library: string }, backend: DistributedBackend, timeout: number) {
    this.rank = w.rank;
    this.size = w.size;
    this.localRank = localRank();
    this.backend = backend;
    this.library = w.library;
    this.timeout = timeout;
  }

  /** False after close(), or after a collective failed. */
  get active(): boolean {
    return this.state === 'open';
  }

  /**
   * Combines `t` across every rank, in place, and returns it: each rank ends with the sum (or
   * mean, max, min) of every rank's values. Every rank must call it with the same shape and dtype.
   */
  allReduce(t: Tensor, op: ReduceOp = 'sum'): Tensor {
    this.usable('allReduce');
    if (!(t instanceof Tensor)) throw expected('allReduce', 't', 'a Tensor', t);
    if (op !== 'sum' && op !== 'mean' && op !== 'max' && op !== 'min') throw expected('allReduce', 'op', "'sum', 'mean', 'max' or 'min'", op);
    if (op === 'mean' && t.dtype === 'int32')
      throw new DTypeError("allReduce: the mean of int32 tensors is not an integer; reduce with 'sum' and divide a float copy");
    checkTarget('allReduce', t._check('allReduce'));
    this.collective('allReduce', t, (data, handle) =>
      data !== null
        ? native.mpiAllReduce(data, REDUCE_CODE[op === 'mean' ? 'sum' : op], this.nativeTimeout)
        : native.ncclAllReduce(handle.buf, handle.offset, handle.count, REDUCE_CODE[op === 'mean' ? 'sum' : op], this.nativeTimeout),
    );
    if (op === 'mean' && this.size > 1) t.divInPlace(this.size);
    return t;
  }

  /** Copies root's values of `t` into `t` on every rank, in place, and returns it. */
  broadcast(t: Tensor, root = 0): Tensor {
    this.usable('broadcast');
    if (!(t instanceof Tensor)) throw expected('broadcast', 't', 'a Tensor', t);
    this.checkRoot('broadcast', root);
    checkTarget('broadcast', t._check('broadcast'));
    this.collective('broadcast', t, (data, handle) =>
      data !== null ? native.mpiBroadcast(data, root, this.nativeTimeout) : native.ncclBroadcast(handle.buf, handle.offset, handle.count, root, this.nativeTimeout),
    );
    return t;
  }

  /** Root's bytes into `bytes` on every rank (host memory; for small messages such as checks). @internal */
  _broadcastBytes(bytes: Uint8Array | TypedArray, root = 0): void {
    this.usable('broadcast');
    this.run('broadcast', () => native.mpiBroadcast(bytes, root, this.nativeTimeout), bytes);
  }

  /** Returns once every rank has called it. */
  barrier(): void {
    this.usable('barrier');
    this.run('barrier', () => native.mpiBarrier(this.nativeTimeout));
  }

  /** Leaves the group. Any use of this Distributed afterwards is an error; MPI cannot be opened again in this process. */
  close(): void {
    if (this.state === 'closed') return;
    const finalize = this.state === 'open';
    this.state = 'closed';
    open.delete(this);
    if (this.backend === 'nccl') native.ncclClose();
    native.mpiClose(finalize);
  }

  toString(): string {
    return `Distributed(rank ${this.rank} of ${this.size}, ${this.backend}, ${this.library}${this.state === 'open' ? '' : `, ${this.state}`})`;
  }

  /** @internal throws unless the group can run a collective */
  usable(op: string): void {
    if (this.state === 'closed') throw new DistributedError(`${op}: this Distributed was closed (rank ${this.rank} of ${this.size})`);
    if (this.state === 'broken') throw new DistributedError(`${op}: this Distributed is unusable after an earlier failure: ${this.why}`);
  }

  private checkRoot(op: string, root: number): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.size) throw expected(op, 'root', `a rank in [0, ${this.size - 1}]`, root);
  }

  private get nativeTimeout(): number {
    return Number.isFinite(this.timeout) ? this.timeout : 0;
  }

  /**
   * Runs a collective on `t`'s elements: MPI on a host array (the tensor's own storage when it
   * is contiguous, else a copy written back), NCCL on CUDA memory with the 'nccl' backend.
   */
  private collective(
    op: string,
    t: Tensor,
    call: (data: TypedArray | null, handle: { buf: BigUint64Array; offset: number; count: number }) => void,
  ): void {
    const none = { buf: new BigUint64Array(4), offset: 0, count: 0 };
    if (t.device === 'cuda' && this.backend === 'nccl') {
      const c = contiguous(t);
      this.run(op, () => call(null, { buf: raw(c) as BigUint64Array, offset: c._offset, count: c.size }), c);
      if (c !== t) {
        copyInto(c, t);
        c.dispose();
      }
    } else if (t.device === 'cpu' && t.isContiguous) {
      const buf = t._buf as TypedArray;
      this.run(op, () => call(buf.subarray(t._offset, t._offset + t.size), none), t);
    } else {
      // a strided view, or a CUDA tensor with the 'mpi' backend: through a host copy
      const host = empty(t.shape, t.dtype, 'cpu');
      copyInto(t, host);
      this.run(op, () => call(host._buf as TypedArray, none), host);
      copyInto(host, t);
      host.dispose();
    }
    t._root()._version++;
  }

  /**
   * Runs a native collective; a failure breaks the group (its peers are no longer in step).
   * A collective past its deadline is still pending in the library, which may yet write into
   * its buffer: that storage is kept alive and never reused (`memory`).
   */
  private run(op: string, f: () => void, memory?: Tensor | ArrayBufferView): void {
    try {
      f();
    } catch (e) {
      const msg = (e as Error).message;
      if (msg.startsWith('timeout:') && memory !== undefined) {
        if (memory instanceof Tensor) memory._root()._markReadonly(); // read-only storage is never released
        abandoned.push(memory);
      }
      const limit = `${this.timeout} s`;
      this.state = 'broken';
      this.why = msg.startsWith('timeout:')
        ? `${op} on rank ${this.rank} of ${this.size} waited ${limit} and not every rank arrived: a rank died, hangs, or called a different collective (timeout option of initDistributed)`
        : `${op} on rank ${this.rank} of ${this.size} failed: ${msg.replace(/^fluxion native: /, '')}`;
      throw new DistributedError(`${this.why}; the group cannot be used any more: end this process (the launcher then ends the others)`);
    }
  }
}

/**
 * Joins the group of processes this one was started in (`mpirun -np N node train.js`; run
 * alone, a group of one). Call it once per process, before making any CUDA tensor with 'nccl'.
 *
 * ```ts no-run
 * const dist = initDistributed({ backend: 'mpi' });   // under mpirun -np 4: dist.size is 4
 * const loader = DataLoader([X, y], { batchSize: 64, shard: dist });   // this rank's part of every epoch
 * dist.close();
 * ```
 */
export function initDistributed(opts: DistributedOptions): Distributed {
  if (opts === null || typeof opts !== 'object') throw expected('initDistributed', 'options', "{ backend: 'mpi' | 'nccl' }", opts);
  const { backend } = opts;
  if (backend !== 'mpi' && backend !== 'nccl') throw expected('initDistributed', 'backend', "'mpi' or 'nccl'", backend);
  const timeout = opts.timeout ?? 120;
  if (typeof timeout !== 'number' || !(timeout >= 0)) throw expected('initDistributed', 'timeout', 'a number of seconds ≥ 0 (0 or Infinity: no limit)', timeout);
  const limit = timeout === 0 ? Number.POSITIVE_INFINITY : timeout;
  if (backend === 'nccl') {
    // Each process of a machine takes its own GPU; CUDA reads this when it first starts.
    if (process.env.CUDA_VISIBLE_DEVICES === undefined && Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? process.env.MPI_LOCALNRANKS ?? 1) > 1)
      process.env.CUDA_VISIBLE_DEVICES = String(localRank());
    const why = emulatedCuda ? 'the emulated CUDA device (FLUXION_EMULATE_CUDA=1) is host memory, which NCCL cannot reach' : (cudaProblem() ?? native.ncclProblem());
    if (why) throw new DeviceError(`initDistributed: the 'nccl' backend needs a CUDA device and libnccl.so.2: ${why}; use backend 'mpi' for host tensors`);
  }
  const lib = chooseLibrary(opts.library);
  let w: { rank: number; size: number; library: string; version: string };
  try {
    w = native.mpiOpen(lib.flavour, lib.path);
  } catch (e) {
    throw new DistributedError((e as Error).message.replace(/^fluxion native: /, ''));
  }
  const announced = launcherSize();
  if (announced !== undefined && announced !== w.size) {
    native.mpiClose(true);
    throw new DistributedError(
      `initDistributed: the launcher started ${announced} processes but ${w.library} sees ${w.size}: the library does not match the launcher (mpirun of Open MPI needs 'openmpi', mpiexec.mpich needs 'mpich')`,
    );
  }
  let library = `${w.library}: ${w.version}`;
  if (backend === 'nccl') {
    const id = w.rank === 0 ? native.ncclUniqueId() : new Uint8Array(128);
    try {
      native.mpiBroadcast(id, 0, timeout);
      library += `; ${native.ncclOpen(id, w.size, w.rank, timeout)}`;
    } catch (e) {
      native.mpiClose(false);
      throw new DistributedError(`initDistributed: ${(e as Error).message.replace(/^(timeout|fluxion native): /, '')}`);
    }
  }
  const d = new Distributed(w, backend, limit);
  (d as { library: string }).library = library;
  open.add(d);
  if (!exitHook) {
    exitHook = true;
    // A normal exit closes what the program left open, so MPI does not report a rank that
    // "exited without finalize". An exit after an error leaves MPI as it is: finalising would
    // wait for ranks that may be waiting for this one, while an exit without it makes the
    // launcher end the job at once.
    process.on('exit', (code) => {
      if (code !== 0) return;
      for (const g of open) if (g.active) g.close();
    });
  }
  return d;
}

// Constructible with or without `new` (ts/callable.ts).
const DistributedError_ = callable(DistributedError);
type DistributedError_ = DistributedError;
export { DistributedError_ as DistributedError };
