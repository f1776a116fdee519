// The Tensor: a strided view of a storage buffer, with a dtype and a device.
// Ops are attached as methods by the op-family modules (ts/ops/*.ts); this file holds
// only what every tensor has: its fields, reading values out, printing, disposal.
import type { DType, Device, Storage, TypedArray } from './dtype.js';
import { FluxionError, ShapeError, shapeStr } from './errors.js';
import { openScopes } from './scope.js';
import { contiguousStrides, isContiguous, numel } from './shape.js';

/**
 * Anything an op accepts where a tensor goes: a Tensor or a plain number.
 *
 * ```ts
 * const two: TensorLike = 2;
 * add(tensor([1]), two);   // Tensor [3]
 * ```
 */
export type TensorLike = Tensor | number;
/**
 * Nested arrays of numbers, as returned by `toArray()`.
 *
 * ```ts
 * tensor([[1, 2], [3, 4]]).toArray();   // [[1, 2], [3, 4]]
 * ```
 */
export type NestedArray = number | NestedArray[];

const FLAG_CONTIGUOUS = 1;
const FLAG_DISPOSED = 2;
const FLAG_READONLY = 4;

/**
 * Internal: a tensor's link to its node on a gradient tape (ts/autodiff/tape.ts owns the
 * fields' real types; declared here so that this module imports nothing from autodiff).
 */
export interface TapeLink {
  readonly tape: unknown;
  readonly node: unknown;
  next: TapeLink | null;
}

// Set by the backend (ts/backend/index.ts): reads any strided view into a fresh contiguous
// typed array on the host, and gives a disposed tensor's storage back to its device.
let read: (t: Tensor) => TypedArray = () => {
  throw new FluxionError('no backend loaded');
};
let release: (device: Device, buf: Storage) => void = () => {};
/** @internal */
export function setDeviceIO(reader: (t: Tensor) => TypedArray, releaser: (device: Device, buf: Storage) => void): void {
  read = reader;
  release = releaser;
}

/**
 * An n-dimensional array of numbers, on the CPU or a GPU: made by `tensor`, `zeros`, `randn`, ...;
 * every op is also a method (`x.add(y)` is `add(x, y)`). Row-major, batch first.
 *
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;   // [2, 2]
 * x.dtype;   // 'float32'
 * x.add(1).mul(x).sum().item();   // 40
 * x.T.toArray();   // [[1, 3], [2, 4]]
 * ```
 */
export class Tensor {
  /** Size of each dimension, outermost first (row-major; batch is the first dim). */
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: Device;
  /** Number of elements. */
  readonly size: number;
  /** @internal storage (a typed array on the CPU) */
  _buf: Storage;
  /** @internal element offset of this view in its storage */
  readonly _offset: number;
  /** @internal element strides (0 = broadcast) */
  readonly _strides: readonly number[];
  /** @internal the tensor that owns the storage, for views */
  readonly _base: Tensor | null;
  /** @internal bumped by every in-place write (meaningful on the owner) */
  _version = 0;
  /** @internal links to the gradient tapes that track this tensor */
  _ad: TapeLink | null = null;
  /** @internal */
  _flags: number;

  /** Not for users: create tensors with `tensor()`, `zeros()`, ... (the arguments are the backend's). */
  constructor(
    buf: Storage,
    shape: readonly number[],
    dtype: DType,
    device: Device = 'cpu',
    strides?: readonly number[],
    offset = 0,
    base: Tensor | null = null,
    scoped = true,
  ) {
    this._buf = buf;
    this.shape = shape;
    this.dtype = dtype;
    this.device = device;
    this.size = numel(shape);
    this._strides = strides ?? contiguousStrides(shape);
    this._offset = offset;
    this._base = base;
    this._flags = strides === undefined || isContiguous(shape, strides) ? FLAG_CONTIGUOUS : 0;
    if (base !== null && (base._flags & FLAG_READONLY) !== 0) this._flags |= FLAG_READONLY;
    // An open `tidy` scope (ts/memory.ts) lists every tensor made inside it.
    if (scoped && openScopes.length > 0) openScopes[openScopes.length - 1].push(this);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when the elements are laid out row-major without gaps. */
  get isContiguous(): boolean {
    return (this._flags & FLAG_CONTIGUOUS) !== 0;
  }

  /** @internal the tensor owning the storage */
  _root(): Tensor {
    return this._base ?? this;
  }

  /** @internal */
  _markReadonly(): this {
    this._flags |= FLAG_READONLY;
    return this;
  }

  /** @internal */
  get _readonly(): boolean {
    return (this._flags & FLAG_READONLY) !== 0;
  }

  /** True after `dispose()`. */
  get disposed(): boolean {
    return (this._flags & FLAG_DISPOSED) !== 0 || (this._base?.disposed ?? false);
  }

  /** @internal throws if disposed */
  _check(op: string): this {
    if (this.disposed) throw new FluxionError(`${op}: the tensor of shape ${shapeStr(this.shape)} was disposed`);
    return this;
  }

  /**
   * Releases the storage now rather than at the next garbage collection. Using the
   * tensor (or a view of it) afterwards throws. Safe to call twice.
   */
  dispose(): void {
    if (this.disposed || this._readonly) return; // shared constants are never released
    this._flags |= FLAG_DISPOSED;
    const buf = this._buf;
    this._buf = EMPTY[this.dtype];
    this._ad = null;
    if (this._base !== null) return; // views merely let go of the storage
    // The storage is reused at once: views of this tensor count as disposed too (see
    // `disposed`) and every op refuses a disposed input, so nothing reads it afterwards.
    release(this.device, buf);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The elements in row-major order, as a new typed array. */
  data(): TypedArray {
    this._check('data');
    return read(this);
  }

  /** The single element of a one-element tensor, as a number. */
  item(): number {
    this._check('item');
    if (this.size !== 1)
      throw new ShapeError(`item: expected a tensor with exactly one element, got shape ${shapeStr(this.shape)} (${this.size} elements)`);
    return this.device === 'cpu' ? (this._buf as TypedArray)[this._offset] : read(this)[0];
  }

  /** The elements as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    this._check('toArray'); // before data(), so that the error names toArray
    const flat = this.data();
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, start: number): NestedArray[] => {
      const n = this.shape[dim];
      const out = new Array<NestedArray>(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[start + i];
      } else {
        const step = numel(this.shape.slice(dim + 1));
        for (let i = 0; i < n; i++) out[i] = build(dim + 1, start + i * step);
      }
      return out;
    };
    return build(0, 0);
  }

  /** Prints like a REPL: a header with dtype and shape, then the values (summarised when large). */
  toString(): string {
    if (this.disposed) return `Tensor<${this.dtype}>${shapeStr(this.shape)} (disposed)`;
    const head = `Tensor<${this.dtype}>${shapeStr(this.shape)}${this.device === 'cpu' ? '' : ` on ${this.device}`}`;
    const flat = this.data();
    const summarise = this.size > 1000;
    const edge = 3;
    const fmt = (v: number): string => formatNumber(v, this.dtype);
    const render = (dim: number, start: number, indent: string): string => {
      if (this.shape.length === 0) return fmt(flat[0]);
      const n = this.shape[dim];
      const step = numel(this.shape.slice(dim + 1));
      const idx: (number | null)[] = [];
      if (summarise && n > 2 * edge) {
        for (let i = 0; i < edge; i++) idx.push(i);
        idx.push(null);
        for (let i = n - edge; i < n; i++) idx.push(i);
      } else for (let i = 0; i < n; i++) idx.push(i);
      if (dim === this.shape.length - 1) return `[${idx.map((i) => (i === null ? '...' : fmt(flat[start + i]))).join(', ')}]`;
      const sep = `,${'\n'.repeat(this.shape.length - dim - 1)}${indent} `;
      return `[${idx.map((i) => (i === null ? '...' : render(dim + 1, start + i * step, `${indent} `))).join(sep)}]`;
    };
    return `${head}\n${render(0, 0, '')}`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

const EMPTY = { float32: new Float32Array(0), float64: new Float64Array(0), int32: new Int32Array(0) };

function formatNumber(v: number, dtype: DType): string {
  if (dtype === 'int32' || Number.isNaN(v) || !Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return `${v}.0`;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e8)) return v.toExponential(dtype === 'float32' ? 4 : 6);
  return String(Number(v.toPrecision(dtype === 'float32' ? 6 : 10)));
}
