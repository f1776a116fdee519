// The native kernels split large tensors over the thread pool (native/src/cpu/parallel.h:
// cheap kernels from about a million elements, costly ones much sooner). Every split path
// must give what one thread gives: bit for bit for elementwise work, and to rounding for
// reductions (partial sums combine in a different order). The tensors here are big enough
// to split on every kernel.
import test from 'ava';
import { Adam, Descent, type Tensor, argmax, exp, gelu, gradient, numThreads, pow, relu, setNumThreads, setup, softmax, sum, tanh, tensor, update, where } from '../ts/index.js';
import { opCode, raw } from '../ts/backend/index.js';
import { native, native as addon } from '../ts/native.js';

const opCodes = { unary: { relu: opCode('unary', 'relu'), tanh: opCode('unary', 'tanh') } };
import { close } from './helpers.js';
import { mulberry32 } from './ops/cases.js';

const ROWS = 2048;
const COLS = 1100; // 2.25M elements: over twice the cheap grain
const N = ROWS * COLS;

function data(seed: number, n = N): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 4 * r() - 2);
}

/** How many jobs the pool split while fn ran. */
function splitsIn(fn: () => unknown): number {
  const before = native.splitJobs();
  fn();
  return native.splitJobs() - before;
}

/**
 * Runs fn on one thread and on two, and returns both results as plain arrays. On two
 * threads every native call in fn must really have split its work (else the comparison
 * would show nothing); on one, none may.
 */
function bothWays(fn: () => Tensor | Tensor[], minSplits = 1): [Float32Array[], Float32Array[]] {
  const saved = numThreads();
  const run = (n: number) => {
    setNumThreads(n);
    let out: Tensor | Tensor[] = [];
    const splits = splitsIn(() => {
      out = fn();
    });
    if (n === 1 && splits !== 0) throw new Error(`one thread, yet ${splits} jobs split`);
    if (n === 2 && splits < minSplits) throw new Error(`two threads, yet only ${splits} of at least ${minSplits} jobs split`);
    return (Array.isArray(out) ? out : [out]).map((t) => t.data() as Float32Array);
  };
  try {
    return [run(1), run(2)];
  } finally {
    setNumThreads(saved);
  }
}

function identical(t: import('ava').ExecutionContext, [one, two]: [Float32Array[], Float32Array[]], what: string): void {
  t.is(one.length, two.length);
  for (let k = 0; k < one.length; k++) {
    const a = one[k];
    const b = two[k];
    let bad = -1;
    for (let i = 0; i < a.length; i++)
      if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
        bad = i;
        break;
      }
    t.is(bad, -1, `${what} [${k}]: element ${bad} differs (${a[bad]} on one thread, ${b[bad]} on two)`);
  }
}

const x = tensor(data(1), { shape: [ROWS, COLS] });
const y = tensor(data(2), { shape: [ROWS, COLS] });
const row = tensor(data(3, COLS));

test('elementwise kernels split over threads give the one-thread result bit for bit', (t) => {
  identical(t, bothWays(() => x.add(y)), 'add');
  identical(t, bothWays(() => x.mul(row)), 'mul, broadcast row');
  identical(t, bothWays(() => pow(x.abs(), y)), 'pow (a costly binary op)');
  identical(t, bothWays(() => relu(x)), 'relu');
  identical(t, bothWays(() => exp(x)), 'exp');
  identical(t, bothWays(() => x.T.contiguous()), 'transposed copy');
  identical(t, bothWays(() => where(x.gt(0), x, y)), 'where');
  const rowsBackwards = Array.from({ length: ROWS }, (_, i) => ROWS - 1 - i);
  identical(t, bothWays(() => x.indexSelect(0, rowsBackwards)), 'gather');
  const biasAct = (y: Tensor, bias: Tensor, act: number, cols: number) => addon.biasAct(raw(y), raw(bias), act, cols);
  for (const act of [-1, opCodes.unary.relu, opCodes.unary.tanh]) {
    identical(
      t,
      bothWays(() => {
        const z = x.clone();
        biasAct(z, row, act, COLS);
        return z;
      }, 2),
      `dense bias + activation ${act}`,
    );
  }
});

test('fused derivative kernels split over threads agree with one thread', (t) => {
  // forward f, mul and sum, then the product's and f's derivatives: at least five splits
  for (const f of [relu, tanh, gelu]) identical(t, bothWays(() => gradient((v: Tensor) => f(v).mul(y).sum(), x)[0] as Tensor, 5), `${f.name}'`);
});

test('reductions split over threads agree with one thread to rounding', (t) => {
  // (wide: a sum over rows splits its columns only when each thread gets thousands of them;
  // x's 1100 columns stay on one thread, its rows and whole-tensor sums split)
  const wide = tensor(data(4, 300 * 10000), { shape: [300, 10000] });
  const [one, two] = bothWays(() => [sum(x), sum(x, 1), x.min(), sum(wide, 0), wide.max(0)], 5);
  for (let k = 0; k < one.length; k++) close(t, two[k], one[k], { atol: 1e-3, rtol: 1e-6 }, `reduction ${k}`);
  identical(t, bothWays(() => argmax(x, 1)), 'argmax');
  const [s1, s2] = bothWays(() => softmax(x, 1));
  close(t, s2[0], s1[0], { atol: 1e-7, rtol: 1e-6 }, 'softmax');
});

test('optimiser steps split over threads agree with one thread bit for bit', (t) => {
  for (const rule of [() => new Descent(0.1), () => new Adam(0.01)]) {
    identical(
      t,
      bothWays(() => {
        const model = { w: x.clone() };
        const state = setup(rule(), model);
        update(state, model, { w: y });
        update(state, model, { w: x });
        return model.w;
      }),
      rule().constructor.name,
    );
  }
});

test('work splits only where a second thread pays: large cheap kernels, and costly ones sooner', (t) => {
  const saved = numThreads();
  setNumThreads(2);
  try {
    t.is(numThreads(), 2);
    const small = tensor(data(3, 65536));
    t.is(splitsIn(() => small.add(small)), 0, 'a 64K-element add runs on the calling thread');
    t.is(splitsIn(() => exp(small)), 1, 'a 64K-element exp splits');
    t.is(splitsIn(() => x.add(y)), 1, 'a 2.25M-element add splits');
  } finally {
    setNumThreads(saved);
  }
});
