// Matrix products with NumPy `matmul` semantics (1-D operands are promoted and the added
// dim removed again; batch dims broadcast), and `linear`, the fused x Wᵀ + b of Dense.
import { ignoreDerivatives, isRecording, isTracked, record } from '../autodiff/tape.js';
import { contiguous, empty, kernel, raw } from '../backend/index.js';
import { meta, putShape } from '../backend/meta.js';
import { ShapeError, expected, shapeStr } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { fusedBackward, runUnaryGrad } from './elementwise.js';
import { reshape, transpose } from './movement.js';
import { asTensor, binaryOperands, floatOperand } from './operand.js';
import { OUTPUT_DERIVATIVE, type OutputDerivative } from './output-derivative.js';
import { sum } from './reduce.js';
import { registerOp } from './registry.js';

registerOp({ name: 'matmul', family: 'matmul', kernels: ['matmul'], differentiable: true });
registerOp({ name: 'linear', family: 'matmul', kernels: ['matmul', 'biasAct'], differentiable: true });
const matmulK = kernel('matmul');
const biasActK = kernel('biasAct');

/** A batched matrix product: broadcast batch shape, then [m, k] · [k, n]. */
interface MatmulSpec {
  batch: readonly number[];
  m: number;
  n: number;
  k: number;
}

/**
 * How a matrix operand goes to GEMM: as is when its last two dims are row-major or
 * transposed with unit stride (no copy), else it must be made contiguous first.
 * Returns [transposed, leading dimension], or null when a copy is needed.
 */
function matrixLayout(t: Tensor): [boolean, number] | null {
  const nd = t.shape.length;
  const rows = t.shape[nd - 2];
  const cols = t.shape[nd - 1];
  const sr = t._strides[nd - 2];
  const sc = t._strides[nd - 1];
  if ((sc === 1 || cols === 1) && (rows === 1 || sr >= Math.max(1, cols))) return [false, rows === 1 ? Math.max(1, cols) : sr];
  if ((sr === 1 || rows === 1) && (cols === 1 || sc >= Math.max(1, rows))) return [true, cols === 1 ? Math.max(1, rows) : sc];
  // contiguous data of an empty matrix has zero strides: any leading dimension BLAS accepts will do
  if (t.isContiguous) return [false, Math.max(1, cols)];
  return null;
}

/** The matmul metadata for operands already in a GEMM-ready layout. */
function putMatmul(a: Tensor, b: Tensor, spec: MatmulSpec): void {
  const la = matrixLayout(a) as [boolean, number];
  const lb = matrixLayout(b) as [boolean, number];
  const nb = spec.batch.length;
  let p = putShape(0, spec.batch);
  for (const t of [a, b]) {
    const lead = nb - (t.shape.length - 2);
    meta[p++] = t._offset;
    for (let i = 0; i < nb; i++) {
      const j = i - lead;
      meta[p++] = j < 0 || t.shape[j] === 1 ? 0 : t._strides[j];
    }
  }
  meta[p++] = spec.m;
  meta[p++] = spec.n;
  meta[p++] = spec.k;
  meta[p++] = la[0] ? 1 : 0;
  meta[p++] = la[1];
  meta[p++] = lb[0] ? 1 : 0;
  meta[p++] = lb[1];
}


/** The GEMM kernel; operands not in a layout GEMM reads in place are copied first. */
function gemm(a: Tensor, b: Tensor, spec: MatmulSpec, outShape: readonly number[]): Tensor {
  const ta = matrixLayout(a) ? a : contiguous(a);
  const tb = matrixLayout(b) ? b : contiguous(b);
  const out = empty(outShape, a.dtype, a.device);
  putMatmul(ta, tb, spec);
  matmulK(raw(out), raw(ta), raw(tb));
  return out;
}

/** Both operands at least 2-D: batch broadcast, then one GEMM per batch entry. */
function mm(a: Tensor, b: Tensor): Tensor {
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const m = a.shape[a.ndim - 2];
  const k = a.shape[a.ndim - 1];
  const n = b.shape[b.ndim - 1];
  if (b.shape[b.ndim - 2] !== k)
    throw new ShapeError(
      `matmul: inner dimensions differ: a is ${shapeStr(a.shape)} and b is ${shapeStr(b.shape)} (${k} vs ${b.shape[b.ndim - 2]})`,
    );
  const batch = broadcastShapes('matmul', ba, bb);
  const out = gemm(a, b, { batch, m, n, k }, [...batch, m, n]);
  if (isRecording())
    record('matmul', out, [a, b], (g, [x, y]) => [() => mm(g, transpose(y)), () => mm(transpose(x), g)]);
  return out;
}

/**
 * Matrix product: [m,k]·[k,n] → [m,n]; [k]·[k,n] → [n]; [m,k]·[k] → [m]; [...,m,k]·[...,k,n] batched.
 *
 * ```ts
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[1], [1]]));   // Tensor [[3], [7]]
 * matmul(tensor([1, 2]), eye(2));   // Tensor [1, 2]
 * matmul(zeros(5, 2, 3), zeros(5, 3, 4)).shape;   // [5, 2, 4]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  let [x, y] = binaryOperands('matmul', asTensor('matmul', 'a', a), asTensor('matmul', 'b', b));
  x = floatOperand(x);
  y = floatOperand(y);
  if (x.ndim === 0 || y.ndim === 0)
    throw new ShapeError(`matmul: expected tensors with at least 1 dim, got shapes ${shapeStr(x.shape)} and ${shapeStr(y.shape)} (use mul for scalars)`);
  const vecA = x.ndim === 1;
  const vecB = y.ndim === 1;
  if (vecA) x = reshape(x, [1, x.shape[0]]);
  if (vecB) y = reshape(y, [y.shape[0], 1]);
  let out = mm(x, y);
  if (vecA || vecB) {
    const shape = out.shape.slice();
    if (vecB) shape.pop();
    if (vecA) shape.splice(shape.length - (vecB ? 1 : 2), 1);
    out = reshape(out, shape);
  }
  return out;
}

/**
 * y = σ(x Wᵀ + b) for x [..., in], W [out, in], b [out]: the affine map of `Dense`, in one GEMM
 * that reads W transposed in place (no copy). σ (optional, default none) is any activation;
 * relu, tanh and sigmoid, whose derivatives need only their output, are applied in place on
 * the GEMM's result, with one node for the whole layer: a training step then keeps one
 * activation-sized buffer per layer instead of two, and makes one pass less over it.
 *
 * ```ts
 * linear(tensor([[1, 2]]), tensor([[1, 1], [1, -1]]), tensor([0, 10]), relu);   // Tensor [[3, 9]]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, σ?: (y: Tensor) => Tensor): Tensor {
  let t = floatOperand(asTensor('linear', 'x', x));
  let w = asTensor('linear', 'weight', weight);
  if (w.ndim !== 2) throw new ShapeError(`linear: expected weight to be 2-D [out, in], got ${shapeStr(w.shape)}`);
  const [outF, inF] = w.shape;
  if (t.ndim === 0 || t.shape[t.ndim - 1] !== inF)
    throw new ShapeError(`linear: expected x with last dimension ${inF}, got ${shapeStr(t.shape)}`);
  let b = bias === undefined || bias === null ? null : asTensor('linear', 'bias', bias);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outF))
    throw new ShapeError(`linear: expected bias of shape [${outF}], got ${shapeStr(b.shape)}`);
  if (σ !== undefined && typeof σ !== 'function') throw expected('linear', 'σ', 'an activation function', σ);
  const act = σ === undefined ? undefined : OUTPUT_DERIVATIVE.get(σ);
  // Any other activation is simply applied to the affine result.
  if (σ !== undefined && act === undefined) return σ(linear(t, w, b));
  // One dtype for all three, the widest: the GEMM and the bias add below take a single dtype
  // (mixed dtypes used to reach the native kernels and fail there with a bare TypeError).
  [t, w] = binaryOperands('linear', t, w);
  if (b !== null) {
    [t, b] = binaryOperands('linear', t, b);
    w = cast(w, t.dtype);
  }
  const lead = t.shape.slice(0, -1);
  // The forward works on untracked views; the one 'linear' node below carries the gradient.
  const x2 = t.ndim === 2 ? t : ignoreDerivatives(() => reshape(t, [-1, inF]));
  const wT = new Tensor(w._buf, [inF, outF], w.dtype, w.device, [w._strides[1], w._strides[0]], w._offset, w._root());
  const y2 = gemm(x2, wT, { batch: [], m: x2.shape[0], n: outF, k: inF }, [x2.shape[0], outF]);
  // bias and activation in one pass over the GEMM's result
  if (b !== null || act !== undefined) biasActK(raw(y2), b === null ? null : raw(contiguous(b)), act?.code ?? -1, outF);
  // (a view of y2, never a second owner of its storage)
  const y = t.ndim === 2 ? y2 : new Tensor(y2._buf, [...lead, outF], y2.dtype, y2.device, undefined, 0, y2);
  if (isRecording()) {
    const inputs = b === null ? [t, w] : [t, w, b];
    record(act === undefined ? 'linear' : 'linear+σ', y, inputs, (g, [xi, wi], out) => {
      // The cotangent of the affine part, made once for all three thunks: through the fused
      // derivative kernel when nothing outside records (a plain array is then enough), else
      // with public ops so that an outer gradient can differentiate it.
      let gz: Tensor | null = act === undefined ? g : null;
      const dz = (): Tensor => {
        if (gz === null) {
          const a = act as OutputDerivative;
          gz = fusedBackward.enabled && !isTracked(g, out) ? runUnaryGrad(a.gradCode, out, out, g) : a.derivative(g, out);
        }
        return gz;
      };
      const dz2 = () => (g.ndim === 2 ? dz() : reshape(dz(), [-1, outF]));
      return [
        () => matmul(dz(), wi),
        () => matmul(transpose(dz2()), xi.ndim === 2 ? xi : reshape(xi, [-1, inF])),
        () => sum(dz2(), 0),
      ];
    });
  }
  return y;
}

