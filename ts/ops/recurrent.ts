// The time loops of the recurrent layers as single ops. Each takes the input projection of the
// whole sequence (x W_ihᵀ + b_ih, one GEMM the layer makes), the initial state and the recurrent
// weights, and runs every step in one autodiff node: a GEMM for h W_hhᵀ and a fused cell
// kernel per step forward (cpu/rnn.cc, cuda/rnn.cu), and backward through time with the cell's
// backward kernel, one GEMM per step for the state's cotangent and one GEMM for the whole
// weight gradient. No node per gate per step.
//
// When an outer gradient records the backward pass (a second order), the node's backward is
// instead the pullback of the same loop written with ordinary ops (the `*Steps` functions
// below, which are also what the cells compute), so it is differentiable again.
import { pullback } from '../autodiff/gradient.js';
import { ignoreDerivatives, isRecording, record } from '../autodiff/tape.js';
import { contiguous, copyInto, empty, kernel, raw } from '../backend/index.js';
import { ShapeError, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add, gt, mul, sub } from './binary.js';
import { linear, matmul } from './matmul.js';
import { get, permute, reshape, slice, stack, transpose } from './movement.js';
import { asTensor, floatOperand } from './operand.js';
import { sum } from './reduce.js';
import { registerOp } from './registry.js';
import { relu, sigmoid, tanh } from './unary.js';

registerOp({ name: 'lstmSequence', family: 'nn', kernels: ['lstmCell', 'lstmCellGrad', 'matmul'], differentiable: true });
registerOp({ name: 'gruSequence', family: 'nn', kernels: ['gruCell', 'gruCellGrad', 'matmul'], differentiable: true });
registerOp({ name: 'rnnSequence', family: 'nn', kernels: ['matmul', 'unary'], differentiable: true });
const lstmCellK = kernel('lstmCell');
const lstmCellGradK = kernel('lstmCellGrad');
const gruCellK = kernel('gruCell');
const gruCellGradK = kernel('gruCellGrad');

type Opt = Tensor | null;

/** Checks the shapes of a sequence op's operands; returns B, T, H. */
function dims(op: string, gates: number, xg: Tensor, h0: Tensor, c0: Tensor | null, w: Tensor, b: Opt): [number, number, number] {
  if (xg.ndim !== 3) throw new ShapeError(`${op}: expected the input projection [batch, seq, ${gates}·hidden], got ${shapeStr(xg.shape)}`);
  const [B, T, GH] = xg.shape;
  const H = GH / gates;
  if (!Number.isInteger(H) || H < 1) throw new ShapeError(`${op}: the input projection's last dim ${GH} is not ${gates}·hidden`);
  if (w.ndim !== 2 || w.shape[0] !== GH || w.shape[1] !== H)
    throw new ShapeError(`${op}: expected weightHh [${GH}, ${H}] for the projection ${shapeStr(xg.shape)}, got ${shapeStr(w.shape)}`);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== GH)) throw new ShapeError(`${op}: expected biasHh [${GH}], got ${shapeStr(b.shape)}`);
  for (const [name, s] of [['h0', h0], ['c0', c0]] as const)
    if (s !== null && (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== H))
      throw new ShapeError(`${op}: expected ${name} [${B}, ${H}] (batch, hidden), got ${shapeStr(s.shape)}`);
  for (const t of [h0, c0, w, b]) if (t !== null && (t.dtype !== xg.dtype || t.device !== xg.device))
    throw new ShapeError(`${op}: every operand must be ${xg.dtype} on ${xg.device}, got ${t.dtype} on ${t.device}`);
  return [B, T, H];
}

function operands(op: string, xg: Tensor, h0: Tensor, c0: Tensor | null, w: Tensor, b: Opt) {
  return {
    xg: floatOperand(asTensor(op, 'xg', xg)),
    h0: asTensor(op, 'h0', h0),
    c0: c0 === null ? null : asTensor(op, 'c0', c0),
    w: asTensor(op, 'weightHh', w),
    b: b === null || b === undefined ? null : asTensor(op, 'biasHh', b),
  };
}

/**
 * Records a sequence node: `fusedBack(g)` gives the gradients of `inputs` when nothing records
 * the backward pass, else the pullback of `composed` (the same loop in ordinary ops).
 */
function recordSequence(name: string, out: Tensor, inputs: Tensor[], fusedBack: (g: Tensor) => Tensor[], composed: (...xs: Tensor[]) => Tensor): void {
  record(name, out, inputs, (g) => {
    let grads: (Tensor | null)[] | null = null;
    const all = () => {
      if (grads === null) grads = isRecording() ? (pullback(composed, ...inputs).back(g) as Tensor[]) : fusedBack(g);
      return grads;
    };
    return inputs.map((_, i) => () => all()[i] as Tensor);
  });
}

// ---- LSTM --------------------------------------------------------------------------------

/**
 * One LSTM step in ordinary ops: gates [B, 4H] (both projections and biases) and c → [h, c].
 *
 * ```ts
 * const [h, c] = lstmStep(zeros(1, 8), ones(1, 2));   // every gate at σ(0) = 0.5, g = tanh(0) = 0
 * c;   // Tensor [[0.5, 0.5]]
 * h;   // Tensor [[0.2311, 0.2311]]
 * ```
 */
export function lstmStep(gates: Tensor, c: Tensor): [Tensor, Tensor] {
  const H = gates.shape[gates.ndim - 1] / 4;
  const part = (k: number) => slice(gates, -1, k * H, (k + 1) * H);
  const i = sigmoid(part(0));
  const f = sigmoid(part(1));
  const g = tanh(part(2));
  const o = sigmoid(part(3));
  const c2 = add(mul(f, c), mul(i, g));
  return [mul(o, tanh(c2)), c2];
}

/** The LSTM loop in ordinary ops (the reference the fused node equals): packed [B, T, 2H] of (h, c). */
function lstmSteps(xg: Tensor, h0: Tensor, c0: Tensor, w: Tensor, b?: Tensor): Tensor {
  const T = xg.shape[1];
  let h = h0;
  let c = c0;
  const out: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    [h, c] = lstmStep(add(get(xg, null, t), linear(h, w, b ?? null)), c);
    out.push(stack([h, c], 1));
  }
  return reshape(stack(out, 1), [xg.shape[0], T, -1]);
}

/**
 * The LSTM time loop: xg [B, T, 4H] the input projection (x W_ihᵀ + b_ih, gate rows i, f, g,
 * o), h0 and c0 [B, H], weightHh [4H, H], biasHh [4H] or null → [B, T, 2H], every step's h
 * (first H) and c (last H). One autodiff node; fused cell kernels.
 *
 * ```ts
 * lstmSequence(zeros(2, 5, 12), zeros(2, 3), zeros(2, 3), zeros(12, 3)).shape;   // [2, 5, 6]: h and c of every step
 * ```
 */
export function lstmSequence(xg: Tensor, h0: Tensor, c0: Tensor, weightHh: Tensor, biasHh: Tensor | null = null): Tensor {
  const o = operands('lstmSequence', xg, h0, c0, weightHh, biasHh);
  const [B, T, H] = dims('lstmSequence', 4, o.xg, o.h0, o.c0, o.w, o.b);
  const { dtype, device } = o.xg;
  const state = empty([T + 1, 2, B, H], dtype, device); // (h, c) before each step and after the last
  const acts = empty([T, B, 4 * H], dtype, device);
  const xgT = contiguous(transpose(o.xg, 0, 1)); // [T, B, 4H]: each step's block contiguous
  ignoreDerivatives(() => {
    copyInto(o.h0, get(state, 0, 0));
    copyInto(o.c0 as Tensor, get(state, 0, 1));
    for (let t = 0; t < T; t++) {
      const hg = contiguous(linear(get(state, t, 0), o.w, o.b));
      lstmCellK(raw(state), raw(acts), raw(xgT), raw(hg), T, B, H, t);
    }
  });
  const out = reshape(permute(slice(state, 0, 1, T + 1), [2, 0, 1, 3]), [B, T, 2 * H]);
  if (isRecording()) {
    const inputs = [o.xg, o.h0, o.c0 as Tensor, o.w, ...(o.b ? [o.b] : [])];
    const fused = (g: Tensor): Tensor[] => {
      const gT = contiguous(permute(reshape(g, [B, T, 2, H]), [1, 2, 0, 3])); // [T, 2, B, H]
      const dxgT = empty([T, B, 4 * H], dtype, device);
      let dh = empty([B, H], dtype, device, true);
      let dc = empty([B, H], dtype, device, true);
      for (let t = T - 1; t >= 0; t--) {
        const gh = contiguous(add(get(gT, t, 0), dh));
        const gc = contiguous(add(get(gT, t, 1), dc));
        const dcPrev = empty([B, H], dtype, device);
        lstmCellGradK(raw(dxgT), raw(dcPrev), raw(gh), raw(gc), raw(acts), raw(state), T, B, H, t);
        dh = matmul(get(dxgT, t), o.w);
        dc = dcPrev;
      }
      const flat = reshape(dxgT, [T * B, 4 * H]);
      const hPrev = reshape(contiguous(get(slice(state, 0, 0, T), null, 0)), [T * B, H]);
      const grads = [transpose(dxgT, 0, 1), dh, dc, matmul(transpose(flat), hPrev)];
      if (o.b) grads.push(sum(flat, 0));
      return grads;
    };
    recordSequence('lstmSequence', out, inputs, fused, (x, h, c, w, b) => lstmSteps(x, h, c, w, b));
  }
  return out;
}

// ---- GRU ---------------------------------------------------------------------------------

/**
 * One GRU step in ordinary ops: xg [B, 3H] (x W_ihᵀ + b_ih), hg [B, 3H] (h W_hhᵀ + b_hh), h → h'.
 *
 * ```ts
 * gruStep(zeros(1, 6), zeros(1, 6), ones(1, 2));   // Tensor [[0.5, 0.5]]
 * ```
 */
export function gruStep(xg: Tensor, hg: Tensor, h: Tensor): Tensor {
  const H = h.shape[h.ndim - 1];
  const part = (t: Tensor, k: number) => slice(t, -1, k * H, (k + 1) * H);
  const r = sigmoid(add(part(xg, 0), part(hg, 0)));
  const z = sigmoid(add(part(xg, 1), part(hg, 1)));
  const n = tanh(add(part(xg, 2), mul(r, part(hg, 2))));
  return add(mul(sub(1, z), n), mul(z, h)); // (1 − z) n + z h
}

function gruSteps(xg: Tensor, h0: Tensor, w: Tensor, b?: Tensor): Tensor {
  let h = h0;
  const out: Tensor[] = [];
  for (let t = 0; t < xg.shape[1]; t++) {
    h = gruStep(get(xg, null, t), linear(h, w, b ?? null), h);
    out.push(h);
  }
  return stack(out, 1);
}

/**
 * The GRU time loop: xg [B, T, 3H] the input projection (gate rows r, z, n), h0 [B, H],
 * weightHh [3H, H], biasHh [3H] or null → [B, T, H], every step's h. PyTorch's n =
 * tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)). One autodiff node; fused cell kernels.
 *
 * ```ts
 * gruSequence(zeros(2, 5, 9), zeros(2, 3), zeros(9, 3)).shape;   // [2, 5, 3]
 * ```
 */
export function gruSequence(xg: Tensor, h0: Tensor, weightHh: Tensor, biasHh: Tensor | null = null): Tensor {
  const o = operands('gruSequence', xg, h0, null, weightHh, biasHh);
  const [B, T, H] = dims('gruSequence', 3, o.xg, o.h0, null, o.w, o.b);
  const { dtype, device } = o.xg;
  const state = empty([T + 1, B, H], dtype, device);
  const acts = empty([T, B, 4 * H], dtype, device);
  const xgT = contiguous(transpose(o.xg, 0, 1));
  ignoreDerivatives(() => {
    copyInto(o.h0, get(state, 0));
    for (let t = 0; t < T; t++) {
      const hg = contiguous(linear(get(state, t), o.w, o.b));
      gruCellK(raw(state), raw(acts), raw(xgT), raw(hg), T, B, H, t);
    }
  });
  const out = transpose(slice(state, 0, 1, T + 1), 0, 1);
  if (isRecording()) {
    const inputs = [o.xg, o.h0, o.w, ...(o.b ? [o.b] : [])];
    const fused = (g: Tensor): Tensor[] => {
      const gT = contiguous(transpose(g, 0, 1)); // [T, B, H]
      const dxgT = empty([T, B, 3 * H], dtype, device);
      const dhgAll = empty([T, B, 3 * H], dtype, device);
      let dh = empty([B, H], dtype, device, true);
      for (let t = T - 1; t >= 0; t--) {
        const gh = contiguous(add(get(gT, t), dh));
        const dhg = empty([B, 3 * H], dtype, device);
        const direct = empty([B, H], dtype, device);
        gruCellGradK(raw(dxgT), raw(dhg), raw(direct), raw(gh), raw(acts), raw(state), T, B, H, t);
        copyInto(dhg, get(dhgAll, t));
        dh = add(direct, matmul(dhg, o.w));
      }
      const flat = reshape(dhgAll, [T * B, 3 * H]);
      const hPrev = reshape(slice(state, 0, 0, T), [T * B, H]);
      const grads = [transpose(dxgT, 0, 1), dh, matmul(transpose(flat), hPrev)];
      if (o.b) grads.push(sum(flat, 0));
      return grads;
    };
    recordSequence('gruSequence', out, inputs, fused, (x, h, w, b) => gruSteps(x, h, w, b));
  }
  return out;
}

// ---- Elman RNN ---------------------------------------------------------------------------

/** The Elman loop in ordinary ops: what the fused loop replays under a higher order, and the loop for any other activation. */
function rnnSteps(act: (x: Tensor) => Tensor, xg: Tensor, h0: Tensor, w: Tensor, b?: Tensor): Tensor {
  let h = h0;
  const out: Tensor[] = [];
  for (let t = 0; t < xg.shape[1]; t++) {
    h = act(add(get(xg, null, t), linear(h, w, b ?? null)));
    out.push(h);
  }
  return stack(out, 1);
}

/**
 * The Elman RNN time loop, h' = σ(xg_t + h W_hhᵀ + b_hh): xg [B, T, H], h0 [B, H], weightHh
 * [H, H], biasHh [H] or null → [B, T, H]. With σ tanh or relu (the functions, or their names)
 * the loop is fused, one autodiff node; any other activation function runs it in ordinary ops.
 *
 * ```ts
 * rnnSequence(zeros(2, 5, 3), zeros(2, 3), zeros(3, 3)).shape;   // [2, 5, 3]
 * rnnSequence(ones(1, 2, 1), zeros(1, 1), zeros(1, 1), null, 'relu');   // Tensor [[[1], [1]]]
 * rnnSequence(zeros(1, 2, 1), zeros(1, 1), zeros(1, 1), null, sigmoid);   // Tensor [[[0.5], [0.5]]]
 * ```
 */
export function rnnSequence(
  xg: Tensor,
  h0: Tensor,
  weightHh: Tensor,
  biasHh: Tensor | null = null,
  σ: 'tanh' | 'relu' | ((x: Tensor) => Tensor) = 'tanh',
): Tensor {
  const o = operands('rnnSequence', xg, h0, null, weightHh, biasHh);
  const fusedAs = σ === 'tanh' || σ === tanh ? 'tanh' : σ === 'relu' || σ === relu ? 'relu' : null;
  if (fusedAs === null && typeof σ !== 'function')
    throw new ShapeError(`rnnSequence: expected σ to be an activation function, 'tanh' or 'relu', got ${String(σ)}`);
  const [B, T, H] = dims('rnnSequence', 1, o.xg, o.h0, null, o.w, o.b);
  if (fusedAs === null) return rnnSteps(σ as (x: Tensor) => Tensor, o.xg, o.h0, o.w, o.b ?? undefined);
  const { dtype, device } = o.xg;
  const act = fusedAs === 'tanh' ? tanh : relu;
  const state = empty([T + 1, B, H], dtype, device);
  const xgT = contiguous(transpose(o.xg, 0, 1));
  ignoreDerivatives(() => {
    copyInto(o.h0, get(state, 0));
    for (let t = 0; t < T; t++) copyInto(act(add(get(xgT, t), linear(get(state, t), o.w, o.b))), get(state, t + 1));
  });
  const out = transpose(slice(state, 0, 1, T + 1), 0, 1);
  if (isRecording()) {
    const inputs = [o.xg, o.h0, o.w, ...(o.b ? [o.b] : [])];
    const fused = (g: Tensor): Tensor[] => {
      const gT = contiguous(transpose(g, 0, 1));
      const dpre = empty([T, B, H], dtype, device);
      let dh = empty([B, H], dtype, device, true);
      for (let t = T - 1; t >= 0; t--) {
        const y = get(state, t + 1);
        const gh = add(get(gT, t), dh);
        // σ' from the output alone: 1 − y² for tanh, y > 0 for relu
        const d = fusedAs === 'tanh' ? mul(gh, sub(1, mul(y, y))) : mul(gh, gt(y, 0));
        copyInto(d, get(dpre, t));
        dh = matmul(get(dpre, t), o.w);
      }
      const flat = reshape(dpre, [T * B, H]);
      const hPrev = reshape(slice(state, 0, 0, T), [T * B, H]);
      const grads = [transpose(dpre, 0, 1), dh, matmul(transpose(flat), hPrev)];
      if (o.b) grads.push(sum(flat, 0));
      return grads;
    };
    recordSequence('rnnSequence', out, inputs, fused, (x, h, w, b) => rnnSteps(act, x, h, w, b));
  }
  return out;
}
