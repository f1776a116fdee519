// Shared test helpers: tolerant comparison of tensors with nested arrays or numbers.
import type { ExecutionContext } from 'ava';
import { Tensor } from '../ts/index.js';

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
