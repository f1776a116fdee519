// Memory reports and scopes. CPU storage is reclaimed by the garbage collector; `tidy`
// and `dispose` release it sooner (and are what GPU memory will rely on).
import { openScopes } from './scope.js';
import { cpuMemory } from './storage.js';
import { Tensor } from './tensor.js';

export interface MemoryInfo {
  cpu: { bytes: number; pooledBytes: number };
}

/** Memory per device: CPU bytes of live ArrayBuffers (tensor storage) and of the reuse pool. */
export function memory(): MemoryInfo {
  return { cpu: cpuMemory() };
}

const scopes = openScopes as Tensor[][];

function trackInScope(t: Tensor): void {
  scopes[scopes.length - 1]?.push(t);
}

/**
 * Runs `fn` and disposes every tensor created inside it except those reachable from its
 * result (a tensor, or an array / object of tensors). Scopes nest.
 */
export function tidy<T>(fn: () => T): T {
  const created: Tensor[] = [];
  // The Tensor constructor lists every tensor made while the scope is open (before, nothing
  // ever reached the scope, and tidy disposed nothing).
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<Tensor>();
  const visit = (x: unknown, depth: number) => {
    if (x instanceof Tensor) {
      keep.add(x);
      if (x._base) keep.add(x._base);
    } else if (depth < 8 && x !== null && typeof x === 'object') {
      for (const v of Object.values(x)) visit(v, depth + 1);
      // Maps, Sets and iterable containers such as Grads keep their tensors out of own fields.
      if (!Array.isArray(x) && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function')
        for (const v of x as Iterable<unknown>) visit(v, depth + 1);
    }
  };
  visit(result, 0);
  const keepBufs = new Set([...keep].map((t) => t._buf));
  for (const t of created) {
    if (!keep.has(t) && !keepBufs.has(t._buf)) t.dispose();
    // Kept tensors made here belong to the enclosing scope now; only those: a tensor made
    // before this scope (a parameter returned from fn) must not be disposed by an outer one.
    else trackInScope(t);
  }
  return result;
}

/** Disposes every tensor in a tensor, array, or object of tensors. */
export function dispose(x: unknown): void {
  if (x instanceof Tensor) x.dispose();
  else if (x !== null && typeof x === 'object') for (const v of Object.values(x)) dispose(v);
}

export function scopeDepth(): number {
  return scopes.length;
}
