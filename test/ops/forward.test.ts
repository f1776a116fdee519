// Forward checks: every case in every dtype against the naive reference (values,
// shape, dtype), plus coverage checks that keep the case list complete.
import test, { type ExecutionContext } from 'ava';
import * as flx from '../../ts/index.js';
import { type DType, Tensor } from '../../ts/index.js';
import { opRegistry } from '../../ts/ops/registry.js';
import * as creation from '../../ts/creation.js';
import * as ops from '../../ts/ops/index.js';
import { sumTo } from '../../ts/ops/reduce.js';
import { CASES, FLOAT, TOLERANCES, makeInputs, outDtypeOf } from './cases.js';
import type { Arr } from './reference.js';

function check(t: ExecutionContext, actual: unknown, expected: Arr, dtype: DType, tol: { atol: number; rtol: number }, what: string): void {
  if (!(actual instanceof Tensor)) {
    t.fail(`${what}: expected a Tensor, got ${typeof actual}`);
    return;
  }
  t.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  t.is(actual.dtype, dtype, `${what}: dtype`);
  const got = actual.data();
  t.is(got.length, expected.data.length, `${what}: element count`);
  for (let i = 0; i < got.length; i++) {
    const [a, e] = [got[i], expected.data[i]];
    const ok = a === e || (Number.isNaN(a) && Number.isNaN(e)) || Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      t.fail(`${what}: element ${i} is ${a}, expected ${e} (|diff| ${Math.abs(a - e).toExponential(2)} > atol ${tol.atol} + rtol ${tol.rtol})`);
      return;
    }
  }
}

for (const c of CASES)
  for (const dtype of c.dtypes ?? FLOAT) {
    test(`${c.name} · ${dtype}`, (t) => {
      const { tensors, refs } = makeInputs(c, dtype);
      const out = c.fn(...tensors);
      const expected = c.ref(...refs);
      const outDtype = outDtypeOf(c, dtype);
      const tol = TOLERANCES[c.tol ?? 'default'][outDtype];
      if (Array.isArray(expected)) {
        if (!Array.isArray(out)) return t.fail(`expected ${expected.length} tensors, got one`);
        t.is(out.length, expected.length, 'number of outputs');
        expected.forEach((e, i) => {
          check(t, out[i], e, outDtype, tol, `output ${i}`);
        });
      } else check(t, out, expected, outDtype, tol, 'output');
    });
  }

// ---- keeping the list complete ----------------------------------------------------------

/** Exports of the op modules that are not ops themselves. */
const NOT_OPS = new Set([
  'opRegistry',
  'fusedBackward',
  // an index form (get's range(start, end, step)), not an op
  'range',
  // random numbers have no closed-form reference; see the rand/randn test below
  'rand',
  'randn',
]);

/** Ops the library uses inside (with cases of their own) that ts/index.ts does not export. */
const INTERNAL = { sumTo };

test('every exported op has at least one case, and every case names an export', (t) => {
  const modules = { ...ops, ...creation, ...INTERNAL };
  const exported = Object.entries(modules).filter(([k, v]) => typeof v === 'function' && !NOT_OPS.has(k)).map(([k]) => k);
  const covered = new Set(CASES.map((c) => c.op));
  t.deepEqual(exported.filter((k) => !covered.has(k)), [], 'exports without a case');
  t.deepEqual([...covered].filter((k) => !(k in modules)), [], 'cases naming no export');
  t.deepEqual([...covered].filter((k) => !(k in flx) && !(k in INTERNAL)), [], 'cases naming an op ts/index.ts does not export');
  t.deepEqual(Object.keys(INTERNAL).filter((k) => k in flx), [], 'internal ops ts/index.ts exports');
});

test('every registered op has a case', (t) => {
  const covered = new Set(CASES.map((c) => c.op));
  // rand and randn have no closed-form reference: the rand/randn test below checks them
  const missing = [...opRegistry().keys()].filter((name) => !covered.has(name) && !NOT_OPS.has(name));
  t.deepEqual(missing, []);
});

test('case names are unique', (t) => {
  const names = CASES.map((c) => c.name);
  t.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
});

test('cases agree with the op registry on which ops are differentiable', (t) => {
  for (const c of CASES) {
    const info = opRegistry().get(c.op);
    if (info && !info.differentiable) t.false(c.differentiable ?? true, `${c.name}: the registry says '${c.op}' has no derivative`);
  }
  t.pass();
});

test('every op case runs in float32 and float64', (t) => {
  const missing = CASES.filter((c) => !(c.dtypes ?? FLOAT).some((d) => d !== 'int32')).map((c) => c.name);
  // int-only cases exist on purpose (promotion from int32); each op still has float cases
  const ops = new Set(CASES.filter((c) => (c.dtypes ?? FLOAT).includes('float32')).map((c) => c.op));
  const ops64 = new Set(CASES.filter((c) => (c.dtypes ?? FLOAT).includes('float64')).map((c) => c.op));
  t.deepEqual([...new Set(CASES.map((c) => c.op))].filter((o) => !ops.has(o) || !ops64.has(o)), [], `ops without float cases (int-only: ${missing.length})`);
});

test('input layouts are what they claim (non-contiguous, offset, broadcast)', (t) => {
  const probe = { name: 'layout probe', op: 'add', fn: () => flx.zeros(1), ref: () => ({ shape: [], data: new Float64Array(1) }) };
  const { tensors } = makeInputs(
    {
      ...probe,
      inputs: [
        { shape: [3, 4], layout: 'transposed' },
        { shape: [2, 3], layout: 'strided' },
        { shape: [2, 3], layout: 'offset' },
        { shape: [2, 3], layout: { expandFrom: [1, 3] } },
      ],
    },
    'float64',
  );
  const [tr, st, off, ex] = tensors;
  t.false(tr.isContiguous);
  t.false(st.isContiguous);
  t.true(st.data().every((v) => !Number.isNaN(v)), 'the NaN gaps are not part of the view');
  t.true(off.isContiguous);
  t.is(off._offset, 1);
  t.is(ex._strides[0], 0);
});

test('rand and randn: shape, dtype, range, and the same numbers for the same seed', (t) => {
  for (const dtype of FLOAT) {
    const u = flx.rand([4, 50], { dtype, rng: new flx.RNG(7) });
    t.deepEqual(u.shape, [4, 50]);
    t.is(u.dtype, dtype);
    t.true(u.data().every((v) => v >= 0 && v < 1));
    const n = flx.randn(200, { dtype, rng: new flx.RNG(7) });
    const mean = Array.from(n.data()).reduce((s, v) => s + v, 0) / 200;
    t.true(Math.abs(mean) < 0.3, `mean of 200 normals ${mean}`);
    t.deepEqual(flx.randn(5, { dtype, rng: new flx.RNG(3) }).data(), flx.randn(5, { dtype, rng: new flx.RNG(3) }).data());
  }
});
