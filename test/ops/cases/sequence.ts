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
];

export const SEQUENCE_CASES: OpCase[] = [...RECURRENT];
