// tanh, sigmoid, relu, softplus and gelu take a fused native derivative kernel in the
// backward pass when no outer gradient records. These tests show that path gives what
// the composed rule (public ops) gives, that it is really taken, and that it is not
// taken where an outer gradient needs a differentiable backward.
import test from 'ava';
import { type DType, type Tensor, gelu, gradient, linear, relu, sigmoid, tanh, tensor } from '../../ts/index.js';
import { opCode, raw } from '../../ts/backend/index.js';
import { fusedBackward } from '../../ts/ops/elementwise.js';
import { native } from '../../ts/native.js';
import { mulberry32 } from './cases.js';
import { close } from '../helpers.js';

/** How often the kernel ran while fn did. */
function callsOf(name: 'unaryGrad' | 'biasAct', fn: () => void): number {
  const before = native.kernelCalls()[name];
  fn();
  return native.kernelCalls()[name] - before;
}

/** The fused dense kernel, in place on a CPU tensor: y = act(y + bias). */
function biasActInto(y: Tensor, bias: Tensor | null, act: number, cols: number): void {
  native.biasAct(raw(y), bias === null ? null : raw(bias), act, cols);
}
const opCodes = { unary: { relu: opCode('unary', 'relu'), tanh: opCode('unary', 'tanh'), sigmoid: opCode('unary', 'sigmoid'), gelu: opCode('unary', 'gelu') } };

const FUSED = ['tanh', 'sigmoid', 'relu', 'softplus', 'gelu'] as const;
type Op = (typeof FUSED)[number];

/** Runs `fn` with the fused path on or off, counting the fused kernel calls. */
function withFused<T>(enabled: boolean, fn: () => T): { value: T; calls: number } {
  const saved = fusedBackward.enabled;
  fusedBackward.enabled = enabled;
  try {
    let value: T | undefined;
    const calls = callsOf('unaryGrad', () => {
      value = fn();
    });
    return { value: value as T, calls };
  } finally {
    fusedBackward.enabled = saved;
  }
}

function values(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  // spread over [-4, 4], kept away from relu's kink at 0
  return Array.from({ length: n }, () => {
    const v = 8 * r() - 4;
    return Math.abs(v) < 0.05 ? 0.5 : v;
  });
}

/** Inputs in several layouts: contiguous, transposed view, strided view, 0-d, empty. */
function inputs(dtype: DType): [string, Tensor][] {
  const v = values(24, 1);
  return [
    ['[4,6]', tensor(v, { dtype, shape: [4, 6] })],
    ['T[6,4]', tensor(v, { dtype, shape: [4, 6] }).T],
    ['strided [4,3]', tensor(v, { dtype, shape: [4, 6] }).slice(1, 0, undefined, 2)],
    ['0-d', tensor(v[0], { dtype })],
    ['empty [0,3]', tensor([], { dtype, shape: [0, 3] })],
  ];
}

const apply = (op: Op, x: Tensor) => (x as unknown as Record<Op, () => Tensor>)[op]();

for (const op of FUSED)
  for (const dtype of ['float32', 'float64'] as const) {
    const tol = dtype === 'float32' ? { atol: 1e-6, rtol: 1e-5 } : { atol: 1e-13, rtol: 1e-13 };
    test(`${op} · ${dtype}: the fused derivative equals the composed rule`, (t) => {
      for (const [label, x] of inputs(dtype)) {
        // a non-uniform cotangent, so g * f'(x) is checked, not just f'(x)
        const w = tensor(values(x.size, 2), { dtype, shape: x.shape });
        const grad = () => gradient((y: Tensor) => apply(op, y).mul(w).sum(), x)[0] as Tensor;
        const fused = withFused(true, grad);
        const composed = withFused(false, grad);
        t.is(fused.calls, 1, `${label}: the fused kernel ran once`);
        t.is(composed.calls, 0, `${label}: the composed rule used no fused kernel`);
        t.deepEqual(fused.value.shape, x.shape);
        t.is(fused.value.dtype, dtype);
        close(t, fused.value, composed.value, tol, `${label}:`);
      }
    });

    test(`${op} · ${dtype}: under an outer gradient the rule stays differentiable`, (t) => {
      // d/dx of (d/dx sum f(x)) must be f''(x): the inner backward may not take the fused kernel
      const x = tensor(values(6, 3), { dtype });
      const second = (enabled: boolean) =>
        withFused(enabled, () => gradient((y: Tensor) => (gradient((z: Tensor) => apply(op, z).sum(), y)[0] as Tensor).sum(), x)[0]);
      const on = second(true);
      const off = second(false);
      if (op === 'relu') t.true(on.value === null || (on.value as Tensor).data().every((v) => v === 0), "relu'' is 0");
      else {
        // a fused inner backward would cut the path to x and give null here
        t.true(on.value instanceof Object && (on.value as Tensor).data().some((v) => v !== 0), `${op}'' is not 0`);
        close(t, on.value, off.value, tol);
      }
      // Only the outer pass, first order with nothing recording around it, may use the kernel.
      t.is(on.calls, op === 'relu' ? 0 : 1, 'fused kernel calls');
    });
  }

// linear(x, W, b, σ) applies relu, tanh and sigmoid in place and differentiates them from
// the output alone; it must agree with σ(linear(x, W, b)) in value and in gradients of
// first and second order, and take the fused kernel exactly where the unary op would.
for (const op of ['relu', 'tanh', 'sigmoid'] as const) {
  const σ = { relu, tanh, sigmoid }[op];
  test(`linear with ${op} in place equals ${op} after linear, values and gradients`, (t) => {
    const x = tensor(values(8, 11), { dtype: 'float64', shape: [4, 2] });
    const W = tensor(values(6, 12), { dtype: 'float64', shape: [3, 2] });
    const b = tensor(values(3, 13), { dtype: 'float64' });
    const w = tensor(values(12, 14), { dtype: 'float64', shape: [4, 3] });
    const fusedLoss = (x: Tensor, W: Tensor, b: Tensor) => linear(x, W, b, σ).mul(w).sum();
    const plainLoss = (x: Tensor, W: Tensor, b: Tensor) => σ(linear(x, W, b)).mul(w).sum();
    close(t, linear(x, W, b, σ), σ(linear(x, W, b)), { atol: 0, rtol: 0 }, 'values');
    const first = withFused(true, () => gradient(fusedLoss, x, W, b));
    t.is(first.calls, 1, 'one fused derivative kernel for the layer');
    const plain = gradient(plainLoss, x, W, b);
    for (let i = 0; i < 3; i++) close(t, first.value[i], plain[i], { atol: 1e-14, rtol: 1e-13 }, `first order, input ${i}`);
    // second order, d/dx ‖∂loss/∂W‖² (non-zero for relu too): the inner backward must stay
    // differentiable, so no fused kernel inside it
    const second = (loss: typeof fusedLoss) => gradient((x: Tensor) => (gradient((W2: Tensor) => loss(x, W2, b), W)[0] as Tensor).pow(2).sum(), x)[0];
    const nested = withFused(true, () => second(fusedLoss));
    t.is(nested.calls, op === 'relu' ? 0 : 1, 'only the outer first-order pass may use the kernel');
    t.true((nested.value as Tensor).data().some((v) => v !== 0), 'second order is not 0');
    close(t, nested.value, second(plainLoss), { atol: 1e-12, rtol: 1e-11 }, 'second order');
  });
}

// The CPU backend's dense-layer kernel (native/src/cpu/fused.cc) against the composed ops it
// replaces, bit for bit, at a size that runs on one thread and one that splits.
test('biasAct equals the bias add and the activation bit for bit', (t) => {
  for (const [rows, cols] of [
    [30, 7],
    [2100, 520],
  ]) {
    for (const dtype of ['float32', 'float64'] as const) {
      const v = tensor(values(rows * cols, 21), { dtype, shape: [rows, cols] });
      const b = tensor(values(cols, 22), { dtype });
      for (const act of ['none', 'relu', 'tanh', 'sigmoid', 'gelu'] as const) {
        const y = v.clone();
        biasActInto(y, b, act === 'none' ? -1 : opCodes.unary[act], cols);
        const composed = act === 'none' ? v.add(b) : ({ relu, tanh, sigmoid, gelu }[act] as (x: Tensor) => Tensor)(v.add(b));
        t.deepEqual(y.data(), composed.data(), `${act} ${dtype} [${rows},${cols}]`);
      }
    }
  }
  // and without a bias
  const v = tensor(values(12, 24), { shape: [3, 4] });
  const y = v.clone();
  biasActInto(y, null, opCodes.unary.relu, 4);
  t.deepEqual(y.data(), relu(v).data());
});

test('linear takes the fused forward kernel once per layer, with or without σ, and gives the composed values', (t) => {
  const x = tensor(values(24, 31), { shape: [6, 4] });
  const W = tensor(values(12, 32), { shape: [3, 4] });
  const b = tensor(values(3, 33));
  let fused: Tensor[] = [];
  let calls = callsOf('biasAct', () => {
    fused = [linear(x, W, b, tanh), linear(x, W, b), linear(x, W, null, relu)];
  });
  t.is(calls, 3);
  calls = callsOf('biasAct', () => {
    t.is(linear(x, W).size, 18);
  });
  t.is(calls, 0, 'nothing to add or apply: no pass at all');
  // the composed ops: the GEMM reading W transposed, the bias add, the activation
  const z = x.matmul(W.T);
  const composed = [tanh(z.add(b)), z.add(b), relu(z)];
  for (let i = 0; i < 3; i++) t.deepEqual(fused[i].data(), composed[i].data(), `case ${i}`);
});
