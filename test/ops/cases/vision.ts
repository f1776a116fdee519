// Cases of the grid ops (unfold / fold, conv, convTranspose, pooling, adaptive pooling, pad,
// upsample, pixelShuffle) and of variance, std and erf, each against a naive reference written
// here with plain loops over the definitions (no windows laid out, no GEMM), in every layout.
import * as flx from '../../../ts/index.js';
import type { Tensor } from '../../../ts/index.js';
import * as R from '../reference.js';
import { FLOAT, I, type InputSpec, type OpCase } from './spec.js';

type Pairs = [number, number][];

/** Every multi-index of `shape`, row-major. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    const idx = new Array<number>(shape.length);
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    yield idx;
  }
}
const flat = (idx: readonly number[], shape: readonly number[]) => idx.reduce((a, v, d) => a * shape[d] + v, 0);
const zerosOf = (shape: number[]): R.Arr => ({ shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) });

interface Geo {
  stride: number[];
  pads: Pairs;
  dil: number[];
}
function outSize(S: number[], K: number[], g: Geo): number[] {
  return S.map((s, d) => Math.floor((s + g.pads[d][0] + g.pads[d][1] - g.dil[d] * (K[d] - 1) - 1) / g.stride[d]) + 1);
}

/** conv as its definition: y[n, o, p] = Σ_c,k x[n, g·C/G + c, p·s − lo + k·d] · w[o, c, k]. */
function refConv(x: R.Arr, w: R.Arr, g: Geo, groups: number): R.Arr {
  const [N, , ...S] = x.shape;
  const [O, Cg, ...K] = w.shape;
  const Og = O / groups;
  const P = outSize(S, K, g);
  const y = zerosOf([N, O, ...P]);
  for (const [n, o, ...p] of indices([N, O, ...P])) {
    let acc = 0;
    const grp = Math.floor(o / Og);
    for (const [c, ...k] of indices([Cg, ...K])) {
      const src = p.map((pd, d) => pd * g.stride[d] - g.pads[d][0] + k[d] * g.dil[d]);
      if (src.some((v, d) => v < 0 || v >= S[d])) continue;
      acc += x.data[flat([n, grp * Cg + c, ...src], x.shape)] * w.data[flat([o, c, ...k], w.shape)];
    }
    y.data[flat([n, o, ...p], y.shape)] = acc;
  }
  return y;
}

/** convTranspose as the scatter conv's adjoint makes: every x element spreads over its window. */
function refConvTranspose(x: R.Arr, w: R.Arr, g: Geo, groups: number, outPad: number[]): R.Arr {
  const [N, C, ...S] = x.shape;
  const [, Og, ...K] = w.shape;
  const Cg = C / groups;
  const P = S.map((s, d) => (s - 1) * g.stride[d] - g.pads[d][0] - g.pads[d][1] + g.dil[d] * (K[d] - 1) + outPad[d] + 1);
  const y = zerosOf([N, Og * groups, ...P]);
  for (const [n, c, ...q] of indices([N, C, ...S])) {
    const grp = Math.floor(c / Cg);
    for (const [o, ...k] of indices([Og, ...K])) {
      const dst = q.map((qd, d) => qd * g.stride[d] - g.pads[d][0] + k[d] * g.dil[d]);
      if (dst.some((v, d) => v < 0 || v >= P[d])) continue;
      y.data[flat([n, grp * Og + o, ...dst], y.shape)] += x.data[flat([n, c, ...q], x.shape)] * w.data[flat([c, o, ...k], w.shape)];
    }
  }
  return y;
}

/** A window op over x: f of the window's values (padding gives `padValue`). */
function refWindows(x: R.Arr, K: number[], g: Geo, f: (vals: number[]) => number, padValue: number): R.Arr {
  const [N, C, ...S] = x.shape;
  const P = outSize(S, K, g);
  const y = zerosOf([N, C, ...P]);
  for (const [n, c, ...p] of indices([N, C, ...P])) {
    const vals: number[] = [];
    for (const k of indices(K)) {
      const src = p.map((pd, d) => pd * g.stride[d] - g.pads[d][0] + k[d] * g.dil[d]);
      vals.push(src.some((v, d) => v < 0 || v >= S[d]) ? padValue : x.data[flat([n, c, ...src], x.shape)]);
    }
    y.data[flat([n, c, ...p], y.shape)] = f(vals);
  }
  return y;
}

/** unfold: [N, C·∏K, L], entry (c, k, l) the value window l reads at k. */
function refUnfold(x: R.Arr, K: number[], g: Geo): R.Arr {
  const [N, C, ...S] = x.shape;
  const P = outSize(S, K, g);
  const KK = K.reduce((a, b) => a * b, 1);
  const L = P.reduce((a, b) => a * b, 1);
  const y = zerosOf([N, C * KK, L]);
  for (const [n, c] of indices([N, C]))
    for (const [ki, k] of [...indices(K)].entries())
      for (const [li, p] of [...indices(P)].entries()) {
        const src = p.map((pd, d) => pd * g.stride[d] - g.pads[d][0] + k[d] * g.dil[d]);
        if (src.some((v, d) => v < 0 || v >= S[d])) continue;
        y.data[flat([n, c * KK + ki, li], y.shape)] = x.data[flat([n, c, ...src], x.shape)];
      }
  return y;
}

/** fold: the adjoint of unfold. */
function refFold(cols: R.Arr, S: number[], K: number[], g: Geo): R.Arr {
  const [N, CK] = cols.shape;
  const KK = K.reduce((a, b) => a * b, 1);
  const C = CK / KK;
  const P = outSize(S, K, g);
  const y = zerosOf([N, C, ...S]);
  for (const [n, c] of indices([N, C]))
    for (const [ki, k] of [...indices(K)].entries())
      for (const [li, p] of [...indices(P)].entries()) {
        const dst = p.map((pd, d) => pd * g.stride[d] - g.pads[d][0] + k[d] * g.dil[d]);
        if (dst.some((v, d) => v < 0 || v >= S[d])) continue;
        y.data[flat([n, c, ...dst], y.shape)] += cols.data[flat([n, c * KK + ki, li], cols.shape)];
      }
  return y;
}

function refAdaptive(x: R.Arr, O: number[], f: (vals: number[]) => number): R.Arr {
  const [N, C, ...S] = x.shape;
  const y = zerosOf([N, C, ...O]);
  for (const [n, c, ...o] of indices([N, C, ...O])) {
    const ranges = o.map((i, d) => [Math.floor((i * S[d]) / O[d]), Math.ceil(((i + 1) * S[d]) / O[d])]);
    const vals: number[] = [];
    for (const k of indices(ranges.map(([a, b]) => b - a))) vals.push(x.data[flat([n, c, ...k.map((v, d) => v + ranges[d][0])], x.shape)]);
    y.data[flat([n, c, ...o], y.shape)] = f(vals);
  }
  return y;
}

function refPad(x: R.Arr, pads: Pairs, mode: 'constant' | 'reflect' | 'replicate', value = 0): R.Arr {
  const first = x.shape.length - pads.length;
  const shape = x.shape.map((s, d) => (d < first ? s : s + pads[d - first][0] + pads[d - first][1]));
  return R.build(shape, (idx) => {
    const src = idx.map((v, d) => {
      if (d < first) return v;
      const S = x.shape[d];
      const k = v - pads[d - first][0];
      if (mode === 'replicate') return Math.min(S - 1, Math.max(0, k));
      if (mode === 'reflect') return k < 0 ? -k : k >= S ? 2 * (S - 1) - k : k;
      return k;
    });
    return src.some((v, d) => v < 0 || v >= x.shape[d]) ? value : x.data[flat(src, x.shape)];
  });
}

function refUpsampleNearest(x: R.Arr, scale: number[]): R.Arr {
  const [N, C, ...S] = x.shape;
  return R.build([N, C, ...S.map((s, d) => s * scale[d])], ([n, c, ...p]) => x.data[flat([n, c, ...p.map((v, d) => Math.floor(v / scale[d]))], x.shape)]);
}

function refUpsampleLinear(x: R.Arr, scale: number[]): R.Arr {
  const [N, C, ...S] = x.shape;
  const O = S.map((s, d) => Math.floor(s * scale[d]));
  return R.build([N, C, ...O], ([n, c, ...p]) => {
    // Σ over the 2^nd corners of the product of the linear weights
    const axes = p.map((o, d) => {
      const src = Math.max(0, (o + 0.5) / scale[d] - 0.5);
      const i0 = Math.min(Math.floor(src), S[d] - 1);
      const lam = src - i0;
      return [
        [i0, 1 - lam],
        [Math.min(i0 + 1, S[d] - 1), lam],
      ];
    });
    let acc = 0;
    for (const corner of indices(axes.map(() => 2))) {
      const w = corner.reduce((a, b, d) => a * axes[d][b][1], 1);
      acc += w * x.data[flat([n, c, ...corner.map((b, d) => axes[d][b][0])], x.shape)];
    }
    return acc;
  });
}

function refPixelShuffle(x: R.Arr, r: number): R.Arr {
  const [N, Cr, H, W] = x.shape;
  return R.build([N, Cr / (r * r), H * r, W * r], ([n, c, h, w]) => x.data[flat([n, c * r * r + (h % r) * r + (w % r), Math.floor(h / r), Math.floor(w / r)], x.shape)]);
}

function refVariance(x: R.Arr, dims: number[] | undefined, correction: number, keep: boolean): R.Arr {
  const all = dims ?? x.shape.map((_, i) => i);
  const m = R.mean(x, all, true);
  const sq = R.zip(x, m, (a, b) => (a - b) * (a - b));
  const n = all.reduce((p, d) => p * x.shape[d], 1);
  return R.map(R.sum(sq, all, keep), (v) => v / (n - correction));
}

/** erf to double precision: its Taylor series near 0, a continued fraction of erfc further out. */
function erfRef(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 2) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(a) = exp(−a²)/√π · 1/(a + 1/2 /(a + 1/(a + 3/2 /(a + ...))))
    let f = a;
    for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

const geo = (nd: number, o: { stride?: number[]; pads?: Pairs; dil?: number[] } = {}): Geo => ({
  stride: o.stride ?? new Array(nd).fill(1),
  pads: o.pads ?? new Array(nd).fill(0).map(() => [0, 0] as [number, number]),
  dil: o.dil ?? new Array(nd).fill(1),
});

// [label, x, w, geometry, groups]
const CONV: [string, InputSpec, InputSpec, Geo, number][] = [
  ['1-D k3', I([2, 3, 7]), I([4, 3, 3]), geo(1), 1],
  ['1-D stride 2, pad 1, dilation 2', I([1, 2, 9]), I([3, 2, 3]), geo(1, { stride: [2], pads: [[1, 1]], dil: [2] }), 1],
  ['2-D k3×2, pad [1,0]', I([2, 2, 5, 4]), I([3, 2, 3, 2]), geo(2, { pads: [[1, 1], [0, 0]] }), 1],
  ['2-D stride [2,1], asymmetric pad', I([1, 3, 5, 6]), I([2, 3, 2, 3]), geo(2, { stride: [2, 1], pads: [[0, 1], [2, 1]] }), 1],
  ['2-D groups 2', I([2, 4, 4, 4]), I([6, 2, 3, 3]), geo(2, { pads: [[1, 1], [1, 1]] }), 2],
  ['2-D depthwise (groups = channels)', I([1, 3, 4, 5]), I([3, 1, 2, 2]), geo(2), 3],
  ['2-D T x (a transposed spatial view)', I([1, 2, 4, 5], 'transposed'), I([2, 2, 2, 2]), geo(2), 1],
  ['2-D strided x and w', I([1, 2, 4, 4], 'strided'), I([2, 2, 2, 2], 'strided'), geo(2, { stride: [2, 2] }), 1],
  ['3-D k2', I([1, 2, 3, 4, 3]), I([2, 2, 2, 2, 2]), geo(3, { pads: [[0, 1], [1, 0], [0, 0]] }), 1],
];

// [label, x, w (in, out/groups, ...k), geometry, groups, outputPad]
const CONV_T: [string, InputSpec, InputSpec, Geo, number, number[]][] = [
  ['1-D k3', I([2, 3, 5]), I([3, 2, 3]), geo(1), 1, [0]],
  ['1-D stride 2, pad 1, outputPad 1', I([1, 2, 4]), I([2, 3, 3]), geo(1, { stride: [2], pads: [[1, 1]] }), 1, [1]],
  ['2-D stride 2, dilation [1,2], groups 2', I([1, 4, 3, 3]), I([4, 1, 2, 2]), geo(2, { stride: [2, 2], dil: [1, 2] }), 2, [1, 0]],
  ['2-D offset x', I([2, 2, 3, 2], 'offset'), I([2, 2, 3, 2]), geo(2, { pads: [[1, 1], [0, 0]] }), 1, [0, 0]],
  ['3-D k2 stride 2', I([1, 2, 2, 2, 2]), I([2, 1, 2, 2, 2]), geo(3, { stride: [2, 2, 2] }), 1, [0, 0, 0]],
];

const convOpts = (g: Geo, groups: number) => ({ stride: g.stride, pad: g.pads, dilation: g.dil, groups });

const max = (v: number[]) => Math.max(...v);
const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

export const VISION_CASES: OpCase[] = [
  ...CONV.map(([label, x, w, g, groups]): OpCase => ({
    name: `conv ${label}`,
    op: 'conv',
    fn: (a: Tensor, b: Tensor) => flx.conv(a, b, convOpts(g, groups)),
    inputs: [x, w],
    ref: (a, b) => refConv(a, b, g, groups),
    tol: 'accumulate',
  })),
  {
    name: "conv 2-D pad 'same' dilation 2",
    op: 'conv',
    fn: (a: Tensor, b: Tensor) => a.conv(b, { pad: 'same', dilation: 2 }),
    inputs: [I([1, 2, 5, 5]), I([2, 2, 3, 3])],
    ref: (a, b) => refConv(a, b, geo(2, { pads: [[2, 2], [2, 2]], dil: [2, 2] }), 1),
    tol: 'accumulate',
  },
  ...CONV_T.map(([label, x, w, g, groups, outputPad]): OpCase => ({
    name: `convTranspose ${label}`,
    op: 'convTranspose',
    fn: (a: Tensor, b: Tensor) => flx.convTranspose(a, b, { ...convOpts(g, groups), outputPad }),
    inputs: [x, w],
    ref: (a, b) => refConvTranspose(a, b, g, groups, outputPad),
    tol: 'accumulate',
  })),
  {
    name: 'unfold 2-D k2 stride [1,2] pad 1',
    op: 'unfold',
    fn: (a: Tensor) => flx.unfold(a, [2, 2], { stride: [1, 2], pad: 1 }),
    inputs: [I([2, 3, 3, 4], 'strided')],
    ref: (a) => refUnfold(a, [2, 2], geo(2, { stride: [1, 2], pads: [[1, 1], [1, 1]] })),
  },
  {
    name: 'fold 1-D k3 stride 2 (overlaps sum)',
    op: 'fold',
    fn: (a: Tensor) => flx.fold(a, [7], 3, { stride: 2 }),
    inputs: [I([2, 6, 3])],
    ref: (a) => refFold(a, [7], [3], geo(1, { stride: [2] })),
    tol: 'accumulate',
  },
  {
    name: 'maxPool 2-D k2',
    op: 'maxPool',
    fn: (a: Tensor) => flx.maxPool(a, [2, 2]),
    inputs: [I([2, 2, 4, 5], 'distinct')],
    ref: (a) => refWindows(a, [2, 2], geo(2, { stride: [2, 2] }), max, Number.NEGATIVE_INFINITY),
    dtypes: FLOAT,
  },
  {
    name: 'maxPool 1-D k3 stride 2 pad 1 on a transposed view',
    op: 'maxPool',
    fn: (a: Tensor) => a.maxPool(3, { stride: 2, pad: 1 }),
    inputs: [I([2, 5, 3], { gen: 'distinct', layout: 'transposed' })],
    ref: (a) => refWindows(a, [3], geo(1, { stride: [2], pads: [[1, 1]] }), max, Number.NEGATIVE_INFINITY),
  },
  {
    name: 'maxPool 3-D k2',
    op: 'maxPool',
    fn: (a: Tensor) => flx.maxPool(a, 2),
    inputs: [I([1, 2, 4, 2, 4], 'distinct')],
    ref: (a) => refWindows(a, [2, 2, 2], geo(3, { stride: [2, 2, 2] }), max, Number.NEGATIVE_INFINITY),
  },
  {
    name: 'meanPool 2-D k3 stride 2 pad 1 (padding counts as zeros)',
    op: 'meanPool',
    fn: (a: Tensor) => flx.meanPool(a, [3, 3], { stride: 2, pad: 1 }),
    inputs: [I([1, 2, 5, 4])],
    ref: (a) => refWindows(a, [3, 3], geo(2, { stride: [2, 2], pads: [[1, 1], [1, 1]] }), avg, 0),
  },
  {
    name: 'meanPool 1-D k2 strided',
    op: 'meanPool',
    fn: (a: Tensor) => flx.meanPool(a, 2),
    inputs: [I([2, 2, 6], 'strided')],
    ref: (a) => refWindows(a, [2], geo(1, { stride: [2] }), avg, 0),
  },
  {
    name: 'adaptiveMeanPool 2-D 5×7 → 3×4',
    op: 'adaptiveMeanPool',
    fn: (a: Tensor) => flx.adaptiveMeanPool(a, [3, 4]),
    inputs: [I([2, 2, 5, 7])],
    ref: (a) => refAdaptive(a, [3, 4], avg),
    tol: 'accumulate',
  },
  {
    name: 'adaptiveMeanPool 1-D to 1 (global) on an offset view',
    op: 'adaptiveMeanPool',
    fn: (a: Tensor) => flx.adaptiveMeanPool(a, 1),
    inputs: [I([2, 3, 5], 'offset')],
    ref: (a) => refAdaptive(a, [1], avg),
    tol: 'accumulate',
  },
  {
    name: 'adaptiveMaxPool 2-D 5×5 → 3',
    op: 'adaptiveMaxPool',
    fn: (a: Tensor) => flx.adaptiveMaxPool(a, 3),
    inputs: [I([1, 2, 5, 5], 'distinct')],
    ref: (a) => refAdaptive(a, [3, 3], max),
  },
  {
    name: 'adaptiveMaxPool 1-D 7 → 3 transposed',
    op: 'adaptiveMaxPool',
    fn: (a: Tensor) => a.adaptiveMaxPool(3),
    inputs: [I([2, 7, 2], { gen: 'distinct', layout: 'transposed' })],
    ref: (a) => refAdaptive(a, [3], max),
  },
  {
    name: 'pad constant 2-D with a value',
    op: 'pad',
    fn: (a: Tensor) => flx.pad(a, [[1, 2], [0, 3]], { value: -1.5 }),
    inputs: [I([2, 2, 3, 3])],
    ref: (a) => refPad(a, [[1, 2], [0, 3]], 'constant', -1.5),
    tol: 'exact',
  },
  {
    name: 'pad reflect 1-D on a strided view',
    op: 'pad',
    fn: (a: Tensor) => a.pad([[2, 1]], { mode: 'reflect' }),
    inputs: [I([2, 3, 4], 'strided')],
    ref: (a) => refPad(a, [[2, 1]], 'reflect'),
    tol: 'exact',
  },
  {
    name: 'pad replicate 3-D',
    op: 'pad',
    fn: (a: Tensor) => flx.pad(a, [[1, 0], [0, 2], [1, 1]], { mode: 'replicate' }),
    inputs: [I([1, 2, 2, 3, 2])],
    ref: (a) => refPad(a, [[1, 0], [0, 2], [1, 1]], 'replicate'),
    tol: 'exact',
  },
  {
    name: 'upsample nearest [2,3]',
    op: 'upsample',
    fn: (a: Tensor) => flx.upsample(a, { scale: [2, 3] }),
    inputs: [I([2, 2, 3, 2])],
    ref: (a) => refUpsampleNearest(a, [2, 3]),
    tol: 'exact',
  },
  {
    name: 'upsample bilinear 2 on a transposed view',
    op: 'upsample',
    fn: (a: Tensor) => flx.upsample(a, { scale: 2, mode: 'bilinear' }),
    inputs: [I([1, 2, 3, 4], 'transposed')],
    ref: (a) => refUpsampleLinear(a, [2, 2]),
    tol: 'accumulate',
  },
  {
    name: 'pixelShuffle r2',
    op: 'pixelShuffle',
    fn: (a: Tensor) => flx.pixelShuffle(a, 2),
    inputs: [I([2, 8, 2, 3])],
    ref: (a) => refPixelShuffle(a, 2),
    tol: 'exact',
  },
  {
    name: 'pixelShuffle r3 offset',
    op: 'pixelShuffle',
    fn: (a: Tensor) => a.pixelShuffle(3),
    inputs: [I([1, 9, 2, 2], 'offset')],
    ref: (a) => refPixelShuffle(a, 3),
    tol: 'exact',
  },
  {
    name: 'variance dims [0,2] unbiased',
    op: 'variance',
    fn: (a: Tensor) => flx.variance(a, [0, 2]),
    inputs: [I([3, 2, 4])],
    ref: (a) => refVariance(a, [0, 2], 1, false),
    tol: 'accumulate',
  },
  {
    name: 'variance of all, correction 0, keepdims, strided',
    op: 'variance',
    fn: (a: Tensor) => a.variance(undefined, { correction: 0, keepdims: true }),
    inputs: [I([2, 5], 'strided')],
    ref: (a) => refVariance(a, undefined, 0, true),
    tol: 'accumulate',
  },
  {
    name: 'std dim 1 transposed',
    op: 'std',
    fn: (a: Tensor) => flx.std(a, 1),
    inputs: [I([3, 4], 'transposed')],
    ref: (a) => R.map(refVariance(a, [1], 1, false), Math.sqrt),
    tol: 'accumulate',
  },
  {
    name: 'erf',
    op: 'erf',
    fn: (a: Tensor) => a.erf(),
    inputs: [I([2, 7])],
    ref: (a) => R.map(a, erfRef),
    tol: 'transcendental',
  },
  {
    name: 'erf strided, large values',
    op: 'erf',
    fn: (a: Tensor) => flx.erf(a),
    inputs: [I([3, 4], { gen: 'normal', layout: 'strided' })],
    ref: (a) => R.map(a, erfRef),
    tol: 'transcendental',
  },
];
