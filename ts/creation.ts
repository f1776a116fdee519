// Creating tensors: from data, constants, ranges, identity, random.
import { copyInto, empty, fromArray, kernel, raw } from './backend/index.js';
import { type DType, type Device, type TypedArray, dtypeOfArray, isDType } from './dtype.js';
import { ArgumentError, DTypeError, ShapeError, describe, expected, shapeStr } from './errors.js';
import { RNG, defaultRNG } from './random.js';
import { type ShapeArgs, checkShape, dimsArg, numel, splitOptions } from './shape.js';
import { Tensor } from './tensor.js';
import { registerOp } from './ops/registry.js';

registerOp({ name: 'rand', family: 'creation', kernels: ['random'], differentiable: false });
registerOp({ name: 'randn', family: 'creation', kernels: ['random'], differentiable: false });
const randomK = kernel('random');

/**
 * Options of the creation functions (`zeros`, `full`, `arange`, ...): the dtype (default float32) and the device (default 'cpu').
 *
 * ```ts
 * zeros(2, { dtype: 'int32', device: 'cpu' }).dtype;   // 'int32'
 * ```
 */
export interface CreateOptions {
  dtype?: DType;
  device?: Device;
}
/**
 * Options of `tensor`: those of `CreateOptions`, and a shape for flat data.
 *
 * ```ts
 * tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).shape;   // [2, 3]
 * ```
 */
export interface TensorOptions extends CreateOptions {
  /** Shape for flat data (a typed array or flat array); defaults to the data's nesting. A number is a 1-D shape. */
  shape?: number | readonly number[];
}
/**
 * Options of `rand` and `randn`: those of `CreateOptions`, and the generator to draw from (default `defaultRNG`).
 *
 * ```ts
 * const a = rand(3, { rng: RNG(42) });
 * const b = rand(3, { rng: RNG(42) });
 * a.sub(b).abs().sum().item();   // 0
 * ```
 */
export interface RandomOptions extends CreateOptions {
  rng?: RNG;
}

function options<T extends CreateOptions>(op: string, o: unknown): T {
  if (o === undefined) return {} as T;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw expected(op, 'options', 'an options object', o);
  const opts = o as CreateOptions;
  if (opts.dtype !== undefined && !isDType(opts.dtype))
    throw expected(op, 'dtype', "'float32', 'float64' or 'int32'", opts.dtype, DTypeError);
  if (opts.device !== undefined && opts.device !== 'cpu' && opts.device !== 'cuda')
    throw expected(op, 'device', "'cpu' or 'cuda'", opts.device);
  return o as T;
}

/** Accepts `f(2, 3)`, `f([2, 3])`, either followed by an options object (the one rule of shape.ts). */
function shapeAndOptions<T extends CreateOptions>(op: string, args: readonly unknown[]): [number[], T] {
  const [dims, opts] = splitOptions(args);
  return [checkShape(op, 'shape', dimsArg(op, dims)), options<T>(op, opts)];
}

type Nested = number | readonly Nested[];

/** Walks nested arrays, checking they are rectangular and numeric. */
function nestedShape(data: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flattenInto(op: string, data: unknown, shape: number[], dim: number, out: number[], path: string): void {
  if (dim === shape.length) {
    if (typeof data !== 'number')
      throw new ArgumentError(`${op}: expected a number at ${path || 'the top level'}, got ${typeof data === 'boolean' ? `the boolean ${data}` : describeShort(data)}`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim])
    throw new ShapeError(
      `${op}: ragged nested array: expected an array of length ${shape[dim]} at ${path || 'the top level'} (from shape ${shapeStr(shape)}), got ${Array.isArray(data) ? `an array of length ${data.length}` : describeShort(data)}`,
    );
  for (let i = 0; i < data.length; i++) flattenInto(op, data[i], shape, dim + 1, out, `${path}[${i}]`);
}

function describeShort(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `the string ${JSON.stringify(x)}`;
  if (typeof x === 'object') return describe(x); // String() throws for null-prototype objects
  return `${typeof x} ${String(x)}`;
}

/**
 * A tensor from a number, nested arrays, or a typed array (copied):
 * `tensor([[1, 2], [3, 4]])`, `tensor(new Float64Array(6), { shape: [2, 3] })`.
 * The dtype defaults to the typed array's, else float32.
 *
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;   // [2, 2]
 * x.dtype;   // 'float32'
 * tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] }).dtype;   // 'int32'
 * ```
 */
export function tensor(data: Nested | TypedArray | ArrayLike<number>, opts?: TensorOptions): Tensor {
  const o = options<TensorOptions>('tensor', opts);
  let flat: ArrayLike<number>;
  let shape: number[];
  let dtype: DType = o.dtype ?? 'float32';
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array)
      throw expected('tensor', 'data', 'numbers, nested arrays of numbers, or a numeric typed array', data);
    flat = data as unknown as ArrayLike<number>;
    dtype = o.dtype ?? dtypeOfArray(flat) ?? 'float32';
    shape = [flat.length];
  } else if (typeof data === 'number') {
    flat = [data];
    shape = [];
  } else if (Array.isArray(data)) {
    shape = nestedShape(data);
    const out: number[] = [];
    flattenInto('tensor', data, shape, 0, out, '');
    flat = out;
  } else {
    throw expected('tensor', 'data', 'a number, nested arrays of numbers, or a typed array', data);
  }
  if (o.shape !== undefined) {
    const s = checkShape('tensor', 'shape', typeof o.shape === 'number' ? [o.shape] : o.shape);
    if (numel(s) !== flat.length)
      throw new ShapeError(`tensor: shape ${shapeStr(s)} holds ${numel(s)} elements but the data has ${flat.length}`);
    shape = s.slice();
  }
  return fromData('tensor', flat, shape, dtype, o.device);
}

/** A tensor from checked flat data; `op` names the creation function in errors. */
function fromData(op: string, flat: ArrayLike<number>, shape: number[], dtype: DType, device: Device = 'cpu'): Tensor {
  if (dtype === 'int32')
    for (let i = 0; i < flat.length; i++)
      if (!Number.isInteger(flat[i]) || flat[i] < -(2 ** 31) || flat[i] >= 2 ** 31)
        throw new ArgumentError(`${op}: int32 data must hold integers in [-2^31, 2^31), got ${flat[i]} at position ${i}`);
  return fromArray(flat, shape, dtype, device);
}

/**
 * Scratch space for n values, or a ShapeError naming the op when n values cannot be held
 * (arange(0, 1e12) used to fail with a bare RangeError from `new Array`).
 */
function scratch(op: string, n: number): Float64Array {
  try {
    return new Float64Array(n);
  } catch (e) {
    throw new ShapeError(`${op}: cannot allocate ${n} elements (${(e as Error).message})`);
  }
}

/**
 * A tensor filled with `value`: `full([2, 3], 7)` or `full(2, 3, 7)` (the dims, then the value),
 * either followed by an options object.
 *
 * ```ts
 * full([2], 7);   // Tensor [7, 7]
 * full(2, 3, 0.5).shape;   // [2, 3]
 * ```
 */
export function full(shape: readonly number[], value: number, opts?: CreateOptions): Tensor;
export function full(...dimsThenValue: [...dims: number[], value: number]): Tensor;
export function full(...dimsThenValue: [...dims: number[], value: number, opts: CreateOptions]): Tensor;
export function full(...args: unknown[]): Tensor {
  const [rest, opts] = splitOptions(args);
  if (rest.length === 0) throw expected('full', 'value', 'a number after the shape', undefined);
  const value = rest[rest.length - 1];
  const s = checkShape('full', 'shape', dimsArg('full', rest.slice(0, -1)));
  if (typeof value !== 'number') throw expected('full', 'value', 'a number', value);
  const o = options<CreateOptions>('full', opts);
  const dtype = o.dtype ?? 'float32';
  // as tensor() does: an int32 tensor cannot hold 0.5 or NaN (they used to become 0 silently)
  if (dtype === 'int32' && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31))
    throw new ArgumentError(`full: an int32 value must be an integer in [-2^31, 2^31), got ${value}`);
  const t = empty(s.slice(), dtype, o.device ?? 'cpu', value === 0);
  if (value !== 0) copyInto(fromArray([value], [], dtype, t.device), t);
  return t;
}

/**
 * Zeros: `zeros(2, 3)` or `zeros([2, 3], { dtype: 'float64' })`.
 *
 * ```ts
 * zeros(2, 3).shape;   // [2, 3]
 * zeros([2], { dtype: 'float64' });   // Tensor [0, 0]
 * ```
 */
export function zeros(...args: ShapeArgs | [...ShapeArgs, CreateOptions]): Tensor {
  const [shape, o] = shapeAndOptions<CreateOptions>('zeros', args);
  return full(shape, 0, o);
}

/**
 * Ones: `ones(2, 3)`.
 *
 * ```ts
 * ones(2, 2).sum().item();   // 4
 * ```
 */
export function ones(...args: ShapeArgs | [...ShapeArgs, CreateOptions]): Tensor {
  const [shape, o] = shapeAndOptions<CreateOptions>('ones', args);
  return full(shape, 1, o);
}

/**
 * Zeros of the shape, dtype and device of `x`.
 *
 * ```ts
 * zerosLike(tensor([[1, 2]], { dtype: 'float64' }));   // Tensor [[0, 0]]
 * ```
 */
export function zerosLike(x: Tensor): Tensor {
  const t = like('zerosLike', x);
  return full(t.shape, 0, { dtype: t.dtype, device: t.device });
}
/**
 * Ones of the shape, dtype and device of `x`.
 *
 * ```ts
 * onesLike(tensor([5, 6, 7]));   // Tensor [1, 1, 1]
 * ```
 */
export function onesLike(x: Tensor): Tensor {
  const t = like('onesLike', x);
  return full(t.shape, 1, { dtype: t.dtype, device: t.device });
}
// Checked so that a wrong argument gets this op's error, not one from `full` or a TypeError.
function like(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw expected(op, 'x', 'a Tensor', x);
  return x._check(op);
}

/**
 * start, start+step, ... below end: `arange(5)` is [0..4], `arange(2, 5)`, `arange(0, 1, 0.25)`;
 * an options object may follow any of them: `arange(5, { dtype: 'int32' })`.
 *
 * ```ts
 * arange(5);   // Tensor [0, 1, 2, 3, 4]
 * arange(2, 5);   // Tensor [2, 3, 4]
 * arange(0, 1, 0.25);   // Tensor [0, 0.25, 0.5, 0.75]
 * arange(3, { dtype: 'int32' }).dtype;   // 'int32'
 * ```
 */
export function arange(end: number, opts?: CreateOptions): Tensor;
export function arange(start: number, end: number, opts?: CreateOptions): Tensor;
export function arange(start: number, end: number, step: number, opts?: CreateOptions): Tensor;
export function arange(...args: unknown[]): Tensor {
  const [nums, opts] = splitOptions(args);
  if (nums.length < 1 || nums.length > 3)
    throw new ArgumentError(`arange: expected (end), (start, end) or (start, end, step), each optionally followed by options; got ${nums.length} numbers`);
  const [start, end, step] = (nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1]) as number[];
  for (const [v, n] of [[start, 'start'], [end, 'end'], [step, 'step']] as const)
    if (typeof v !== 'number' || !Number.isFinite(v)) throw expected('arange', n, 'a finite number', v);
  if (step === 0) throw new ArgumentError('arange: step must not be 0');
  const o = options<CreateOptions>('arange', opts);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = scratch('arange', n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromData('arange', data, [n], o.dtype ?? 'float32', o.device);
}

/**
 * n evenly spaced values from start to end inclusive.
 *
 * ```ts
 * linspace(0, 1, 5);   // Tensor [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, n: number, opts?: CreateOptions): Tensor {
  for (const [v, name] of [[start, 'start'], [end, 'end']] as const)
    if (typeof v !== 'number' || !Number.isFinite(v)) throw expected('linspace', name, 'a finite number', v);
  if (!Number.isInteger(n) || n < 0) throw expected('linspace', 'n', 'a non-negative integer', n);
  const o = options<CreateOptions>('linspace', opts);
  const data = scratch('linspace', n);
  for (let i = 0; i < n; i++) data[i] = n === 1 ? start : start + ((end - start) * i) / (n - 1);
  return fromData('linspace', data, [n], o.dtype ?? 'float32', o.device);
}

/**
 * The n x m identity matrix (m defaults to n): `eye(3)`, `eye(2, 3)`, `eye(3, { dtype: 'float64' })`.
 *
 * ```ts
 * eye(2);   // Tensor [[1, 0], [0, 1]]
 * eye(2, 3).shape;   // [2, 3]
 * ```
 */
export function eye(n: number, opts?: CreateOptions): Tensor;
export function eye(n: number, m: number, opts?: CreateOptions): Tensor;
export function eye(...args: unknown[]): Tensor {
  const [nums, opts] = splitOptions(args);
  if (nums.length < 1 || nums.length > 2) throw new ArgumentError(`eye: expected (n) or (n, m), optionally followed by options; got ${nums.length} numbers`);
  const [n, m] = checkShape('eye', 'size', [nums[0], nums[1] ?? nums[0]]);
  const o = options<CreateOptions>('eye', opts);
  const data = scratch('eye', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromData('eye', data, [n, m], o.dtype ?? 'float32', o.device);
}

function random(op: string, kind: 'uniform' | 'normal', args: readonly unknown[]): Tensor {
  const [shape, o] = shapeAndOptions<RandomOptions>(op, args);
  const dtype = o.dtype ?? 'float32';
  if (dtype === 'int32') throw new DTypeError(`${op}: expected a float dtype, got int32`);
  const rng = o.rng ?? defaultRNG;
  if (!(rng instanceof RNG)) throw expected(op, 'rng', 'an RNG', rng);
  const out = empty(shape, dtype, o.device ?? 'cpu');
  randomK(raw(out), kind === 'uniform' ? 0 : 1, ...seedWords(rng.seed, rng.take(numel(shape))));
  return out;
}

/**
 * Uniform random numbers in [0, 1): `rand(2, 5)`, `rand([2, 5], { rng })`.
 *
 * ```ts
 * const r = rand([2, 5], { rng: RNG(1) });
 * r.shape;   // [2, 5]
 * r.min().item() >= 0 && r.max().item() < 1;   // true
 * ```
 */
export function rand(...args: ShapeArgs | [...ShapeArgs, RandomOptions]): Tensor {
  return random('rand', 'uniform', args);
}

/**
 * Standard normal random numbers: `randn(3, 3)`.
 *
 * ```ts
 * randn(3, 3).shape;   // [3, 3]
 * randn(2, { rng: RNG(7) }).toArray();   // the same two numbers for the same seed
 * ```
 */
export function randn(...args: ShapeArgs | [...ShapeArgs, RandomOptions]): Tensor {
  return random('randn', 'normal', args);
}

export type { Nested };

/** A 64-bit seed and counter as the four 32-bit words the random kernels take. */
function seedWords(seed: bigint, counter: bigint): [number, number, number, number] {
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  return [lo(seed), hi(seed), lo(counter), hi(counter)];
}
