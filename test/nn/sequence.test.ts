// The sequence layers as users meet them: the fused time loop equals the cells stepped by hand
// (values and gradients) and runs one cell kernel per step, no op per gate; state carried
// across chunks; gradient penalties through an LSTM and through attention against central
// differences; errors naming the layer and the shapes; printing.
import test from 'ava';
import {
  GRU, GRUCell, LSTM, LSTMCell, MultiHeadAttention, RNN, RNNCell, RNG, ShapeError, type Tensor, concat, dotProductAttention, gelu, gradient,
  params, randn, relu, rnnSequence, stack, tensor, zeros,
} from '../../ts/index.js';
import { native } from '../../ts/native.js';
import { close, numericGrad } from '../helpers.js';

const o = (seed: number) => ({ dtype: 'float64' as const, rng: new RNG(seed) });

test('LSTM, GRU and RNN equal their cells stepped by hand, in values and in every gradient', (t) => {
  const x = randn([3, 5, 4], o(1));
  const cases = [
    [LSTM(4, 6, o(2)), LSTMCell(4, 6, o(2))],
    [GRU(4, 6, o(3)), GRUCell(4, 6, o(3))],
    [RNN(4, 6, relu, o(4)), RNNCell(4, 6, relu, o(4))],
    [RNN(4, 6, gelu, o(5)), RNNCell(4, 6, gelu, o(5))], // any activation: the loop in ordinary ops
  ] as const;
  for (const [layer, cell] of cases) {
    const byHand = () => {
      let s: any;
      const hs: Tensor[] = [];
      for (let k = 0; k < 5; k++) {
        s = (cell as any)(x.get(null, k), s);
        hs.push(s.h ?? s);
      }
      return stack(hs, 1);
    };
    close(t, (layer as any)(x), byHand(), { atol: 1e-12, rtol: 1e-12 }, String(layer));
    const loss = (f: () => Tensor) => () => f().pow(2).sum();
    const gFused = gradient(loss(() => (layer as any)(x)), params(layer));
    const gCell = gradient(loss(byHand), params(cell));
    const [pl, pc] = [[...params(layer)], [...params(cell)]];
    pl.forEach((p, i) => {
      close(t, gFused.get(p) as Tensor, gCell.get(pc[i]) as Tensor, { atol: 1e-11, rtol: 1e-10 }, `${layer} parameter ${i}`);
    });
  }
});

test('the time loop is one cell kernel per step and no op per gate', (t) => {
  const lstm = LSTM(8, 16);
  const x = randn([4, 12, 8]);
  const before = { ...native.kernelCalls() };
  gradient((m: typeof lstm) => m(x).sum(), lstm);
  const after = native.kernelCalls();
  const d = (k: string) => (after as Record<string, number>)[k] - (before as Record<string, number>)[k];
  t.is(d('lstmCell'), 12);
  t.is(d('lstmCellGrad'), 12);
  t.is(d('unary'), 0); // no sigmoid or tanh op: the gates live in the kernels
});

test('run carries the state: two chunks equal one sequence', (t) => {
  const x = randn([2, 8, 3], o(6));
  for (const layer of [LSTM(3, 5, o(7)), GRU(3, 5, o(8)), RNN(3, 5, undefined, o(9))]) {
    const whole = (layer as any).run(x);
    const first = (layer as any).run(x.slice(1, 0, 3));
    const second = (layer as any).run(x.slice(1, 3, 8), first.state);
    close(t, concat([first.output, second.output], 1), whole.output, { atol: 1e-12 }, String(layer));
    if (whole.state.h) {
      close(t, second.state.h, whole.state.h, { atol: 1e-12 });
      close(t, second.state.c, whole.state.c, { atol: 1e-12 });
    } else close(t, second.state, whole.state, { atol: 1e-12 });
  }
});

test('gradient penalty through an LSTM: the weight gradient of ‖∂f/∂x‖² matches central differences', (t) => {
  const lstm = LSTM(2, 3, o(10));
  const x = randn([2, 4, 2], o(11));
  const penalty = () => {
    const [gx] = gradient((xx: Tensor) => lstm(xx).tanh().sum(), x) as Tensor[];
    return gx.pow(2).sum();
  };
  const gs = gradient(penalty, params(lstm));
  for (const p of params(lstm)) close(t, gs.get(p) as Tensor, numericGrad(() => penalty().item(), p), { atol: 1e-6, rtol: 1e-5 }, p.shape.join('×'));
});

test('gradient penalty through multi-head attention (causal) matches central differences', (t) => {
  const mha = MultiHeadAttention(4, 2, o(12));
  const x = randn([2, 3, 4], o(13));
  const penalty = () => {
    const [gx] = gradient((xx: Tensor) => mha(xx, { causal: true }).tanh().sum(), x) as Tensor[];
    return gx.pow(2).sum();
  };
  const ps = [mha.qProj.weight, mha.kProj.weight, mha.vProj.weight, mha.outProj.weight, mha.qProj.bias as Tensor];
  const gs = gradient(penalty, params(...ps));
  for (const p of ps) close(t, gs.get(p) as Tensor, numericGrad(() => penalty().item(), p), { atol: 1e-6, rtol: 1e-5 }, p.shape.join('×'));
});

test('bad input names the layer and the shapes', (t) => {
  const lstm = LSTM(3, 4);
  t.throws(() => lstm(randn([2, 5, 2])), { instanceOf: ShapeError, message: 'LSTM(3 => 4) expects input [batch, seq, 3], got [2, 5, 2]' });
  t.throws(() => lstm(randn([5, 3])), { message: 'LSTM(3 => 4) expects input [batch, seq, 3], got [5, 3]' });
  t.throws(() => lstm(randn([2, 5, 3]), { h: zeros([2, 3]), c: zeros([2, 4]) }), { message: 'LSTM(3 => 4) expects state.h of shape [2, 4] (batch, hidden), got [2, 3]' });
  t.throws(() => lstm(randn([2, 5, 3]), zeros([2, 4]) as never), { message: /^LSTM\(3 => 4\): expected state to be \{ h, c \}/ });
  t.throws(() => GRU(3, 4)(randn([2, 5, 3]), zeros([3, 4])), { message: 'GRU(3 => 4) expects state of shape [2, 4] (batch, hidden), got [3, 4]' });
  t.throws(() => RNNCell(3, 4)(randn([2, 5, 3])), { message: 'RNNCell(3 => 4) expects input [batch, 3], got [2, 5, 3]' });
  t.throws(() => LSTM(0, 4), { message: 'LSTM: expected in to be a positive integer, got the number 0' });
  t.throws(() => rnnSequence(randn([1, 2, 3]), zeros([1, 3]), randn([3, 3]), null, 'gelu' as never), {
    instanceOf: ShapeError,
    message: "rnnSequence: expected σ to be an activation function, 'tanh' or 'relu', got gelu",
  });
  t.throws(() => MultiHeadAttention(10, 3), { instanceOf: ShapeError, message: 'MultiHeadAttention: dim 10 is not divisible by heads 3' });
  const mha = MultiHeadAttention(8, 2);
  t.throws(() => mha(randn([2, 5, 6])), { message: 'MultiHeadAttention(8, heads=2) expects q of shape [batch, L, 8], got [2, 5, 6]' });
  t.throws(() => mha(randn([2, 5, 8]), randn([3, 4, 8])), { message: /must share the batch/ });
  t.throws(() => mha(randn([2, 5, 8]), { mask: zeros([4, 4]).add(1) }), {
    instanceOf: ShapeError,
    message: 'dotProductAttention: mask [4, 4] does not broadcast to the scores [..., Lq, Lk] = [2, 2, 5, 5]',
  });
  const q = randn([1, 3, 4]);
  t.throws(() => dotProductAttention(q, randn([1, 3, 5]), randn([1, 3, 4])), { message: /q \[1, 3, 4\] and k \[1, 3, 5\] must share the last dim d/ });
  t.throws(() => dotProductAttention(q, q, q, { mask: tensor([[1, 1, 1], [0, 0, 0], [1, 0, 0]]) }), {
    message: 'dotProductAttention: the mask leaves a query with no key to attend to (a row of the mask is all false)',
  });
});

test('the layers print Flux style', (t) => {
  t.is(String(LSTM(3, 4)), 'LSTM(3 => 4)');
  t.is(String(GRU(3, 4, { bias: false })), 'GRU(3 => 4, bias=false)');
  t.is(String(RNN(3, 4)), 'RNN(3 => 4)');
  t.is(String(RNN(3, 4, relu)), 'RNN(3 => 4, relu)');
  t.is(String(LSTMCell(3, 4)), 'LSTMCell(3 => 4)');
  t.is(String(MultiHeadAttention(8, 2)), 'MultiHeadAttention(8, heads=2)');
  t.is(String(MultiHeadAttention(8, 4, { bias: false, dropout: 0.1 })), 'MultiHeadAttention(8, heads=4, bias=false, dropout=0.1)');
  const l = LSTM(3, 4);
  t.deepEqual([l.weightIh.shape, l.weightHh.shape, l.biasIh?.shape, l.biasHh?.shape], [[16, 3], [16, 4], [16], [16]]);
  // PyTorch's initialisation: U(−1/√hidden, 1/√hidden)
  t.true(Array.from(l.weightHh.data()).every((v) => Math.abs(v) <= 0.5));
});

test('float32 cells (branch-free SIMD exp, sigmoid and tanh) match float64 across the range, saturate without NaN and propagate NaN', async (t) => {
  const { lstmSequence, gruSequence } = await import('../../ts/index.js');
  // pre-activations from −100 to 100, dense near 0 where tanh's two formulas meet (|x| = 0.625)
  const grid = [-100, -88, -50, -20, -9, -3, -1, -0.7, -0.625, -0.6, -0.3, -1e-3, -1e-7, 0, 1e-7, 1e-3, 0.3, 0.6, 0.625, 0.7, 1, 3, 9, 20, 50, 88, 100];
  const H = grid.length;
  const xg64 = tensor([...grid, ...grid.map((v) => -v), ...grid.map((v) => v / 2), ...grid.map((v) => v * 0.9)], { shape: [1, 1, 4 * H], dtype: 'float64' });
  const h0 = zeros([1, H], { dtype: 'float64' });
  const c0 = tensor(grid.map((v) => v / 10), { shape: [1, H], dtype: 'float64' });
  const w = zeros([4 * H, H], { dtype: 'float64' });
  const ref = lstmSequence(xg64, h0, c0, w).data() as Float64Array;
  const got = lstmSequence(xg64.cast('float32'), h0.cast('float32'), c0.cast('float32'), w.cast('float32')).data() as Float32Array;
  let worst = 0;
  got.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - ref[i]) / Math.max(1e-30, Math.abs(ref[i])));
  });
  t.true(got.every(Number.isFinite), 'no NaN or infinity for finite inputs');
  t.true(worst < 2e-6, `worst relative error ${worst}`);
  const xgGru = tensor([...grid, ...grid.map((v) => -v), ...grid.map((v) => v / 3)], { shape: [1, 1, 3 * H], dtype: 'float64' });
  const wG = zeros([3 * H, H], { dtype: 'float64' });
  const refG = gruSequence(xgGru, c0, wG).data() as Float64Array;
  const gotG = gruSequence(xgGru.cast('float32'), c0.cast('float32'), wG.cast('float32')).data() as Float32Array;
  gotG.forEach((v, i) => {
    t.true(Math.abs(v - refG[i]) <= 2e-6 * Math.max(1e-30, Math.abs(refG[i])) + 1e-30, `GRU unit ${i}: ${v} against ${refG[i]}`);
  });
  const nanIn = tensor([Number.NaN, 0, 0, 0], { shape: [1, 1, 4] });
  const out = lstmSequence(nanIn, zeros([1, 1]), zeros([1, 1]), zeros([4, 1])).data();
  t.true(Number.isNaN(out[0]) && Number.isNaN(out[1]), `a NaN gate gives NaN h and c, got ${Array.from(out)}`);
});
