// The one list of op cases. Forward tests (forward.test.ts), gradient checks
// (grad.test.ts) and later GPU and benchmark runs all iterate over CASES.
//
// A case is an op as a function of input tensors, the inputs' shapes (with a value
// generator and a memory layout), the dtypes to run it in, and an independent reference
// (test/ops/reference.ts) computed from the same input values in float64.
import { type DType, type Tensor, tensor } from '../../ts/index.js';
import { type Arr, arr, expand as refExpand, numel } from './reference.js';
import type { Gen, Layout, OpCase } from './cases/spec.js';
import { ELEMENTWISE_CASES } from './cases/elementwise.js';
import { REDUCE_CASES } from './cases/reduce.js';
import { LINALG_CASES } from './cases/linalg.js';
import { MOVEMENT_CASES } from './cases/movement.js';
import { OPTIM_CASES } from './cases/optim.js';
import { VISION_CASES } from './cases/vision.js';
import { INDEXING_CASES } from './cases/indexing.js';
import { SEQUENCE_CASES } from './cases/sequence.js';

export * from './cases/spec.js';

export const CASES: readonly OpCase[] = [...ELEMENTWISE_CASES, ...REDUCE_CASES, ...LINALG_CASES, ...MOVEMENT_CASES, ...OPTIM_CASES, ...VISION_CASES, ...INDEXING_CASES, ...SEQUENCE_CASES];

// ---- input construction ---------------------------------------------------------------

/** A small seeded generator (mulberry32), independent of Fluxion's RNG. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash of a string, to seed each case by its name. */
export function hashSeed(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** n values from `gen`; `k` is the input's position (keeps `distinct` values apart across inputs). */
function generate(gen: Gen, n: number, k: number, int: boolean, rand: () => number): number[] {
  const out: number[] = [];
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  for (let i = 0; i < n; i++) {
    const z = normal(rand);
    const sgn = rand() < 0.5 ? -1 : 1;
    switch (gen) {
      case 'normal':
        out.push(int ? Math.round(2 * z) : z);
        break;
      case 'positive':
        out.push(int ? 1 + Math.floor(rand() * 3) : 0.5 + 2 * rand());
        break;
      case 'nonzero':
        out.push(int ? sgn * (1 + Math.floor(rand() * 3)) : sgn * (0.25 + Math.abs(z)));
        break;
      case 'distinct':
        // a shuffled grid; input k is shifted by a quarter step so inputs never tie either
        out.push(int ? 4 * (perm[i] - Math.floor(n / 2)) + k : 0.37 * (perm[i] - n / 2 + 0.25 * k));
        break;
      case 'int':
        out.push(Math.floor(rand() * 5) - 2);
        break;
      case 'mask':
        out.push(rand() < 0.5 ? 0 : 1);
        break;
      case 'large':
        out.push(int ? 100 + Math.round(10 * z) : 100 + 10 * z);
        break;
    }
  }
  return out;
}

/** Rounds values to what a tensor of `dtype` stores. */
function storeAs(values: number[], dtype: DType): number[] {
  if (dtype === 'float32') return values.map(Math.fround);
  if (dtype === 'int32') return values.map((v) => v | 0);
  return values;
}

const JUNK: Record<DType, number> = { float32: Number.NaN, float64: Number.NaN, int32: 987654 };

/** A tensor of `shape` holding `values` (row-major) in the given layout. */
function place(values: number[], shape: number[], dtype: DType, layout: Layout): Tensor {
  const nd = shape.length;
  if (layout === 'contiguous') return tensor(values, { shape, dtype });
  if (layout === 'transposed') {
    if (nd < 2) throw new Error('cases: a transposed input needs at least 2 dims');
    const swapped = [...shape.slice(0, -2), shape[nd - 1], shape[nd - 2]];
    const [r, c] = [shape[nd - 2], shape[nd - 1]];
    const store = new Array<number>(values.length);
    for (let b = 0; b < values.length / Math.max(1, r * c); b++)
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) store[b * r * c + j * r + i] = values[b * r * c + i * c + j];
    return tensor(store, { shape: swapped, dtype }).T;
  }
  if (layout === 'strided') {
    if (nd < 1) throw new Error('cases: a strided input needs at least 1 dim');
    const wide = [...shape.slice(0, -1), 2 * shape[nd - 1]];
    const store = new Array<number>(2 * values.length).fill(JUNK[dtype]);
    values.forEach((v, i) => {
      store[2 * i] = v;
    });
    return tensor(store, { shape: wide, dtype }).slice(-1, 0, undefined, 2);
  }
  if (layout === 'offset') return tensor([JUNK[dtype], ...values], { dtype }).slice(0, 1).reshape(shape);
  throw new Error('cases: expandFrom is built by makeInputs');
}

export interface Inputs {
  tensors: Tensor[];
  refs: Arr[];
}

/** The inputs of `c` in `dtype`, with the same logical values as float64 reference arrays. */
export function makeInputs(c: OpCase, dtype: DType, seed = hashSeed(c.name)): Inputs {
  const rand = mulberry32(seed);
  const tensors: Tensor[] = [];
  const refs: Arr[] = [];
  c.inputs.forEach((spec, k) => {
    const dt = spec.dtype ?? dtype;
    const layout = spec.layout ?? 'contiguous';
    const gen = spec.gen ?? 'normal';
    if (typeof layout === 'object') {
      const base = storeAs(generate(gen, numel(layout.expandFrom), k, dt === 'int32', rand), dt);
      tensors.push(tensor(base, { shape: layout.expandFrom, dtype: dt }).expand(spec.shape));
      refs.push(refExpand(arr(layout.expandFrom, base), spec.shape));
      return;
    }
    const values = storeAs(generate(gen, numel(spec.shape), k, dt === 'int32', rand), dt);
    tensors.push(place(values, spec.shape, dt, layout));
    refs.push(arr(spec.shape, values));
  });
  return { tensors, refs };
}

export function outDtypeOf(c: OpCase, dtype: DType): DType {
  if (c.outDtype === undefined) return dtype;
  return typeof c.outDtype === 'function' ? c.outDtype(dtype) : c.outDtype;
}
