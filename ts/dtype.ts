/**
 * Element types: float32 (the default, the GPU's), float64 (exact calculus), int32 (labels, indices).
 *
 * ```ts
 * const d: DType = 'float64';
 * zeros(2, { dtype: d }).dtype;   // 'float64'
 * tensor([1, 2], { dtype: 'int32' }).div(2).dtype;   // 'float32'
 * ```
 */
export type DType = 'float32' | 'float64' | 'int32';
/**
 * Where a tensor's storage lives.
 *
 * ```ts
 * tensor([1]).device;   // 'cpu'
 * const dev: Device = backends().cuda.available ? 'cuda' : 'cpu';
 * ```
 */
export type Device = 'cpu' | 'cuda';
/**
 * The typed arrays tensors read from and give back (`data()`), one per dtype.
 *
 * ```ts
 * tensor([1, 2]).data() instanceof Float32Array;   // true
 * tensor(new Float64Array([1, 2])).dtype;   // 'float64'
 * ```
 */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Storage in device memory: the native handle of a block (which names its device) and its size. */
export interface DeviceBuffer {
  readonly kind: 'cuda';
  /** [address, elements, dtype, device], made and freed by the addon */
  readonly handle: BigUint64Array;
  /** elements */
  readonly length: number;
  readonly bytes: number;
  freed: boolean;
}
/** What a tensor's data lives in: a typed array on the CPU, a device buffer on a GPU. */
export type Storage = TypedArray | DeviceBuffer;

/** Dtype codes of the native addon. */
export const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2 };

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];
export const DEVICES: readonly Device[] = ['cpu', 'cuda'];

export const ARRAY_TYPE = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
} as const;

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32';
}

const RANK: Record<DType, number> = { int32: 0, float32: 1, float64: 2 };

/** The dtype two operands are computed in: the wider one (int32 < float32 < float64), as in NumPy. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

export function dtypeOfArray(a: ArrayLike<number>): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return null;
}
