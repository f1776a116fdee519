// CPU storage: tensors own JS ArrayBuffers, so the garbage collector reclaims them
// without help and V8 sees their size.
//
// Why slabs: a fresh ArrayBuffer costs ~0.5-1 µs (malloc, zeroing, GC bookkeeping), more
// than a small op itself. Small tensors (<= SMALL_BYTES) are therefore carved out of
// shared SLAB_BYTES buffers, as Node's Buffer pool does. A slab is freed when its last
// tensor is; a long-lived small tensor keeps at most one slab (16 KB) alive.
import { constants as bufferConstants } from 'node:buffer';
import { totalmem } from 'node:os';
import { ARRAY_TYPE, BYTES_PER_ELEMENT, DTYPE_CODE, type DType, type TypedArray } from './dtype.js';
import { ShapeError } from './errors.js';

const SMALL_BYTES = 1024;
const SLAB_BYTES = 16 * 1024;
const ALIGN = 16;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;



// Storage of disposed tensors, by dtype and length, reused before anything new is
// allocated. A training loop that disposes its intermediates (train() does, via tidy)
// then allocates nothing in steady state, which keeps RSS flat: freeing and re-mallocing
// buffers on the GC's background threads otherwise fragments the C heap.
//
// Bounded: at most POOL_LIMIT_BYTES in all, and no single buffer over POOL_MAX_BUFFER (a huge
// tensor is rarely made again at the same size, and holding one back would look like a leak:
// 400 MB disposed used to stay in the pool). emptyCache() releases it all.
//
// The bound is a sixteenth of the machine's memory, between 256 MB and 2 GB (FLUXION_POOL_MB
// sets it). It has to hold a whole training step's intermediates: a ResNet block at batch 16
// disposes ~400 MB a step, and with a 256 MB pool the rest went back to the OS and came back
// as fresh pages every step, which cost 3.5× the step's compute on this kind of VM (a page
// fault per 4 KB). Per thread: each worker thread has its own pool.
const POOL_LIMIT_BYTES = poolLimitFromEnv(process.env.FLUXION_POOL_MB) ?? Math.min(2 * 2 ** 30, Math.max(256 * 2 ** 20, Math.floor(totalmem() / 16)));
const POOL_MAX_BUFFER = 64 * 2 ** 20;

function poolLimitFromEnv(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const mb = Number(v);
  if (!Number.isFinite(mb) || mb < 0) throw new RangeError(`FLUXION_POOL_MB: expected a number of megabytes ≥ 0 (the CPU reuse pool's bound), got '${v}'`);
  return Math.floor(mb * 2 ** 20);
}
//
// Keyed by a number (length × 4 + dtype code), not a string: the lookup runs on every
// allocation once anything is pooled, and building a string key cost ~50 ns per op, a third
// of a small op.
const pool = new Map<number, TypedArray[]>();
let pooledBytes = 0;

function poolKey(code: number, n: number): number {
  return n * 4 + code;
}

function codeOf(buf: TypedArray): number {
  return buf instanceof Float32Array ? DTYPE_CODE.float32 : buf instanceof Float64Array ? DTYPE_CODE.float64 : DTYPE_CODE.int32;
}

/** Hands the storage of a disposed tensor back for reuse. Only call it when nothing else can reach `buf`. */
export function recycle(buf: TypedArray): void {
  if (buf.length === 0 || buf.byteLength > POOL_MAX_BUFFER || pooledBytes + buf.byteLength > POOL_LIMIT_BYTES) return;
  const key = poolKey(codeOf(buf), buf.length);
  let list = pool.get(key);
  if (list === undefined) pool.set(key, (list = []));
  list.push(buf);
  pooledBytes += buf.byteLength;
}


/**
 * A typed array of `n` elements. `zero` asks for zeros; otherwise large buffers may hold
 * garbage (the caller overwrites every element).
 */
export function allocate(dtype: DType, n: number, zero = true): TypedArray {
  const Ctor = ARRAY_TYPE[dtype];
  if (pooledBytes > 0) {
    const reused = pool.get(poolKey(DTYPE_CODE[dtype], n))?.pop();
    if (reused !== undefined) {
      pooledBytes -= reused.byteLength;
      if (zero) reused.fill(0);
      return reused;
    }
  }
  const bytes = n * BYTES_PER_ELEMENT[dtype];
  if (bytes <= SMALL_BYTES) {
    if (slabUsed + bytes > SLAB_BYTES) {
      slab = new ArrayBuffer(SLAB_BYTES);
      slabUsed = 0;
    }
    const arr = new Ctor(slab, slabUsed, n);
    slabUsed += (bytes + ALIGN - 1) & ~(ALIGN - 1);
    return arr; // fresh slab memory is zeroed and never handed out twice
  }
  let buf: ArrayBuffer;
  try {
    // Buffer's uninitialised memory skips a memset the kernel would overwrite, but Buffer
    // stops at 4 GiB; beyond that a (zeroed) ArrayBuffer still works.
    if (zero || bytes > BUFFER_MAX) buf = new ArrayBuffer(bytes);
    else buf = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  } catch (e) {
    // The engine's bare RangeError would not say what was asked for; this error does.
    throw new ShapeError(`cannot allocate a ${dtype} tensor of ${n} elements (${bytes} bytes): ${(e as Error).message}`);
  }
  return new Ctor(buf, 0, n);
}
const BUFFER_MAX = bufferConstants.MAX_LENGTH;

/** Gives every pooled buffer back to the garbage collector. */
export function emptyPool(): void {
  pool.clear();
  pooledBytes = 0;
}

/**
 * CPU memory: `bytes` is all live ArrayBuffer memory of the process (where tensor storage
 * lives), `pooledBytes` the storage of disposed tensors kept for reuse.
 *
 * Why no per-tensor count: counting frees needs a FinalizationRegistry, and V8 keeps the
 * registered buffers' memory until its callbacks run, which never happens inside a long
 * synchronous training loop (measured: +20 MB per 5,000 steps). Flat memory matters more.
 */
export function cpuMemory(): { bytes: number; pooledBytes: number; poolLimit: number } {
  return { bytes: process.memoryUsage().arrayBuffers, pooledBytes, poolLimit: POOL_LIMIT_BYTES };
}
