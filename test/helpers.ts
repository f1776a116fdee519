// Shared test helpers: tolerant comparison of tensors with nested arrays or numbers.
import type { ExecutionContext } from 'ava';
import { Tensor, tensor } from '../ts/index.js';

export function flat(x: unknown): number[] {
  if (x instanceof Tensor) return Array.from(x.data());
  if (typeof x === 'number') return [x];
  if (Array.isArray(x)) return x.flatMap(flat);
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  throw new Error(`flat: cannot flatten ${typeof x}`);
}

/** Asserts every element is within atol + rtol·|expected| (NaN matches NaN). */
export function close(t: ExecutionContext, actual: unknown, expected: unknown, tol: { atol?: number; rtol?: number } = {}, msg = ''): void {
  const a = flat(actual);
  const e = flat(expected);
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  if (a.length !== e.length) {
    t.fail(`${msg} length ${a.length} vs expected ${e.length}`);
    return;
  }
  for (let i = 0; i < a.length; i++) {
    const ok = (Number.isNaN(a[i]) && Number.isNaN(e[i])) || a[i] === e[i] || Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) {
      t.fail(`${msg} element ${i}: ${a[i]} vs expected ${e[i]}`);
      return;
    }
  }
  t.pass();
}

/**
 * Process memory split where leaks show: `outsideHeap` is RSS less the V8 heap's committed
 * size (native buffers, the reuse pool, malloc arenas), `heapUsed` the live JS objects. RSS
 * alone is not a leak signal: V8 grows its young generation from 1 to 16 MB once allocation
 * pressure has lasted long enough (about 1,500 small training steps here), a one-time step
 * that is not ours.
 */
export function processMemory(): { outsideHeap: number; heapUsed: number; rss: number } {
  const m = process.memoryUsage();
  return { outsideHeap: m.rss - m.heapTotal, heapUsed: m.heapUsed, rss: m.rss };
}

/** Collects garbage (under --expose-gc) and gives pending finalizers (FinalizationRegistry callbacks) a few turns of the event loop. */
export async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < 3; round++) {
    gc?.();
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Central differences of a scalar function of the parameter `p`, each element perturbed in place by ±h. */
export function numericGrad(loss: () => number, p: Tensor, h = 1e-6): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.size; i++) {
    const e = new Float64Array(p.size);
    e[i] = h;
    const step = tensor(e, { shape: p.shape });
    p.addInPlace(step);
    const up = loss();
    p.subInPlace(step).subInPlace(step);
    const dn = loss();
    p.addInPlace(step);
    out.push((up - dn) / (2 * h));
  }
  return out;
}
