// CPU storage: tensors own JS ArrayBuffers, so the garbage collector reclaims them
// without help and V8 sees their size.
//
// Why slabs: a fresh ArrayBuffer costs ~0.5-1 µs (malloc, zeroing, GC bookkeeping), more
// than a small op itself. Small tensors (<= SMALL_BYTES) are therefore carved out of
// shared SLAB_BYTES buffers, as Node's Buffer pool does. A slab is freed when its last
// tensor is; a long-lived small tensor keeps at most one slab (16 KB) alive.
import { ARRAY_TYPE, BYTES_PER_ELEMENT, type DType, type TypedArray } from './dtype.js';

const SMALL_BYTES = 1024;
const SLAB_BYTES = 16 * 1024;
const ALIGN = 16;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

interface Counters {
  buffers: number;
  bytes: number;
}
const cpu: Counters = { buffers: 0, bytes: 0 };
// Counts ArrayBuffers as they are freed by the GC (reported after a collection).
const reclaimed = new FinalizationRegistry<number>((bytes) => {
  cpu.buffers--;
  cpu.bytes -= bytes;
});

function track(buf: ArrayBuffer): void {
  cpu.buffers++;
  cpu.bytes += buf.byteLength;
  reclaimed.register(buf, buf.byteLength);
}
track(slab);

/**
 * A typed array of `n` elements. `zero` asks for zeros; otherwise large buffers may hold
 * garbage (the caller overwrites every element).
 */
export function allocate(dtype: DType, n: number, zero = true): TypedArray {
  const Ctor = ARRAY_TYPE[dtype];
  const bytes = n * BYTES_PER_ELEMENT[dtype];
  if (bytes <= SMALL_BYTES) {
    if (slabUsed + bytes > SLAB_BYTES) {
      slab = new ArrayBuffer(SLAB_BYTES);
      slabUsed = 0;
      track(slab);
    }
    const arr = new Ctor(slab, slabUsed, n);
    slabUsed += (bytes + ALIGN - 1) & ~(ALIGN - 1);
    return arr; // fresh slab memory is zeroed and never handed out twice
  }
  let buf: ArrayBuffer;
  if (zero) buf = new ArrayBuffer(bytes);
  else {
    const b = Buffer.allocUnsafeSlow(bytes); // uninitialised: skips a memset the kernel would overwrite
    buf = b.buffer as ArrayBuffer;
  }
  track(buf);
  return new Ctor(buf, 0, n);
}

/** Bytes and buffers of CPU tensor storage still alive (updated as the GC frees them). */
export function cpuMemory(): { bytes: number; buffers: number } {
  return { bytes: cpu.bytes, buffers: cpu.buffers };
}
