// Sequence cases: the recurrent time loops (lstmSequence, gruSequence, rnnSequence) and
// dotProductAttention, against naive loops over plain arrays.
import * as flx from '../../../ts/index.js';
import type { Tensor } from '../../../ts/index.js';
import * as R from '../reference.js';
import { I, type OpCase } from './spec.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** h W_hhᵀ + b for one sample's h. */
function recurrent(h: number[], w: R.Arr, b: R.Arr | null, rows: number): number[] {
  const H = h.length;
  return Array.from({ length: rows }, (_, r) => {
    let s = b ? b.data[r] : 0;
    for (let k = 0; k < H; k++) s += w.data[r * H + k] * h[k];
    return s;
  });
}

type Cell = (x: number[], hg: number[], h: number[], c: number[]) => [number[], number[]];

/** The time loop over [B, T, G·H] projections: every step's outputs, packed as `pack` says. */
function loop(xg: R.Arr, h0: R.Arr, c0: R.Arr | null, w: R.Arr, b: R.Arr | null, G: number, cell: Cell, withC: boolean): R.Arr {
  const [B, T, GH] = xg.shape;
  const H = GH / G;
  const out: number[] = [];
  for (let n = 0; n < B; n++) {
    let h = Array.from(h0.data.slice(n * H, (n + 1) * H));
    let c = c0 ? Array.from(c0.data.slice(n * H, (n + 1) * H)) : [];
    for (let t = 0; t < T; t++) {
      const x = Array.from(xg.data.slice((n * T + t) * GH, (n * T + t + 1) * GH));
      [h, c] = cell(x, recurrent(h, w, b, GH), h, c);
      out.push(...h, ...(withC ? c : []));
    }
  }
  return R.arr([B, T, withC ? 2 * H : H], out);
}

const lstmCell: Cell = (x, r, _h, c) => {
  const H = c.length;
  const g = (k: number, j: number) => x[k * H + j] + r[k * H + j];
  const c2 = c.map((cj, j) => sig(g(1, j)) * cj + sig(g(0, j)) * Math.tanh(g(2, j)));
  return [c2.map((v, j) => sig(g(3, j)) * Math.tanh(v)), c2];
};
const gruCell: Cell = (x, r, h) => {
  const H = h.length;
  const out = h.map((hj, j) => {
    const rr = sig(x[j] + r[j]);
    const z = sig(x[H + j] + r[H + j]);
    const n = Math.tanh(x[2 * H + j] + rr * r[2 * H + j]);
    return (1 - z) * n + z * hj;
  });
  return [out, []];
};
const rnnCell =
  (act: (v: number) => number): Cell =>
  (x, r) => [x.map((v, j) => act(v + r[j])), []];

// small weights keep the loops away from saturation, where finite differences lose accuracy
const W = (shape: number[]) => I(shape, 'normal');
const scaled = (w: Tensor) => w.mul(0.4);
const ref04 = (w: R.Arr) => R.map(w, (v) => v * 0.4);

const RECURRENT: OpCase[] = [
  {
    name: 'lstmSequence [2,3,4·3] with a bias',
    op: 'lstmSequence',
    fn: (x, h, c, w, b) => flx.lstmSequence(x, h, c, scaled(w), b),
    inputs: [I([2, 3, 12]), I([2, 3]), I([2, 3]), W([12, 3]), I([12])],
    ref: (x, h, c, w, b) => loop(x, h, c, ref04(w), b, 4, lstmCell, true),
    tol: 'accumulate',
  },
  {
    name: 'lstmSequence without a bias, one step, a transposed projection',
    op: 'lstmSequence',
    fn: (x, h, c, w) => flx.lstmSequence(x.reshape([3, 1, 8]), h, c, scaled(w)),
    inputs: [I([3, 8], 'transposed'), I([3, 2]), I([3, 2], 'strided'), W([8, 2])],
    ref: (x, h, c, w) => loop(R.reshape(x, [3, 1, 8]), h, c, ref04(w), null, 4, lstmCell, true),
    tol: 'accumulate',
  },
  {
    name: 'gruSequence [2,4,3·2] with a bias',
    op: 'gruSequence',
    fn: (x, h, w, b) => flx.gruSequence(x, h, scaled(w), b),
    inputs: [I([2, 4, 6]), I([2, 2]), W([6, 2]), I([6])],
    ref: (x, h, w, b) => loop(x, h, null, ref04(w), b, 3, gruCell, false),
    tol: 'accumulate',
  },
  {
    name: 'gruSequence without a bias',
    op: 'gruSequence',
    fn: (x, h, w) => flx.gruSequence(x, h, scaled(w)),
    inputs: [I([1, 3, 9]), I([1, 3], 'offset'), W([9, 3])],
    ref: (x, h, w) => loop(x, h, null, ref04(w), null, 3, gruCell, false),
    tol: 'accumulate',
  },
  {
    name: 'rnnSequence tanh [2,3,3]',
    op: 'rnnSequence',
    fn: (x, h, w, b) => flx.rnnSequence(x, h, scaled(w), b),
    inputs: [I([2, 3, 3]), I([2, 3]), W([3, 3]), I([3])],
    ref: (x, h, w, b) => loop(x, h, null, ref04(w), b, 1, rnnCell(Math.tanh), false),
    tol: 'accumulate',
  },
  {
    name: 'rnnSequence relu [3,2,2] without a bias',
    op: 'rnnSequence',
    // inputs away from 0 so no pre-activation sits on relu's kink
    fn: (x, h, w) => flx.rnnSequence(x, h.abs(), scaled(w).abs(), null, 'relu'),
    inputs: [I([3, 2, 2], 'nonzero'), I([3, 2], 'nonzero'), W([2, 2])],
    ref: (x, h, w) => loop(x, R.map(h, Math.abs), null, R.map(ref04(w), Math.abs), null, 1, rnnCell((v) => Math.max(0, v)), false),
    tol: 'accumulate',
  },
  {
    name: 'rnnSequence with another activation (sigmoid) runs the loop in ordinary ops',
    op: 'rnnSequence',
    fn: (x, h, w, b) => flx.rnnSequence(x, h, scaled(w), b, flx.sigmoid),
    inputs: [I([2, 3, 2]), I([2, 2]), W([2, 2]), I([2])],
    ref: (x, h, w, b) => loop(x, h, null, ref04(w), b, 1, rnnCell((v) => 1 / (1 + Math.exp(-v))), false),
    tol: 'accumulate',
  },
  {
    name: 'rnnSequence given tanh as a function is the fused loop',
    op: 'rnnSequence',
    fn: (x, h, w) => flx.rnnSequence(x, h, scaled(w), null, flx.tanh),
    inputs: [I([1, 2, 2]), I([1, 2]), W([2, 2])],
    ref: (x, h, w) => loop(x, h, null, ref04(w), null, 1, rnnCell(Math.tanh), false),
    tol: 'accumulate',
  },
  {
    name: 'lstmStep [2,4·3] → (h, c)',
    op: 'lstmStep',
    fn: (g, c) => flx.lstmStep(g, c),
    inputs: [I([2, 12]), I([2, 3])],
    ref: (g, c) => {
      const H = 3;
      const hs: number[] = [];
      const cs: number[] = [];
      for (let n = 0; n < 2; n++) {
        const x = Array.from(g.data.slice(n * 4 * H, (n + 1) * 4 * H));
        const [h2, c2] = lstmCell(x, new Array(4 * H).fill(0), [], Array.from(c.data.slice(n * H, (n + 1) * H)));
        hs.push(...h2);
        cs.push(...c2);
      }
      return [R.arr([2, H], hs), R.arr([2, H], cs)];
    },
  },
  {
    name: 'gruStep [3,2·3], a broadcast hidden projection',
    op: 'gruStep',
    fn: (x, hg, h) => flx.gruStep(x, hg, h),
    inputs: [I([3, 6]), I([1, 6]), I([3, 2], 'strided')],
    ref: (x, hg, h) => {
      const H = 2;
      const out: number[] = [];
      for (let n = 0; n < 3; n++) {
        const xs = Array.from(x.data.slice(n * 3 * H, (n + 1) * 3 * H));
        out.push(...gruCell(xs, Array.from(hg.data), Array.from(h.data.slice(n * H, (n + 1) * H)), [])[0]);
      }
      return R.arr([3, H], out);
    },
  },
];

/** softmax(q kᵀ · scale, masked) v over the last two dims, leading dims equal (or broadcast 1). */
function refAttention(q: R.Arr, k: R.Arr, v: R.Arr, allowed: (i: number, j: number, lead: number) => boolean, scale?: number): R.Arr {
  const [Lq, d] = q.shape.slice(-2);
  const [Lk, dv] = v.shape.slice(-2);
  const lead = q.data.length / (Lq * d);
  const s = scale ?? 1 / Math.sqrt(d);
  const out: number[] = [];
  for (let b = 0; b < lead; b++)
    for (let i = 0; i < Lq; i++) {
      const w = Array.from({ length: Lk }, (_, j) => {
        if (!allowed(i, j, b)) return Number.NEGATIVE_INFINITY;
        let dot = 0;
        for (let e = 0; e < d; e++) dot += q.data[(b * Lq + i) * d + e] * k.data[(b * Lk + j) * d + e];
        return dot * s;
      });
      const m = Math.max(...w);
      const ex = w.map((x) => Math.exp(x - m));
      const tot = ex.reduce((a, x) => a + x, 0);
      for (let e = 0; e < dv; e++) out.push(ex.reduce((acc, x, j) => acc + (x / tot) * v.data[(b * Lk + j) * dv + e], 0));
    }
  return R.arr([...q.shape.slice(0, -1), dv], out);
}

// a fixed mask [2, 1, 3, 4] (broadcast over 2 heads): every row keeps at least one key
const MASK = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1];

const ATTENTION: OpCase[] = [
  {
    name: 'dotProductAttention [2,3,4]·[2,5,4]·[2,5,3]',
    op: 'dotProductAttention',
    fn: (q, k, v) => flx.dotProductAttention(q, k, v),
    inputs: [I([2, 3, 4]), I([2, 5, 4]), I([2, 5, 3])],
    ref: (q, k, v) => refAttention(q, k, v, () => true),
    tol: 'accumulate',
  },
  {
    name: 'dotProductAttention causal, scale 0.5, transposed k',
    op: 'dotProductAttention',
    fn: (q, k, v) => flx.dotProductAttention(q, k.transpose(), v, { causal: true, scale: 0.5 }),
    inputs: [I([4, 3]), I([3, 4], 'transposed'), I([4, 2])],
    ref: (q, k, v) => refAttention(q, R.transpose(k), v, (i, j) => j <= i, 0.5),
    tol: 'accumulate',
  },
  {
    name: 'dotProductAttention with a mask broadcast over heads [2,2,3,2]',
    op: 'dotProductAttention',
    fn: (q, k, v) => flx.dotProductAttention(q, k, v, { mask: flx.tensor(MASK, { shape: [2, 1, 3, 4], dtype: 'int32', device: q.device as 'cpu' }) }),
    inputs: [I([2, 2, 3, 2]), I([2, 2, 4, 2], 'strided'), I([2, 2, 4, 3])],
    ref: (q, k, v) => refAttention(q, k, v, (i, j, lead) => MASK[(Math.floor(lead / 2) * 3 + i) * 4 + j] === 1),
    tol: 'accumulate',
  },
];

export const SEQUENCE_CASES: OpCase[] = [...RECURRENT, ...ATTENTION];
