// Shared test helpers: tolerant comparison of tensors with nested arrays or numbers.
import type { ExecutionContext } from 'ava';
import { Tensor, memory, tensor } from '../ts/index.js';

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

/**
 * Checks that a long training run leaves memory flat: `warmUp()` once, then `half()` twice,
 * measuring after each (garbage collected). A leak grows with the steps, so the second half
 * must add nothing to the memory outside the JS heap (5% + 4 MB) nor to the JS heap (10% +
 * 2 MB); the first half may still grow the process to its working size once (malloc's arenas,
 * the reuse pool, V8's young generation: a loaded machine has been seen to measure the warm-up
 * point 16 MB below it), so the whole run is held to 24 MB. Tensor bytes must stay within
 * `tensorSlack` of the warm-up point. Returns the measurements as a line for t.log.
 */
export async function assertFlatMemory(t: ExecutionContext, warmUp: () => void, half: () => void, tensorSlack: number): Promise<string> {
  const tensorBytes = () => memory().cpu.bytes;
  warmUp();
  await settle();
  const m0 = processMemory();
  const b0 = tensorBytes();
  half();
  await settle();
  const mHalf = processMemory();
  half();
  await settle();
  const m1 = processMemory();
  const b1 = tensorBytes();
  const mb = (v: number) => (v / 2 ** 20).toFixed(1);
  const line = `outside the JS heap ${mb(m0.outsideHeap)} → ${mb(mHalf.outsideHeap)} → ${mb(m1.outsideHeap)} MB, JS heap used ${mb(m0.heapUsed)} → ${mb(mHalf.heapUsed)} → ${mb(m1.heapUsed)} MB, tensor bytes ${b0} → ${b1}`;
  t.log(line);
  t.true(m1.outsideHeap <= mHalf.outsideHeap * 1.05 + 4 * 2 ** 20, `memory outside the JS heap grew from ${mHalf.outsideHeap} to ${m1.outsideHeap} over the second half`);
  t.true(m1.outsideHeap <= m0.outsideHeap * 1.05 + 24 * 2 ** 20, `memory outside the JS heap grew from ${m0.outsideHeap} to ${m1.outsideHeap}`);
  t.true(m1.heapUsed <= mHalf.heapUsed * 1.1 + 2 * 2 ** 20, `the JS heap grew from ${mHalf.heapUsed} to ${m1.heapUsed} over the second half`);
  t.true(m1.heapUsed <= m0.heapUsed * 1.1 + 4 * 2 ** 20, `the JS heap grew from ${m0.heapUsed} to ${m1.heapUsed}`);
  t.true(Math.abs(b1 - b0) <= tensorSlack, `tensor bytes ${b0} → ${b1}`);
  return line;
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
