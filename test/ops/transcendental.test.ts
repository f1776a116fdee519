// float32 exp, tanh, sigmoid and gelu run branch-free SIMD versions on the CPU (vecmath.h):
// across the whole range they stay within a few ulp of the float64 result, overflow to +∞
// where the float does, underflow through the subnormals to 0, and propagate NaN.
import test from 'ava';
import { exp, gelu, sigmoid, tanh, tensor } from '../../ts/index.js';

// 3,000-odd points from −110 to 95, dense near 0 and near the formulas' seams (tanh at ±0.625)
const points: number[] = [];
for (let v = -110; v < 95; v += 0.0731) points.push(v);
for (let v = -1; v < 1; v += 0.00113) points.push(v);
points.push(0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.625, -0.625, 88.72, 88.73, -87.33, -103.9, -104.1, 1e4, -1e4);
const xs = Float32Array.from(points);
const x32 = tensor(xs);
const x64 = x32.cast('float64');

/** The spacing of float32 values at v's magnitude. */
function ulpOf(v: number): number {
  const a = Math.abs(Math.fround(v));
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

function ulpError(got: number, ref: number): number {
  const f = Math.fround(ref);
  if (!Number.isFinite(f)) return got === f ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(got - ref) / ulpOf(f);
}

for (const [name, op, maxUlp] of [
  ['exp', exp, 1.5],
  ['tanh', tanh, 2],
  ['sigmoid', sigmoid, 3],
  ['gelu', gelu, 4],
] as const) {
  test(`float32 ${name} within ${maxUlp} ulp of float64 from −110 to 95, with float overflow, underflow and NaN`, (t) => {
    const got = op(x32).data() as Float32Array;
    const ref = op(x64).data() as Float64Array;
    let worst = 0;
    let at = 0;
    got.forEach((g, i) => {
      // gelu's tanh form, 0.5·x·(1 + tanh(u)), cancels for negative x in any float32 evaluation
      // (1 + tanh(u) → 0): its error is counted in ulps of x there, not of the tiny result
      const e = name === 'gelu' && xs[i] < 0 ? Math.abs(g - ref[i]) / ulpOf(xs[i]) : ulpError(g, ref[i]);
      if (e > worst) [worst, at] = [e, xs[i]];
    });
    t.true(worst <= maxUlp, `worst ${worst.toFixed(2)} ulp at x = ${at}`);
    const special = op(tensor(new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]))).data();
    t.true(Number.isNaN(special[0]), `${name}(NaN) = ${special[0]}`);
    // gelu(−∞) is −∞ · 0 = NaN in every precision; the others have limits
    const limits: Record<string, number[]> = { exp: [Number.POSITIVE_INFINITY, 0], tanh: [1, -1], sigmoid: [1, 0], gelu: [Number.POSITIVE_INFINITY, Number.NaN] };
    t.deepEqual([special[1], special[2]], limits[name], `${name}(±∞)`);
  });
}

test('float32 exp overflows to +∞ exactly where the float does and underflows through the subnormals', (t) => {
  const v = exp(tensor(new Float32Array([88.72, 88.73, 89, -87.5, -100, -103.9, -104.5]))).data();
  t.true(Number.isFinite(v[0]) && v[0] > 3.3e38, `exp(88.72) = ${v[0]}`);
  t.is(v[1], Number.POSITIVE_INFINITY);
  t.is(v[2], Number.POSITIVE_INFINITY);
  for (const [i, x] of [[3, -87.5], [4, -100], [5, -103.9]] as const) {
    const ref = Math.exp(Math.fround(x));
    t.true(Math.abs(v[i] - ref) <= Math.max(ref * 1e-6, 2 ** -149), `exp(${x}) = ${v[i]}, expected ${ref}`);
  }
  t.is(v[6], 0);
});
