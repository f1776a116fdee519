// Movement: views that share storage (reshape of contiguous data, permute, expand,
// slicing), copies (contiguous, clone, concat), and gather / scatter along a dim.
// Every view's backward rule is a public op too: reshape back, permute back, sum
// back over broadcast dims, or embed into zeros at the sliced positions.
import { isRecording, record } from '../autodiff/tape.js';
import { copyInto, empty, fromArray, kernel, raw, contiguous as wholeStorage } from '../backend/index.js';
import { aroundDim, withDim } from '../backend/meta.js';
import { promote } from '../dtype.js';
import { ArgumentError, DeviceError, IndexError, ShapeError, expected, shapeStr } from '../errors.js';
import { type ShapeArgs, checkShape, contiguousStrides, dimsArg, listStr, normDim, numel, sameShape, valueStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { notMethod } from './methods.js';
import { asTensor } from './operand.js';
import { Range } from './range.js';
import { registerOp } from './registry.js';

for (const name of ['reshape', 'permute', 'get', 'detach'])
  registerOp({ name, family: 'movement', kernels: [], differentiable: name !== 'detach' });
for (const name of ['contiguous', 'clone', 'concat'])
  registerOp({ name, family: 'movement', kernels: ['copy'], differentiable: true });
registerOp({ name: 'indexSelect', family: 'movement', kernels: ['gather'], differentiable: true });
registerOp({ name: 'indexAdd', family: 'movement', kernels: ['scatterAdd'], differentiable: true });
const gatherK = kernel('gather');
const scatterAddK = kernel('scatterAdd');

function view(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x._buf, shape, x.dtype, x.device, strides, offset, x._root());
}

/**
 * A copy with row-major layout, or `x` itself when it already is.
 *
 * ```ts
 * const t = tensor([[1, 2], [3, 4]]).T;
 * t.isContiguous;   // false
 * contiguous(t).isContiguous;   // true
 * contiguous(t);   // Tensor [[1, 3], [2, 4]]
 * ```
 */
export function contiguous(x: Tensor): Tensor {
  const t = asTensor('contiguous', 'x', x);
  if (t.isContiguous) return t;
  return clone(t);
}

/**
 * A copy with its own storage.
 *
 * ```ts
 * const a = tensor([1, 2]);
 * const b = clone(a);
 * b.addInPlace(1);
 * a;   // Tensor [1, 2]
 * ```
 */
export function clone(x: Tensor): Tensor {
  const t = asTensor('clone', 'x', x);
  const out = empty(t.shape, t.dtype, t.device);
  copyInto(t, out);
  if (isRecording()) record('contiguous', out, [t], (g) => [() => g]);
  return out;
}

/**
 * The same values, cut off from every gradient tape (shares storage).
 *
 * ```ts
 * gradient((x: Tensor) => x.mul(detach(x)).sum(), tensor([3]))[0];   // Tensor [3]: the detached factor is a constant
 * ```
 */
export function detach(x: Tensor): Tensor {
  const t = asTensor('detach', 'x', x);
  return view(t, t.shape, t._strides, t._offset);
}

/**
 * Same data, new shape: `reshape(x, 2, 3)` or `reshape(x, [2, 3])`; one entry may be -1
 * (inferred). A view when the data is contiguous.
 *
 * ```ts
 * reshape(arange(6), 2, 3);   // Tensor [[0, 1, 2], [3, 4, 5]]
 * arange(6).reshape([-1, 2]).shape;   // [3, 2]
 * ```
 */
export function reshape(x: Tensor, ...shape: ShapeArgs): Tensor {
  const t = asTensor('reshape', 'x', x);
  const target = inferShape(t, dimsArg('reshape', shape) as number[]);
  if (sameShape(target, t.shape)) return t;
  const src = t.isContiguous ? t : clone(t);
  const out = view(src, target, contiguousStrides(target), src._offset);
  if (isRecording()) record('reshape', out, [src], (g, [a]) => [() => reshape(g, a.shape)]);
  return out;
}

function inferShape(t: Tensor, shape: readonly number[]): number[] {
  let infer = -1;
  let known = 1;
  const out = shape.slice();
  out.forEach((d, i) => {
    if (d === -1 && infer < 0) infer = i;
    else if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new ShapeError(`reshape: expected shape to hold non-negative integers and at most one -1, got ${listStr(shape)}`);
    else known *= d;
  });
  if (infer >= 0) {
    if (known === 0 || t.size % known !== 0)
      throw new ShapeError(`reshape: cannot infer -1 in ${shapeStr(shape)} for ${t.size} elements (shape ${shapeStr(t.shape)})`);
    out[infer] = t.size / known;
  }
  checkShape('reshape', 'shape', out);
  if (numel(out) !== t.size)
    throw new ShapeError(`reshape: cannot reshape ${shapeStr(t.shape)} (${t.size} elements) into ${shapeStr(shape)} (${numel(out)} elements)`);
  return out;
}

/**
 * Reorders dims: `permute(x, 1, 0)` (or `permute(x, [1, 0])`) is the transpose of a matrix. A view.
 *
 * ```ts
 * permute(zeros(2, 3, 4), 2, 0, 1).shape;   // [4, 2, 3]
 * permute(tensor([[1, 2]]), [1, 0]);   // Tensor [[1], [2]]
 * ```
 */
export function permute(x: Tensor, ...order: ShapeArgs): Tensor {
  const t = asTensor('permute', 'x', x);
  const dims = dimsArg('permute', order, 'dims');
  if (dims.length !== t.ndim)
    throw expected('permute', 'dims', `a permutation of ${t.ndim} dims`, dims, IndexError);
  const seen = new Array<boolean>(t.ndim).fill(false);
  const p = dims.map((d) => {
    const k = normDim('permute', d, t.ndim, 'dims');
    if (seen[k]) throw new IndexError(`permute: dim ${d} appears twice in ${listStr(dims)}`);
    seen[k] = true;
    return k;
  });
  if (p.every((d, i) => d === i)) return t;
  const out = view(t, p.map((d) => t.shape[d]), p.map((d) => t._strides[d]), t._offset);
  if (isRecording()) {
    const inv = new Array<number>(p.length);
    p.forEach((d, i) => {
      inv[d] = i;
    });
    record('permute', out, [t], (g) => [() => permute(g, inv)]);
  }
  return out;
}

/**
 * Swaps two dims (default: the last two). A view.
 *
 * ```ts
 * transpose(tensor([[1, 2, 3]]));   // Tensor [[1], [2], [3]]
 * transpose(zeros(2, 3, 4), 0, 2).shape;   // [4, 3, 2]
 * ```
 */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const t = asTensor('transpose', 'x', x);
  if (t.ndim < 2 && dim0 === -2 && dim1 === -1) return t; // x.T of a vector or scalar is itself
  const a = normDim('transpose', dim0, t.ndim, 'dim0');
  const b = normDim('transpose', dim1, t.ndim, 'dim1');
  const p = t.shape.map((_, i) => i);
  p[a] = b;
  p[b] = a;
  return permute(t, p);
}

/**
 * Adds a dim of size 1 at `dim`.
 *
 * ```ts
 * unsqueeze(tensor([1, 2]), 0).shape;   // [1, 2]
 * unsqueeze(tensor([1, 2]), -1).shape;   // [2, 1]
 * ```
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const t = asTensor('unsqueeze', 'x', x);
  const d = normDim('unsqueeze', dim, t.ndim + 1);
  const shape = t.shape.slice();
  shape.splice(d, 0, 1);
  return reshape(t, shape);
}

/**
 * Removes size-1 dims (all of them, or just `dim`).
 *
 * ```ts
 * squeeze(zeros(1, 3, 1)).shape;   // [3]
 * squeeze(zeros(1, 3, 1), 0).shape;   // [3, 1]
 * ```
 */
export function squeeze(x: Tensor, dim?: number): Tensor {
  const t = asTensor('squeeze', 'x', x);
  if (dim === undefined) return reshape(t, t.shape.filter((d) => d !== 1));
  const d = normDim('squeeze', dim, t.ndim);
  if (t.shape[d] !== 1) return t;
  return reshape(t, t.shape.filter((_, i) => i !== d));
}

/**
 * Merges dims start..end (inclusive) into one.
 *
 * ```ts
 * flatten(zeros(2, 3, 4)).shape;   // [24]
 * flatten(zeros(2, 3, 4), 1).shape;   // [2, 12]
 * ```
 */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  const t = asTensor('flatten', 'x', x);
  if (t.ndim === 0) return reshape(t, [1]);
  const s = normDim('flatten', start, t.ndim, 'start');
  const e = normDim('flatten', end, t.ndim, 'end');
  if (e < s) throw new IndexError(`flatten: end dim ${end} comes before start dim ${start}`);
  const shape = [...t.shape.slice(0, s), numel(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(t, shape);
}

/**
 * One entry of an index: a position (drops the dim), `range(start, end, step)` (a view of
 * those positions), null (all), or a list of positions (an array of integers or a 1-D int32
 * tensor: those positions, in order, repeats allowed; a copy). A range and a list never share
 * a form: `[0, 5]` is positions 0 and 5, `range(0, 5)` is 0 to 4.
 *
 * ```ts
 * const rows: IndexSpec[] = [[1, 1, 0]];
 * tensor([[1, 2], [3, 4]]).get(...rows);   // Tensor [[3, 4], [3, 4], [1, 2]]
 * tensor([[1, 2], [3, 4]]).get(null, 0);   // Tensor [1, 3]
 * ```
 */
export type IndexSpec = number | null | undefined | Range | readonly number[] | Tensor;

interface ViewSpec {
  shape: number[];
  strides: number[];
  offset: number; // relative to the input's offset
}

/** The view part of an index: positions, ranges and nulls (a list's dim is taken whole here). */
type ViewIndex = number | null | undefined | Range;

function resolveIndex(op: string, t: Tensor, idx: readonly ViewIndex[]): ViewSpec {
  if (idx.length > t.ndim)
    throw new IndexError(`${op}: too many indices (${idx.length}) for a tensor with ${t.ndim} dims (shape ${shapeStr(t.shape)})`);
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = 0;
  for (let d = 0; d < t.ndim; d++) {
    const spec = d < idx.length ? idx[d] : null;
    const n = t.shape[d];
    const s = t._strides[d];
    if (spec === null || spec === undefined) {
      shape.push(n);
      strides.push(s);
    } else if (typeof spec === 'number') {
      if (!Number.isInteger(spec) || spec < -n || spec >= n)
        throw new IndexError(`${op}: index ${spec} is out of range for dim ${d} of size ${n} (shape ${shapeStr(t.shape)})`);
      offset += (spec < 0 ? spec + n : spec) * s;
    } else if (spec instanceof Range) {
      const [start, end, step] = [spec.start ?? 0, spec.end ?? n, spec.step ?? 1];
      const clamp = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
      const b = clamp(start);
      const e = Math.max(b, clamp(end));
      shape.push(Math.ceil((e - b) / step));
      strides.push(s * step);
      offset += b * s;
    } else {
      throw expected(op, `index ${d}`, 'an integer, a range(start, end, step), a list of positions, or null', spec, IndexError);
    }
  }
  return { shape, strides, offset };
}

function applyView(t: Tensor, v: ViewSpec): Tensor {
  return view(t, v.shape, v.strides, t._offset + v.offset);
}

/** Zeros of `shape` with `g` written where `spec` selects (the backward of a slice). */
function embed(g: Tensor, shape: readonly number[], idx: readonly ViewIndex[]): Tensor {
  const out = empty(shape, g.dtype, g.device, true);
  copyInto(g, applyView(out, resolveIndex('embed', out, idx)));
  if (isRecording()) record('embed', out, [g], (gg) => [() => get(gg, ...idx)]);
  return out;
}

/**
 * Indexing: `x.get(0)` is the first row (a view), `x.get(null, range(1, 3))` columns 1 and 2
 * (a view), `x.get(range(0, null, 2))` every other row (a view), `x.get([0, 5])` rows 0 and 5
 * (a copy, differentiable like every index). Negative positions count from the end.
 *
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * x.get(0);   // Tensor [1, 2, 3]
 * x.get(null, range(1, 3));   // Tensor [[2, 3], [5, 6]]
 * x.get(1, [2, 0]);   // Tensor [6, 4]
 * x.get(-1, -1).item();   // 6
 * ```
 */
export function get(x: Tensor, ...idx: IndexSpec[]): Tensor {
  return indexView('get', asTensor('get', 'x', x), idx);
}

/** get under the name of the op the user called (so that slice's errors say 'slice'). */
function indexView(op: string, t: Tensor, idx: readonly IndexSpec[]): Tensor {
  const lists: number[] = [];
  idx.forEach((spec, d) => {
    if (Array.isArray(spec) || spec instanceof Tensor) lists.push(d);
  });
  if (lists.length === 0) return viewOf(op, t, idx as readonly ViewIndex[]);
  if (idx.length > t.ndim)
    throw new IndexError(`${op}: too many indices (${idx.length}) for a tensor with ${t.ndim} dims (shape ${shapeStr(t.shape)})`);
  // NumPy pairs several lists up elementwise, other libraries take every combination: one
  // list per call keeps the meaning plain, and chaining gets either.
  if (lists.length > 1)
    throw new IndexError(
      `${op}: one list of positions per call, got lists at dims ${lists.join(' and ')}; for every combination index twice, ` +
        `x.${op}([..]).${op}(null, [..]); for pairs of positions use gather`,
    );
  const d = lists[0];
  // NumPy also moves the selected dim to the front when a position index and the list are
  // separated by a full or ranged dim; here it always stays in place, so that case is refused.
  const fixed = idx.map((s, i) => (typeof s === 'number' ? i : -1)).filter((i) => i >= 0);
  const lo = Math.min(d, ...fixed);
  const hi = Math.max(d, ...fixed);
  for (let i = lo; i <= hi; i++)
    if (i !== d && !fixed.includes(i))
      throw new IndexError(
        `${op}: the list of positions at dim ${d} and the position index at dim ${fixed.find((f) => (f < i) !== (d < i))} are separated by dim ${i}, ` +
          'which NumPy and PyTorch would move to the front; index in two steps to say which order is meant',
      );
  const positions = positionsOf(op, idx[d], d, t.shape[d]);
  const whole = idx.map((s, i) => (i === d ? null : s)) as ViewIndex[];
  const v = viewOf(op, t, whole);
  const dimAfter = d - fixed.filter((f) => f < d).length; // the position indices before it drop their dims
  return indexSelect(v, dimAfter, positions);
}

/** A list of positions for dim `d`: integers (negative count from the end), checked here so the error names the op. */
function positionsOf(op: string, spec: unknown, d: number, n: number): number[] {
  if (spec instanceof Tensor) {
    asTensor(op, `index ${d}`, spec);
    if (spec.dtype !== 'int32') throw expected(op, `the tensor index at dim ${d}`, 'an int32 tensor of positions', spec, IndexError);
    if (spec.ndim !== 1) throw new IndexError(`${op}: expected the tensor index at dim ${d} to be 1-D, got shape ${shapeStr(spec.shape)}`);
    return Array.from(spec.data());
  }
  const list = spec as readonly unknown[];
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    // [0, null, 2] and [2, undefined] were once ranges; now a range is range(0, null, 2)
    if (v === null || v === undefined)
      throw new IndexError(
        `${op}: a list of positions holds integers, got ${v} at position ${i} of the index at dim ${d}; for a range write range(${list.map((x) => (x === undefined ? 'null' : valueStr(x))).join(', ')})`,
      );
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new IndexError(`${op}: expected integer positions in the index at dim ${d}, got ${valueStr(v)} at position ${i}`);
    if (v < -n || v >= n) throw new IndexError(`${op}: position ${v} is out of range for dim ${d} of size ${n}`);
  }
  return list as number[];
}

/** The view an index of positions, ranges and nulls selects, recorded with its backward. */
function viewOf(op: string, t: Tensor, idx: readonly ViewIndex[]): Tensor {
  const spec = resolveIndex(op, t, idx);
  const out = applyView(t, spec);
  if (isRecording()) record('view', out, [t], (g, [a]) => [() => embed(g, a.shape, idx)]);
  return out;
}

/**
 * Elements start..end-1 (step apart) along `dim`, as a view.
 *
 * ```ts
 * slice(arange(10), 0, 2, 8, 3);   // Tensor [2, 5]
 * slice(tensor([[1, 2, 3]]), 1, 1).shape;   // [1, 2]
 * ```
 */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const t = asTensor('slice', 'x', x);
  const d = normDim('slice', dim, t.ndim);
  // checked here so that the errors name slice and the dim, not range
  for (const [v, name] of [[start ?? 0, 'start'], [end ?? 0, 'end'], [step, 'step']] as const)
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new IndexError(`slice: expected the range ${name} for dim ${d} to be an integer, got ${valueStr(v)}`);
  if (step <= 0) throw new IndexError(`slice: expected a positive step for dim ${d}, got ${step}`);
  const idx: ViewIndex[] = t.shape.map(() => null);
  idx[d] = new Range(start ?? null, end ?? null, step);
  return viewOf('slice', t, idx);
}

function sameFamily(op: string, ts: readonly unknown[]): Tensor[] {
  if (!Array.isArray(ts) || ts.length === 0) throw expected(op, 'tensors', 'a non-empty array of tensors', ts);
  const list = ts.map((t, i) => asTensor(op, `tensors[${i}]`, t));
  const dev = list[0].device;
  for (const t of list) if (t.device !== dev) throw new DeviceError(`${op}: tensors are on different devices (${dev} and ${t.device})`);
  const dtype = list.reduce((d, t) => promote(d, t.dtype), list[0].dtype);
  return list.map((t) => cast(t, dtype));
}

/**
 * Joins tensors along an existing dim; all other dims must match.
 *
 * ```ts
 * concat([tensor([[1, 2]]), tensor([[3, 4]])]);   // Tensor [[1, 2], [3, 4]]
 * concat([zeros(2, 3), zeros(2, 1)], 1).shape;   // [2, 4]
 * ```
 */
export const concat = notMethod(function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  const ts = sameFamily('concat', tensors);
  const first = ts[0];
  if (first.ndim === 0) throw new ShapeError('concat: cannot concatenate 0-d tensors; use stack');
  const d = normDim('concat', dim, first.ndim);
  let total = 0;
  ts.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, k) => k !== d && s !== first.shape[k]))
      throw new ShapeError(`concat: tensors[${i}] has shape ${shapeStr(t.shape)}, which does not match ${shapeStr(first.shape)} outside dim ${d}`);
    total += t.shape[d];
  });
  const shape = first.shape.slice();
  shape[d] = total;
  const out = empty(shape, first.dtype, first.device);
  const sizes = ts.map((t) => t.shape[d]);
  let at = 0;
  for (const t of ts) {
    copyInto(t, slice(out, d, at, at + t.shape[d]));
    at += t.shape[d];
  }
  if (isRecording())
    record('concat', out, ts, (g) => {
      let start = 0;
      return sizes.map((n) => {
        const s = start;
        start += n;
        return () => slice(g, d, s, s + n);
      });
    });
  return out;
});

/**
 * Joins tensors of one shape along a new dim.
 *
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]);   // Tensor [[1, 2], [3, 4]]
 * stack([zeros(3), zeros(3)], 1).shape;   // [3, 2]
 * ```
 */
export const stack = notMethod(function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const ts = sameFamily('stack', tensors);
  const d = normDim('stack', dim, ts[0].ndim + 1);
  ts.forEach((t, i) => {
    if (!sameShape(t.shape, ts[0].shape))
      throw new ShapeError(`stack: tensors[${i}] has shape ${shapeStr(t.shape)}, expected ${shapeStr(ts[0].shape)} like tensors[0]`);
  });
  return concat(ts.map((t) => unsqueeze(t, d)), d);
});

/**
 * Splits into pieces of `size` along `dim` (the last may be smaller). Views.
 *
 * ```ts
 * split(arange(5), 2).map((t) => t.size);   // [2, 2, 1]
 * split(zeros(2, 6), 3, 1)[0].shape;   // [2, 3]
 * ```
 */
export function split(x: Tensor, size: number, dim = 0): Tensor[] {
  const t = asTensor('split', 'x', x);
  const d = normDim('split', dim, t.ndim);
  if (!Number.isInteger(size) || size <= 0) throw expected('split', 'size', 'a positive integer', size);
  const out: Tensor[] = [];
  for (let s = 0; s < t.shape[d]; s += size) out.push(slice(t, d, s, Math.min(s + size, t.shape[d])));
  return out;
}

function indexArray(op: string, idx: unknown, n: number): Int32Array {
  let list: ArrayLike<unknown>;
  if (idx instanceof Tensor) {
    asTensor(op, 'indices', idx);
    if (idx.ndim !== 1) throw new ShapeError(`${op}: expected indices to be 1-D, got shape ${shapeStr(idx.shape)}`);
    list = idx.data();
  } else if (Array.isArray(idx) || idx instanceof Int32Array) list = idx;
  else throw expected(op, 'indices', 'an int32 Tensor or an array of integers', idx, IndexError);
  // Checked before the conversion to Int32Array, which would wrap 2^32 around to 0.
  const arr = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new IndexError(`${op}: expected integer indices, got ${valueStr(v)} at position ${i}`);
    const k = v < 0 ? v + n : v;
    if (k < 0 || k >= n) throw new IndexError(`${op}: index ${v} is out of range for a dim of size ${n}`);
    arr[i] = k;
  }
  return arr;
}

/**
 * Rows (or slices along `dim`) picked by integer indices, in order, repeats allowed: a copy.
 *
 * ```ts
 * indexSelect(tensor([[1, 2], [3, 4]]), 0, [1, 1, 0]);   // Tensor [[3, 4], [3, 4], [1, 2]]
 * ```
 */
export function indexSelect(x: Tensor, dim: number, indices: Tensor | readonly number[]): Tensor {
  const t = asTensor('indexSelect', 'x', x);
  if (t.ndim === 0) throw new ShapeError('indexSelect: cannot index a 0-d tensor');
  const d = normDim('indexSelect', dim, t.ndim);
  const idx = indexArray('indexSelect', indices, t.shape[d]);
  const out = gather(t, d, idx);
  if (isRecording()) record('indexSelect', out, [t], (g, [a]) => [() => indexAdd(g, d, idx, a.shape[d])]);
  return out;
}

/**
 * Zeros with `size` slices along `dim`, plus each slice of `g` added at its index (repeats add up).
 *
 * ```ts
 * indexAdd(tensor([[1, 1], [2, 2]]), 0, [2, 2], 3);   // Tensor [[0, 0], [0, 0], [3, 3]]
 * ```
 */
export function indexAdd(g: Tensor, dim: number, indices: Int32Array | readonly number[], size: number): Tensor {
  const t = asTensor('indexAdd', 'g', g);
  const d = normDim('indexAdd', dim, t.ndim);
  if (!Number.isInteger(size) || size < 0) throw expected('indexAdd', 'size', 'a non-negative integer', size);
  // Int32Array indices are checked too: indexAdd is public, not only the backward of indexSelect.
  const idx = indexArray('indexAdd', indices, size);
  if (idx.length !== t.shape[d]) throw new ShapeError(`indexAdd: ${idx.length} indices for dim ${d} of size ${t.shape[d]}`);
  const out = scatterAdd(t, d, idx, size);
  if (isRecording()) record('indexAdd', out, [t], (gg) => [() => indexSelect(gg, d, Array.from(idx))]);
  return out;
}

/** x [.., n, ..] at `idx` along dim: the gather kernel over a contiguous x (idx on x's device). */
function gather(x: Tensor, dim: number, idx: Int32Array): Tensor {
  const c = wholeStorage(x);
  const out = empty(withDim(x.shape, dim, idx.length), x.dtype, x.device);
  const { outer, n, inner } = aroundDim(x.shape, dim);
  const i = fromArray(idx, [idx.length], 'int32', x.device);
  gatherK(raw(out), raw(c), raw(i), outer, n, inner, idx.length);
  i.dispose();
  return out;
}

/** Zeros with `size` slices along dim, plus each slice of g added at its index. */
function scatterAdd(g: Tensor, dim: number, idx: Int32Array, size: number): Tensor {
  const c = wholeStorage(g);
  const out = empty(withDim(g.shape, dim, size), g.dtype, g.device, true);
  const { outer, inner } = aroundDim(g.shape, dim);
  const i = fromArray(idx, [idx.length], 'int32', g.device);
  scatterAddK(raw(out), raw(c), raw(i), outer, size, inner, idx.length);
  i.dispose();
  return out;
}

/**
 * Moves or converts: `x.to('float64')`, `x.to('cuda')` (a copy; gradients flow back to the source device).
 *
 * ```ts
 * tensor([1, 2]).to('float64').dtype;   // 'float64'
 * to(tensor([1.7]), 'int32');   // Tensor [1]
 * ```
 */
export function to(x: Tensor, target: string): Tensor {
  const t = asTensor('to', 'x', x);
  if (target === 'float32' || target === 'float64' || target === 'int32') return cast(t, target);
  if (target !== 'cpu' && target !== 'cuda')
    throw expected('to', 'target', "a dtype ('float32', 'float64', 'int32') or a device ('cpu', 'cuda')", target, ArgumentError);
  if (t.device === target) return t;
  const out = fromArray(t.data(), t.shape, t.dtype, target);
  if (isRecording()) record('to', out, [t], (g, [a]) => [() => to(g, a.device)]);
  return out;
}

Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    return transpose(this);
  },
});
