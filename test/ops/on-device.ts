// Running the op cases on another device and comparing with the CPU: used by the GPU
// tests (test/gpu/) and the prepared hardware check (test/gpu/hardware-check.ts).
import { type DType, type Device, Tensor } from '../../ts/index.js';
import { CASES, TOLERANCES, makeInputs, outDtypeOf } from './cases.js';

/** The same view (shape, strides, offset) of a copy of x's whole storage on `device`. */
export function onDevice(x: Tensor, device: Device): Tensor {
  const root = x._root();
  const moved = root.to(device);
  if (root === x) return moved;
  return new Tensor(moved._buf, x.shape, x.dtype, device, x._strides, x._offset, moved);
}

function values(v: Tensor | Tensor[]): number[] {
  return (Array.isArray(v) ? v : [v]).flatMap((t) => Array.from(t.data()));
}

/**
 * Every op case in every dtype, on `device` and on the CPU, with the same inputs in the
 * same memory layouts. Tolerances: the case's, at least float32's, times 4 (a different
 * summation order is allowed; a wrong kernel is not).
 */
export function compareOnDevice(device: Device): { pass: number; failures: string[] } {
  let pass = 0;
  const failures: string[] = [];
  for (const c of CASES) {
    // `to` changes device by design
    if (c.op === 'to') continue;
    for (const dtype of (c.dtypes ?? ['float32', 'float64']) as DType[]) {
      try {
        const { tensors } = makeInputs(c, dtype);
        const want = c.fn(...tensors);
        const got = c.fn(...tensors.map((t) => onDevice(t, device)));
        if ((Array.isArray(got) ? got : [got]).some((t) => t.device !== device)) throw new Error(`result not on ${device}`);
        const a = values(got);
        const e = values(want);
        const tol = TOLERANCES[c.tol ?? 'default'][outDtypeOf(c, dtype)];
        const atol = 4 * Math.max(tol.atol, 1e-6);
        const rtol = 4 * Math.max(tol.rtol, 1e-5);
        if (a.length !== e.length) throw new Error(`${a.length} elements, expected ${e.length}`);
        for (let i = 0; i < a.length; i++) {
          const ok = (Number.isNaN(a[i]) && Number.isNaN(e[i])) || a[i] === e[i] || Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
          if (!ok) throw new Error(`element ${i}: ${a[i]} on ${device}, ${e[i]} on the CPU`);
        }
        pass++;
      } catch (err) {
        failures.push(`${c.name} · ${dtype}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  return { pass, failures };
}
