// Recurrent layers, batch first, with PyTorch's fields and gate order so weights copy one to
// one: weightIh [G·hidden, in], weightHh [G·hidden, hidden], biasIh and biasHh [G·hidden]
// (G = 1 RNN, 4 LSTM: i, f, g, o, 3 GRU: r, z, n). A layer maps x [batch, seq, in] to every
// step's hidden state [batch, seq, hidden]: the input projection of the whole sequence is one
// GEMM, the time loop one op (ts/ops/recurrent.ts). Cells compute one step in ordinary ops.
import { rand, zeros } from '../creation.js';
import type { DType } from '../dtype.js';
import { ShapeError, expected, shapeStr } from '../errors.js';
import { add } from '../ops/binary.js';
import { linear } from '../ops/matmul.js';
import { get, slice } from '../ops/movement.js';
import { asTensor } from '../ops/operand.js';
import { gruSequence, gruStep, lstmSequence, lstmStep, rnnSequence } from '../ops/recurrent.js';
import { tanh } from '../ops/unary.js';
import type { RNG } from '../random.js';
import { Tensor } from '../tensor.js';
import type { Initializer } from './init.js';
import { Layer, functionName } from './layer.js';
import { paramDtype } from './layers.js';

type Activation = (x: Tensor) => Tensor;

/**
 * Options of the recurrent layers and cells: biases, the initialiser, the dtype and the generator.
 *
 * ```ts
 * const rnn = RNN(3, 5, tanh, { bias: false, rng: RNG(1) });
 * params(rnn).length;   // 2
 * ```
 */
export interface RecurrentOptions {
  /** false for no biases (default: both, biasIh and biasHh). */
  bias?: boolean;
  /** Weight initialiser (default PyTorch's: U(−1/√hidden, 1/√hidden) for weights and biases). */
  init?: Initializer;
  dtype?: DType;
  rng?: RNG;
}

/**
 * An LSTM's state: hidden and cell, each [batch, hidden].
 *
 * ```ts
 * const { output, state } = LSTM(3, 5).run(randn(2, 7, 3));
 * state.h.shape;   // [2, 5]
 * state.c.shape;   // [2, 5]
 * ```
 */
export interface LSTMState {
  h: Tensor;
  c: Tensor;
}

function size(op: string, arg: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw expected(op, arg, 'a positive integer', n);
  return n;
}

/** The four parameters of a recurrent layer or cell with `gates` gate rows. */
function parameters(op: string, gates: number, inSize: number, hidden: number, opts: RecurrentOptions) {
  size(op, 'in', inSize);
  size(op, 'hidden', hidden);
  if (opts === null || typeof opts !== 'object') throw expected(op, 'options', '{ bias, init, dtype, rng }', opts);
  const k = 1 / Math.sqrt(hidden);
  const uniform: Initializer = (shape, o = {}) => rand(shape, { dtype: o.dtype, rng: o.rng }).mul(2 * k).sub(k);
  const init = opts.init ?? uniform;
  const o = { dtype: opts.dtype, rng: opts.rng };
  const weightIh = init([gates * hidden, inSize], o);
  const weightHh = init([gates * hidden, hidden], o);
  const bias = opts.bias !== false;
  return {
    weightIh,
    weightHh,
    biasIh: bias ? uniform([gates * hidden], o) : null,
    biasHh: bias ? uniform([gates * hidden], o) : null,
  };
}

abstract class RecurrentBase extends Layer {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;

  constructor(p: { weightIh: Tensor; weightHh: Tensor; biasIh: Tensor | null; biasHh: Tensor | null }) {
    super();
    this.weightIh = p.weightIh;
    this.weightHh = p.weightHh;
    this.biasIh = p.biasIh;
    this.biasHh = p.biasHh;
  }

  get inSize(): number {
    return this.weightIh.shape[1];
  }
  get hiddenSize(): number {
    return this.weightHh.shape[1];
  }

  /** The input, checked against the layer: [batch, seq, in] for layers, [batch, in] for cells. */
  protected input(x: unknown, ndim: 2 | 3): Tensor {
    const t = x instanceof Tensor ? x : asTensor(String(this), 'input', x);
    const want = ndim === 3 ? `[batch, seq, ${this.inSize}]` : `[batch, ${this.inSize}]`;
    if (t.ndim !== ndim || t.shape[ndim - 1] !== this.inSize) throw new ShapeError(`${this} expects input ${want}, got ${shapeStr(t.shape)}`);
    return paramDtype(this, t, this.weightIh.dtype);
  }

  /** A [batch, hidden] state tensor, checked; zeros when not given. */
  protected stateTensor(s: unknown, name: string, batch: number): Tensor {
    const H = this.hiddenSize;
    if (s === undefined || s === null) return zeros([batch, H], { dtype: this.weightHh.dtype, device: this.weightHh.device });
    if (!(s instanceof Tensor)) throw expected(String(this), name, `a Tensor [${batch}, ${H}]`, s, ShapeError);
    if (s.ndim !== 2 || s.shape[0] !== batch || s.shape[1] !== H)
      throw new ShapeError(`${this} expects ${name} of shape [${batch}, ${H}] (batch, hidden), got ${shapeStr(s.shape)}`);
    return paramDtype(this, s, this.weightHh.dtype);
  }

  /** x W_ihᵀ + b_ih for every step at once. */
  protected projection(x: Tensor): Tensor {
    return linear(x, this.weightIh, this.biasIh);
  }

  protected sizes(name: string, extra = ''): string {
    return `${name}(${this.inSize} => ${this.hiddenSize}${extra}${this.biasIh === null ? ', bias=false' : ''})`;
  }
}

// ---- layers over sequences ---------------------------------------------------------------

/**
 * Elman RNN over a sequence: h' = σ(W_ih x + b_ih + W_hh h + b_hh).
 *
 * ```ts
 * const rnn = RNN(3, 5);
 * const { output, state } = rnn.run(randn(2, 7, 3));
 * output.shape;   // [2, 7, 5]
 * state.shape;   // [2, 5]
 * ```
 */
export class RNNLayer extends RecurrentBase {
  σ: Activation;
  constructor(p: ConstructorParameters<typeof RecurrentBase>[0], σ: Activation) {
    super(p);
    this.σ = σ;
  }
  /** Every step's h [batch, seq, hidden] from x [batch, seq, in], starting from `h` (default zeros). */
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.run(x, h).output;
  }
  /** `{ output, state }`: every step's h and the last one, to carry into the next chunk. */
  run(x: Tensor, h?: Tensor): { output: Tensor; state: Tensor } {
    const t = this.input(x, 3);
    const h0 = this.stateTensor(h, 'state', t.shape[0]);
    const xg = this.projection(t);
    // fused for tanh and relu; any other activation runs the loop in ordinary ops
    const output = rnnSequence(xg, h0, this.weightHh, this.biasHh, this.σ);
    return { output, state: lastStep(output) };
  }
  override toString(): string {
    return this.sizes('RNN', this.σ === tanh ? '' : `, ${functionName(this.σ)}`);
  }
}

function lastStep(seq: Tensor): Tensor {
  return get(seq, null, seq.shape[1] - 1);
}

/**
 * LSTM over a sequence (PyTorch's equations and gate order i, f, g, o).
 *
 * ```ts
 * const lstm = LSTM(3, 5);
 * lstm.weightIh.shape;   // [20, 3]
 * lstm(randn(2, 7, 3)).shape;   // [2, 7, 5]
 * ```
 */
export class LSTMLayer extends RecurrentBase {
  /** Every step's h [batch, seq, hidden] from x [batch, seq, in], starting from `{ h, c }` (default zeros). */
  forward(x: Tensor, state?: LSTMState): Tensor {
    return this.run(x, state).output;
  }
  /** `{ output, state: { h, c } }`: every step's h, and the final state to carry on from. */
  run(x: Tensor, state?: LSTMState): { output: Tensor; state: LSTMState } {
    const t = this.input(x, 3);
    const B = t.shape[0];
    if (state !== undefined && (state === null || typeof state !== 'object' || state instanceof Tensor))
      throw expected(String(this), 'state', '{ h, c } (each [batch, hidden])', state, ShapeError);
    const h0 = this.stateTensor(state?.h, 'state.h', B);
    const c0 = this.stateTensor(state?.c, 'state.c', B);
    const H = this.hiddenSize;
    const packed = lstmSequence(this.projection(t), h0, c0, this.weightHh, this.biasHh); // [B, T, 2H]: h, c
    const last = lastStep(packed);
    return { output: slice(packed, -1, 0, H), state: { h: slice(last, -1, 0, H), c: slice(last, -1, H, 2 * H) } };
  }
  override toString(): string {
    return this.sizes('LSTM');
  }
}

/**
 * GRU over a sequence (PyTorch's equations: n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))).
 *
 * ```ts
 * const gru = GRU(3, 5);
 * gru.weightIh.shape;   // [15, 3]
 * gru(randn(2, 7, 3)).shape;   // [2, 7, 5]
 * ```
 */
export class GRULayer extends RecurrentBase {
  /** Every step's h [batch, seq, hidden] from x [batch, seq, in], starting from `h` (default zeros). */
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.run(x, h).output;
  }
  /** `{ output, state }`: every step's h and the last one. */
  run(x: Tensor, h?: Tensor): { output: Tensor; state: Tensor } {
    const t = this.input(x, 3);
    const output = gruSequence(this.projection(t), this.stateTensor(h, 'state', t.shape[0]), this.weightHh, this.biasHh);
    return { output, state: lastStep(output) };
  }
  override toString(): string {
    return this.sizes('GRU');
  }
}

/**
 * `RNN(in, hidden, σ = tanh, { bias, init, dtype, rng })`: x [batch, seq, in] → [batch, seq, hidden].
 *
 * ```ts
 * const m = Chain(RNN(3, 16, relu), Dense(16, 1));
 * m(randn(4, 10, 3)).shape;   // [4, 10, 1]
 * ```
 */
export function RNN(inSize: number, hidden: number, σ: Activation = tanh, opts: RecurrentOptions = {}): RNNLayer {
  if (typeof σ !== 'function') throw expected('RNN', 'σ', 'an activation function', σ);
  return new RNNLayer(parameters('RNN', 1, inSize, hidden, opts), σ);
}

/**
 * `LSTM(in, hidden, { bias, init, dtype, rng })`: x [batch, seq, in] → [batch, seq, hidden]; `run` also gives `{ h, c }`.
 *
 * ```ts
 * const lstm = LSTM(3, 5);
 * const a = lstm.run(randn(2, 7, 3));
 * lstm(randn(2, 4, 3), a.state).shape;   // [2, 4, 5]: the next chunk goes on from the last state
 * ```
 */
export function LSTM(inSize: number, hidden: number, opts: RecurrentOptions = {}): LSTMLayer {
  return new LSTMLayer(parameters('LSTM', 4, inSize, hidden, opts));
}

/**
 * `GRU(in, hidden, { bias, init, dtype, rng })`: x [batch, seq, in] → [batch, seq, hidden].
 *
 * ```ts
 * GRU(3, 5)(randn(2, 7, 3)).shape;   // [2, 7, 5]
 * ```
 */
export function GRU(inSize: number, hidden: number, opts: RecurrentOptions = {}): GRULayer {
  return new GRULayer(parameters('GRU', 3, inSize, hidden, opts));
}

// ---- cells: one step ---------------------------------------------------------------------

/**
 * One Elman step: `cell(x [batch, in], h?) → h'`.
 *
 * ```ts
 * const cell = RNNCell(3, 5);
 * const h = cell(randn(2, 3));
 * cell(randn(2, 3), h).shape;   // [2, 5]
 * ```
 */
export class RNNCellLayer extends RecurrentBase {
  σ: Activation;
  constructor(p: ConstructorParameters<typeof RecurrentBase>[0], σ: Activation) {
    super(p);
    this.σ = σ;
  }
  forward(x: Tensor, h?: Tensor): Tensor {
    const t = this.input(x, 2);
    const s = this.stateTensor(h, 'state', t.shape[0]);
    return this.σ(add(linear(t, this.weightIh, this.biasIh), linear(s, this.weightHh, this.biasHh)));
  }
  override toString(): string {
    return this.sizes('RNNCell', this.σ === tanh ? '' : `, ${functionName(this.σ)}`);
  }
}

/**
 * One LSTM step: `cell(x [batch, in], { h, c }?) → { h, c }`.
 *
 * ```ts
 * const cell = LSTMCell(3, 5);
 * const s = cell(randn(2, 3));
 * cell(randn(2, 3), s).c.shape;   // [2, 5]
 * ```
 */
export class LSTMCellLayer extends RecurrentBase {
  forward(x: Tensor, state?: LSTMState): LSTMState {
    const t = this.input(x, 2);
    if (state !== undefined && (state === null || typeof state !== 'object' || state instanceof Tensor))
      throw expected(String(this), 'state', '{ h, c } (each [batch, hidden])', state, ShapeError);
    const h = this.stateTensor(state?.h, 'state.h', t.shape[0]);
    const c = this.stateTensor(state?.c, 'state.c', t.shape[0]);
    const [h2, c2] = lstmStep(add(linear(t, this.weightIh, this.biasIh), linear(h, this.weightHh, this.biasHh)), c);
    return { h: h2, c: c2 };
  }
  override toString(): string {
    return this.sizes('LSTMCell');
  }
}

/**
 * One GRU step: `cell(x [batch, in], h?) → h'`.
 *
 * ```ts
 * const cell = GRUCell(3, 5);
 * cell(randn(2, 3)).shape;   // [2, 5]
 * ```
 */
export class GRUCellLayer extends RecurrentBase {
  forward(x: Tensor, h?: Tensor): Tensor {
    const t = this.input(x, 2);
    const s = this.stateTensor(h, 'state', t.shape[0]);
    return gruStep(linear(t, this.weightIh, this.biasIh), linear(s, this.weightHh, this.biasHh), s);
  }
  override toString(): string {
    return this.sizes('GRUCell');
  }
}

/**
 * `RNNCell(in, hidden, σ = tanh, opts)`: one step, the fields of RNN.
 *
 * ```ts
 * RNNCell(3, 5).weightHh.shape;   // [5, 5]
 * ```
 */
export function RNNCell(inSize: number, hidden: number, σ: Activation = tanh, opts: RecurrentOptions = {}): RNNCellLayer {
  if (typeof σ !== 'function') throw expected('RNNCell', 'σ', 'an activation function', σ);
  return new RNNCellLayer(parameters('RNNCell', 1, inSize, hidden, opts), σ);
}

/**
 * `LSTMCell(in, hidden, opts)`: one step, the fields of LSTM.
 *
 * ```ts
 * LSTMCell(3, 5).weightHh.shape;   // [20, 5]
 * ```
 */
export function LSTMCell(inSize: number, hidden: number, opts: RecurrentOptions = {}): LSTMCellLayer {
  return new LSTMCellLayer(parameters('LSTMCell', 4, inSize, hidden, opts));
}

/**
 * `GRUCell(in, hidden, opts)`: one step, the fields of GRU.
 *
 * ```ts
 * GRUCell(3, 5).weightHh.shape;   // [15, 5]
 * ```
 */
export function GRUCell(inSize: number, hidden: number, opts: RecurrentOptions = {}): GRUCellLayer {
  return new GRUCellLayer(parameters('GRUCell', 3, inSize, hidden, opts));
}
