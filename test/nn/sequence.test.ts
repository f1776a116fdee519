// The sequence layers as users meet them: the fused time loop equals the cells stepped by hand
// (values and gradients) and runs one cell kernel per step, no op per gate; state carried
// across chunks; gradient penalties through an LSTM and through attention against central
// differences; errors naming the layer and the shapes; printing.
import test from 'ava';
import {
  GRU, GRUCell, LSTM, LSTMCell, MultiHeadAttention, RNN, RNNCell, RNG, ShapeError, type Tensor, concat, dotProductAttention, gelu, gradient,
  params, randn, relu, stack, tensor, zeros,
} from '../../ts/index.js';
import { native } from '../../ts/native.js';
import { close } from '../helpers.js';

const o = (seed: number) => ({ dtype: 'float64' as const, rng: new RNG(seed) });

/** Central differences of a scalar function of the parameters, each perturbed in place. */
function numericGrad(loss: () => number, p: Tensor, h = 1e-6): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.size; i++) {
    const e = new Float64Array(p.size);
    e[i] = h;
    const step = tensor(e, { shape: p.shape });
    p.addInPlace(step);
    const up = loss();
    p.subInPlace(step).subInPlace(step);
    const dn = loss();
    p.addInPlace(step);
    out.push((up - dn) / (2 * h));
  }
  return out;
}

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
