// Run by gemm.test.ts in a child process (so that FLUXION_GEMM is read fresh): matmul on shapes
// that cross every blocking edge of the portable GEMM (its register tile 6 × 16, KC = 256 deep,
// MC = 96 rows, NC = 2048 columns, the thread split), both transposes, batches with broadcast,
// float32 and float64, each against a float64 loop. Prints a JSON report; exits 1 on a mismatch.
import { RNG, backends, matmul, tensor, type Tensor } from '../../ts/index.js';

const rng = new RNG(7);
const mk = (shape: number[], dtype: 'float32' | 'float64') => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
  return tensor(v, { shape, dtype });
};

/** C[i, j] = Σ_k A[i, k] B[k, j] of the row-major batches, in float64. */
function reference(a: Tensor, b: Tensor): Float64Array {
  const A = Float64Array.from(a.contiguous().data());
  const B = Float64Array.from(b.contiguous().data());
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.ndim - 1];
  const batch = a.size / (M * K);
  const bBatch = b.size / (K * N);
  const out = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[p * M * K + i * K + k] * B[(bBatch === 1 ? 0 : p) * K * N + k * N + j];
        out[p * M * N + i * N + j] = s;
      }
  return out;
}

const cases: [string, number, number, number][] = [
  ['1x1x1', 1, 1, 1], ['tile edges', 7, 17, 3], ['one tile', 6, 16, 5], ['deeper than KC', 13, 19, 300],
  ['taller than MC', 97, 33, 65], ['wider than NC', 5, 2100, 3], ['split over threads', 200, 150, 200], ['empty K', 3, 4, 0],
];
let worst = 0;
const failures: string[] = [];
for (const dtype of ['float32', 'float64'] as const)
  for (const [name, M, N, K] of cases)
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        // a transposed operand is a view of the transposed storage, as x.T is
        const a = ta ? mk([K, M], dtype).T : mk([M, K], dtype);
        const b = tb ? mk([N, K], dtype).T : mk([K, N], dtype);
        const got = matmul(a, b).data();
        const want = reference(a, b);
        const tol = dtype === 'float64' ? 1e-12 : 2e-6;
        for (let i = 0; i < want.length; i++) {
          const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.sqrt(K));
          worst = Math.max(worst, err / tol);
          if (!(err <= tol)) {
            failures.push(`${dtype} ${name} (${M}x${N}x${K}) ta=${ta} tb=${tb}: element ${i} is ${got[i]}, expected ${want[i]}`);
            break;
          }
        }
      }
// batched, with b broadcast over the batch
for (const dtype of ['float32', 'float64'] as const) {
  const a = mk([3, 20, 30], dtype);
  const b = mk([30, 25], dtype);
  const got = matmul(a, b).data();
  const want = reference(a, b);
  const tol = dtype === 'float64' ? 1e-12 : 2e-6;
  if (!want.every((w, i) => Math.abs(got[i] - w) <= tol * Math.sqrt(30))) failures.push(`${dtype} batched broadcast differs`);
}
console.log(JSON.stringify({ blas: backends().cpu.blas, failures, worst }));
process.exit(failures.length === 0 ? 0 : 1);
