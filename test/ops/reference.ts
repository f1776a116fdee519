// An independent, deliberately naive reference for every op, in plain TypeScript over
// flat Float64Arrays with a shape (row-major). It never calls Fluxion: the op tests
// compare the library against this. Speed does not matter here, clarity does.

export interface Arr {
  shape: number[];
  data: Float64Array;
}

export function arr(shape: readonly number[], data: ArrayLike<number>): Arr {
  const d = Float64Array.from(data);
  if (d.length !== numel(shape)) throw new Error(`reference: ${d.length} values for shape [${shape}]`);
  return { shape: shape.slice(), data: d };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major multi-index of flat position i. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = shape[d] === 0 ? 0 : i % shape[d];
    i = shape[d] === 0 ? 0 : Math.floor(i / shape[d]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
  return i;
}

/** Builds an array of `shape` whose element at multi-index idx is `at(idx)`. */
export function build(shape: readonly number[], at: (idx: number[]) => number): Arr {
  const n = numel(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = at(unravel(i, shape));
  return { shape: shape.slice(), data };
}

function get(a: Arr, idx: readonly number[]): number {
  return a.data[ravel(idx, a.shape)];
}

function normDim(d: number, ndim: number): number {
  const k = d < 0 ? d + ndim : d;
  if (k < 0 || k >= ndim) throw new Error(`reference: dim ${d} out of range for ${ndim} dims`);
  return k;
}

// ---- elementwise -------------------------------------------------------------------

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let size = 1;
    for (const s of shapes) {
      const d = s[s.length - n + i] ?? 1;
      if (d !== 1) {
        if (size !== 1 && size !== d) throw new Error(`reference: cannot broadcast [${shapes.join('] [')}]`);
        size = d;
      }
    }
    out.push(size);
  }
  return out;
}

/** The element of `a` that broadcasting maps to output index `idx`. */
function at(a: Arr, idx: readonly number[]): number {
  const lead = idx.length - a.shape.length;
  const own = a.shape.map((d, i) => (d === 1 ? 0 : idx[lead + i]));
  return get(a, own);
}

export function map(a: Arr, f: (x: number) => number): Arr {
  return { shape: a.shape.slice(), data: a.data.map(f) };
}

export function zip(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  return build(broadcastShape(a.shape, b.shape), (i) => f(at(a, i), at(b, i)));
}

export function where(c: Arr, a: Arr, b: Arr): Arr {
  return build(broadcastShape(c.shape, a.shape, b.shape), (i) => (at(c, i) !== 0 ? at(a, i) : at(b, i)));
}

export const scalar = (v: number): Arr => arr([], [v]);

// Scalar maths with the textbook definitions.
const GELU_C = Math.sqrt(2 / Math.PI);
export const fn = {
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  softplus: (x: number) => Math.log(1 + Math.exp(x)),
  gelu: (x: number) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3))),
  relu: (x: number) => Math.max(x, 0),
  sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  recip: (x: number) => 1 / x,
  // NaN in, NaN out
  maximum: (x: number, y: number) => Math.max(x, y),
  minimum: (x: number, y: number) => Math.min(x, y),
};

// ---- reductions --------------------------------------------------------------------

type Dims = number | readonly number[] | null | undefined;

function dimMask(dims: Dims, ndim: number): boolean[] {
  if (dims === null || dims === undefined) return new Array<boolean>(ndim).fill(true);
  const list = typeof dims === 'number' ? [dims] : dims;
  const mask = new Array<boolean>(ndim).fill(false);
  for (const d of list) mask[normDim(d, ndim)] = true;
  return mask;
}

/** Folds the reduced dims with `step`, starting from `init`; `finish` gets (acc, count). */
export function reduce(
  a: Arr,
  dims: Dims,
  keepdims: boolean,
  init: number,
  step: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number = (x) => x,
): Arr {
  const mask = dimMask(dims, a.shape.length);
  const keepShape = a.shape.map((d, i) => (mask[i] ? 1 : d));
  const acc = new Float64Array(numel(keepShape)).fill(init);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, d) => (mask[d] ? 0 : v));
    const k = ravel(idx, keepShape);
    acc[k] = step(acc[k], a.data[i]);
  }
  const count = numel(a.shape.filter((_, i) => mask[i]));
  const data = acc.map((v) => finish(v, count));
  return { shape: keepdims ? keepShape : a.shape.filter((_, i) => !mask[i]), data };
}

export const sum = (a: Arr, dims?: Dims, keep = false) => reduce(a, dims, keep, 0, (s, v) => s + v);
export const mean = (a: Arr, dims?: Dims, keep = false) => reduce(a, dims, keep, 0, (s, v) => s + v, (s, n) => s / n);
export const max = (a: Arr, dims?: Dims, keep = false) => reduce(a, dims, keep, -Infinity, fn.maximum);
export const min = (a: Arr, dims?: Dims, keep = false) => reduce(a, dims, keep, Infinity, fn.minimum);

/** Index of the first largest element along `dim` (of the flattened array when undefined). */
export function argmax(a: Arr, dim?: number, keepdims = false, better = (v: number, b: number) => v > b): Arr {
  if (dim === undefined) {
    let best = 0;
    for (let i = 1; i < a.data.length; i++) if (better(a.data[i], a.data[best])) best = i;
    return arr(keepdims ? a.shape.map(() => 1) : [], [best]);
  }
  const d = normDim(dim, a.shape.length);
  const keepShape = a.shape.map((s, i) => (i === d ? 1 : s));
  const out = build(keepShape, (idx) => {
    let best = 0;
    for (let j = 1; j < a.shape[d]; j++) {
      const cand = idx.slice();
      cand[d] = j;
      const cur = idx.slice();
      cur[d] = best;
      if (better(get(a, cand), get(a, cur))) best = j;
    }
    return best;
  });
  if (!keepdims) out.shape = a.shape.filter((_, i) => i !== d);
  return out;
}

export const argmin = (a: Arr, dim?: number, keepdims = false) => argmax(a, dim, keepdims, (v, b) => v < b);

/** log Σ exp, shifted by the max when it is finite (all -inf, or nothing at all, gives -inf). */
export function logsumexp(a: Arr, dims?: Dims, keep = false): Arr {
  const m = map(max(a, dims, true), (mx) => (Number.isFinite(mx) ? mx : 0));
  const shifted = zip(a, m, (x, mx) => Math.exp(x - mx));
  const s = zip(sum(shifted, dims, true), m, (v, mx) => Math.log(v) + mx);
  return keep ? s : { shape: sum(a, dims, false).shape, data: s.data };
}

export function softmax(a: Arr, dim = -1): Arr {
  if (a.shape.length === 0) return arr([], [1]);
  const e = zip(a, max(a, dim, true), (x, mx) => Math.exp(x - mx));
  return zip(e, sum(e, dim, true), (x, s) => x / s);
}

export function logsoftmax(a: Arr, dim = -1): Arr {
  if (a.shape.length === 0) return arr([], [0]);
  return zip(a, logsumexp(a, dim, true), (x, l) => x - l);
}

// ---- matrix products ----------------------------------------------------------------

/** NumPy matmul: 1-D operands are promoted to matrices and the added dim removed again. */
export function matmul(a: Arr, b: Arr): Arr {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
  const m = A.shape[A.shape.length - 2];
  const k = A.shape[A.shape.length - 1];
  const n = B.shape[B.shape.length - 1];
  if (B.shape[B.shape.length - 2] !== k) throw new Error('reference: matmul inner dims differ');
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, batch.length);
    const [i, j] = idx.slice(batch.length);
    let s = 0;
    for (let p = 0; p < k; p++) s += at(A, [...bi, i, p]) * at(B, [...bi, p, j]);
    return s;
  });
  const shape = out.shape.slice();
  if (b.shape.length === 1) shape.pop();
  if (a.shape.length === 1) shape.splice(shape.length - (b.shape.length === 1 ? 1 : 2), 1);
  return { shape, data: out.data };
}

/** x Wᵀ + b */
export function linear(x: Arr, w: Arr, b?: Arr): Arr {
  const y = matmul(x, transpose(w));
  return b === undefined ? y : zip(y, b, (u, v) => u + v);
}

// ---- movement -----------------------------------------------------------------------

export function reshape(a: Arr, shape: readonly number[]): Arr {
  const known = numel(shape.filter((d) => d !== -1));
  return arr(
    shape.map((d) => (d === -1 ? a.data.length / known : d)),
    a.data,
  );
}

export function permute(a: Arr, dims: readonly number[]): Arr {
  const p = dims.map((d) => normDim(d, a.shape.length));
  return build(
    p.map((d) => a.shape[d]),
    (idx) => {
      const src = new Array<number>(p.length);
      p.forEach((d, i) => {
        src[d] = idx[i];
      });
      return get(a, src);
    },
  );
}

export function transpose(a: Arr, d0 = -2, d1 = -1): Arr {
  const n = a.shape.length;
  if (n < 2) return a;
  const p = a.shape.map((_, i) => i);
  const [x, y] = [normDim(d0, n), normDim(d1, n)];
  [p[x], p[y]] = [p[y], p[x]];
  return permute(a, p);
}

export function expand(a: Arr, shape: readonly number[]): Arr {
  return build(shape, (i) => at(a, i));
}

export const unsqueeze = (a: Arr, dim: number) => {
  const s = a.shape.slice();
  s.splice(normDim(dim, s.length + 1), 0, 1);
  return reshape(a, s);
};

export function squeeze(a: Arr, dim?: number): Arr {
  if (dim === undefined) return reshape(a, a.shape.filter((d) => d !== 1));
  const d = normDim(dim, a.shape.length);
  return a.shape[d] === 1 ? reshape(a, a.shape.filter((_, i) => i !== d)) : a;
}

export function flatten(a: Arr, start = 0, end = -1): Arr {
  if (a.shape.length === 0) return reshape(a, [1]);
  const [s, e] = [normDim(start, a.shape.length), normDim(end, a.shape.length)];
  return reshape(a, [...a.shape.slice(0, s), numel(a.shape.slice(s, e + 1)), ...a.shape.slice(e + 1)]);
}

/** One index entry: a position (drops the dim), [start, end, step] with Python slice rules, or null. */
export type Spec = number | null | undefined | readonly (number | null | undefined)[];

export function index(a: Arr, ...specs: Spec[]): Arr {
  // Per dim: the source positions it selects, and whether the dim survives.
  const picks = a.shape.map((n, d) => {
    const s = specs[d];
    if (s === null || s === undefined) return { keep: true, pos: range(0, n, 1) };
    if (typeof s === 'number') return { keep: false, pos: [s < 0 ? s + n : s] };
    const clamp = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
    const step = s[2] ?? 1;
    return { keep: true, pos: range(clamp(s[0] ?? 0), clamp(s[1] ?? n), step) };
  });
  const kept = picks.filter((p) => p.keep);
  return build(
    kept.map((p) => p.pos.length),
    (idx) => {
      let k = 0;
      return get(
        a,
        picks.map((p) => (p.keep ? p.pos[idx[k++]] : p.pos[0])),
      );
    },
  );
}

function range(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i += step) out.push(i);
  return out;
}

export function slice(a: Arr, dim: number, start?: number, end?: number, step = 1): Arr {
  const specs: Spec[] = a.shape.map(() => null);
  specs[normDim(dim, a.shape.length)] = [start, end, step];
  return index(a, ...specs);
}

export function concat(list: readonly Arr[], dim = 0): Arr {
  const d = normDim(dim, list[0].shape.length);
  const shape = list[0].shape.slice();
  shape[d] = list.reduce((s, x) => s + x.shape[d], 0);
  return build(shape, (idx) => {
    let i = idx[d];
    for (const x of list) {
      if (i < x.shape[d]) {
        const src = idx.slice();
        src[d] = i;
        return get(x, src);
      }
      i -= x.shape[d];
    }
    throw new Error('reference: concat out of range');
  });
}

export const stack = (list: readonly Arr[], dim = 0) => concat(list.map((x) => unsqueeze(x, dim)), normDim(dim, list[0].shape.length + 1));

export function split(a: Arr, size: number, dim = 0): Arr[] {
  const d = normDim(dim, a.shape.length);
  const out: Arr[] = [];
  for (let s = 0; s < a.shape[d]; s += size) out.push(slice(a, d, s, Math.min(s + size, a.shape[d])));
  return out;
}

export function indexSelect(a: Arr, dim: number, idx: readonly number[]): Arr {
  const d = normDim(dim, a.shape.length);
  const shape = a.shape.slice();
  shape[d] = idx.length;
  return build(shape, (i) => {
    const src = i.slice();
    const k = idx[i[d]];
    src[d] = k < 0 ? k + a.shape[d] : k;
    return get(a, src);
  });
}

/** Zeros with `size` entries along `dim`, each slice of g added at its index. */
export function indexAdd(g: Arr, dim: number, idx: readonly number[], size: number): Arr {
  const d = normDim(dim, g.shape.length);
  const shape = g.shape.slice();
  shape[d] = size;
  const out = build(shape, () => 0);
  for (let i = 0; i < g.data.length; i++) {
    const dst = unravel(i, g.shape);
    dst[d] = idx[dst[d]] < 0 ? idx[dst[d]] + size : idx[dst[d]];
    out.data[ravel(dst, shape)] += g.data[i];
  }
  return out;
}

/** Sums a broadcast array back down to `shape`. */
export function sumTo(a: Arr, shape: readonly number[]): Arr {
  const lead = a.shape.length - shape.length;
  const dims = a.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && a.shape[i] !== 1));
  return reshape(sum(a, dims, true), shape);
}

/** Conversion to a dtype's values: float32 rounds to nearest, int32 truncates toward zero. */
export function cast(a: Arr, dtype: 'float32' | 'float64' | 'int32'): Arr {
  if (dtype === 'float32') return map(a, Math.fround);
  if (dtype === 'int32') return map(a, Math.trunc);
  return a;
}
