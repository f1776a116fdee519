// Memory reports and scopes. CPU storage is reclaimed by the garbage collector; `tidy`
// and `dispose` release it sooner (and are what GPU memory will rely on).
import { active } from './autodiff/tape.js';
import { adapterFor, cudaProblem } from './backend/device.js';
import { openScopes } from './scope.js';
import { cpuMemory, emptyPool } from './storage.js';
import type { Tensor } from './tensor.js';
import { collect } from './tree.js';

/**
 * What `memory()` reports: CPU bytes live and pooled for reuse, and the GPU's (null without one).
 *
 * ```ts
 * const info: MemoryInfo = memory();
 * info.cpu.bytes > 0;   // true
 * typeof info.cpu.poolLimit;   // 'number'
 * ```
 */
export interface MemoryInfo {
  /** bytes: live ArrayBuffers; pooledBytes: disposed storage kept for reuse, at most poolLimit (FLUXION_POOL_MB). */
  cpu: { bytes: number; pooledBytes: number; poolLimit: number };
  /** Device memory held by tensors and kept for reuse by the caching allocator; null without a usable GPU. */
  cuda: { live: number; cached: number } | null;
}

/**
 * Memory per device: CPU bytes of live ArrayBuffers (tensor storage) and of the reuse pool; GPU live and cached bytes.
 *
 * ```ts
 * const before = memory().cpu.bytes;
 * const big = zeros(1000, 1000);   // 4 MB
 * memory().cpu.bytes - before >= 4e6;   // true
 * ```
 */
export function memory(): MemoryInfo {
  return { cpu: cpuMemory(), cuda: cudaProblem() === null ? adapterFor('cuda').memory() : null };
}

/**
 * Releases the storage kept for reuse: the CPU pool of disposed tensors' buffers (bounded by
 * `memory().cpu.poolLimit`: a sixteenth of the machine's memory between 256 MB and 2 GB, or
 * FLUXION_POOL_MB; no buffer over 64 MB) and the GPU's caching allocator. Live tensors are untouched.
 *
 * ```ts
 * dispose(zeros(1000, 1000));   // its storage goes to the reuse pool
 * emptyCache();
 * memory().cpu.pooledBytes;   // 0
 * ```
 */
export function emptyCache(): void {
  emptyPool();
  if (cudaProblem() === null) adapterFor('cuda').emptyCache();
}

const scopes = openScopes as Tensor[][];

function trackInScope(t: Tensor): void {
  scopes[scopes.length - 1]?.push(t);
}

/**
 * Runs `fn` and disposes every tensor created inside it except those reachable from its
 * result (a tensor, or an array / object of tensors) and those an enclosing gradient saved
 * for its backward pass. Scopes nest.
 *
 * ```ts
 * let inner: Tensor | undefined;
 * const y = tidy(() => {
 *   inner = ones(3).mul(2);
 *   return inner.sum();
 * });
 * inner!.disposed;   // true
 * y.item();   // 6: the result is kept
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const created: Tensor[] = [];
  // The Tensor constructor lists every tensor made while the scope is open (before, nothing
  // ever reached the scope, and tidy disposed nothing).
  scopes.push(created);
  // Where each open tape stood, to find below what fn recorded on it.
  const marks = active.map((tape) => [tape, tape.nodes.length] as const);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<Tensor>();
  // Inside a gradient, the tensors fn's ops saved on an enclosing tape are still needed by its
  // backward pass: disposing them made that pass fail ("disposed", or a native range error).
  for (const [tape, start] of marks)
    for (let i = start; i < tape.nodes.length; i++) {
      const node = tape.nodes[i];
      if (node.out !== null) keep.add(node.out);
      for (const t of node.inputs ?? []) keep.add(t);
    }
  for (const t of collect(result)) {
    keep.add(t);
    if (t._base) keep.add(t._base);
  }
  const keepBufs = new Set([...keep].map((t) => t._buf));
  for (const t of created) {
    if (!keep.has(t) && !keepBufs.has(t._buf)) t.dispose();
    // Kept tensors made here belong to the enclosing scope now; only those: a tensor made
    // before this scope (a parameter returned from fn) must not be disposed by an outer one.
    else trackInScope(t);
  }
  return result;
}

/**
 * Runs `fn` and returns what it made: its value, and every tensor constructed while it ran
 * (synchronously). The training loop draws each batch this way, so that a loader's copies of
 * the data (shuffled rows) can be released after the step, while tensors the batch merely
 * refers to (the caller's own data) are not.
 */
export function capture<T>(fn: () => T): { value: T; tensors: Tensor[] } {
  const made: Tensor[] = [];
  scopes.push(made);
  try {
    return { value: fn(), tensors: made };
  } finally {
    scopes.pop();
  }
}

/**
 * Disposes every tensor in a tensor, or in any structure of them (arrays, objects, models, Grads).
 *
 * ```ts
 * const t = ones(3);
 * dispose(t);
 * t.disposed;   // true
 * const m = Dense(2, 3);
 * dispose(m);
 * m.weight.disposed;   // true
 * ```
 */
export function dispose(x: unknown): void {
  for (const t of collect(x)) t.dispose();
}
