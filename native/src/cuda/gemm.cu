// Matrix multiply with NumPy `matmul` batching, the CUDA twin of cpu/gemm.cc: the same
// metadata (broadcast batch dims with stride 0, each matrix plain or transposed with a leading
// dimension), row-major, out contiguous [batch..., M, N].
//
// Two backends: cuBLAS, loaded at run time (cublas_dyn.h), and our own kernels:
// - gemm_tiled: shared-memory tiles with register blocking (float: 128x128 block tiles, 8x8
//   per thread, or 64x64 / 4x4 when the big tiles would not fill the device; double: 64x64,
//   4x4), any M/N/K and leading dims, both transpose flags (template parameters), the next
//   K-slice prefetched into registers while the current one is multiplied;
// - gemm_tf32: tensor cores through wmma (m16n16k8, TF32 inputs, float accumulation), sm_80+,
//   used for float32 only when TF32 is switched on.
// Both walk batch x M-tiles x N-tiles with grid-stride loops, so no grid limit binds, and take
// each batch's offsets from the coalesced batch strides.
// 'auto' uses cuBLAS when it was found, else the own kernels.
#include <mma.h>

#include <climits>
#include <mutex>
#include <type_traits>

#include "cublas_dyn.h"
#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {


struct GemmShape {
  int64_t M, N, K, lda, ldb, batch;
};

// ---------------------------------------------------------------- own kernel: SIMT tiles

// Element (m, k) of A's tile and (k, n) of B's tile for load slot l, chosen so that consecutive
// threads read consecutive addresses of the operand as stored.
template <bool TA, int BM, int BK>
__device__ __forceinline__ void a_slot(int l, int& mi, int& ki) {
  if (TA) { ki = l / BM; mi = l % BM; }  // stored K x M: m runs along memory
  else { mi = l / BK; ki = l % BK; }     // stored M x K: k runs along memory
}
template <bool TB, int BN, int BK>
__device__ __forceinline__ void b_slot(int l, int& ki, int& ni) {
  if (TB) { ni = l / BK; ki = l % BK; }  // stored N x K
  else { ki = l / BN; ni = l % BN; }     // stored K x N
}

template <class T, bool TA>
__device__ __forceinline__ T a_at(const T* a, const GemmShape& p, int64_t m, int64_t k) {
  if (m >= p.M || k >= p.K) return T(0);
  return TA ? a[k * p.lda + m] : a[m * p.lda + k];
}
template <class T, bool TB>
__device__ __forceinline__ T b_at(const T* b, const GemmShape& p, int64_t k, int64_t n) {
  if (k >= p.K || n >= p.N) return T(0);
  return TB ? b[n * p.ldb + k] : b[k * p.ldb + n];
}

// C[b] (M x N, ld N) = op(A[b]) (M x K) * op(B[b]) (K x N). Thread (tx, ty) owns rows
// ty + i*TY and cols tx + j*TX of the block tile: conflict-free shared reads, coalesced writes.
template <class T, int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
__global__ void __launch_bounds__((BM / TM) * (BN / TN))
    gemm_tiled(Geo<3> bg, GemmShape p, const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C) {
  constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
  constexpr int LA = BM * BK / NT, LB = BK * BN / NT;
  static_assert((BM * BK) % NT == 0 && (BK * BN) % NT == 0, "tile loads must divide evenly");
  constexpr int PAD = 4;  // keeps the transposing stores into shared memory free of bank conflicts
  __shared__ T As[BK][BM + PAD];
  __shared__ T Bs[BK][BN + PAD];
  const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
  const int64_t mtiles = (p.M + BM - 1) / BM, ntiles = (p.N + BN - 1) / BN;

  for (int64_t bz = blockIdx.z; bz < p.batch; bz += gridDim.z) {
    int64_t o[3];
    bg.offsets(bz, o);
    const T* a = A + o[1];
    const T* b = B + o[2];
    T* c = C + o[0];
    for (int64_t my = blockIdx.y; my < mtiles; my += gridDim.y) {
      for (int64_t nx = blockIdx.x; nx < ntiles; nx += gridDim.x) {
        const int64_t m0 = my * BM, n0 = nx * BN;
        T acc[TM][TN];
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] = T(0);
        T ra[LA], rb[LB];
        if (p.K > 0) {
#pragma unroll
          for (int r = 0; r < LA; ++r) {
            int mi, ki;
            a_slot<TA, BM, BK>(tid + r * NT, mi, ki);
            ra[r] = a_at<T, TA>(a, p, m0 + mi, ki);
          }
#pragma unroll
          for (int r = 0; r < LB; ++r) {
            int ki, ni;
            b_slot<TB, BN, BK>(tid + r * NT, ki, ni);
            rb[r] = b_at<T, TB>(b, p, ki, n0 + ni);
          }
        }
        for (int64_t k0 = 0; k0 < p.K; k0 += BK) {
#pragma unroll
          for (int r = 0; r < LA; ++r) {
            int mi, ki;
            a_slot<TA, BM, BK>(tid + r * NT, mi, ki);
            As[ki][mi] = ra[r];
          }
#pragma unroll
          for (int r = 0; r < LB; ++r) {
            int ki, ni;
            b_slot<TB, BN, BK>(tid + r * NT, ki, ni);
            Bs[ki][ni] = rb[r];
          }
          __syncthreads();
          const int64_t k1 = k0 + BK;
          if (k1 < p.K) {  // prefetch the next slice while this one is multiplied
#pragma unroll
            for (int r = 0; r < LA; ++r) {
              int mi, ki;
              a_slot<TA, BM, BK>(tid + r * NT, mi, ki);
              ra[r] = a_at<T, TA>(a, p, m0 + mi, k1 + ki);
            }
#pragma unroll
            for (int r = 0; r < LB; ++r) {
              int ki, ni;
              b_slot<TB, BN, BK>(tid + r * NT, ki, ni);
              rb[r] = b_at<T, TB>(b, p, k1 + ki, n0 + ni);
            }
          }
#pragma unroll
          for (int kk = 0; kk < BK; ++kk) {
            T av[TM], bv[TN];
#pragma unroll
            for (int i = 0; i < TM; ++i) av[i] = As[kk][ty + i * TY];
#pragma unroll
            for (int j = 0; j < TN; ++j) bv[j] = Bs[kk][tx + j * TX];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
              for (int j = 0; j < TN; ++j) acc[i][j] += av[i] * bv[j];
          }
          __syncthreads();
        }
#pragma unroll
        for (int i = 0; i < TM; ++i) {
          const int64_t m = m0 + ty + i * TY;
          if (m >= p.M) continue;
#pragma unroll
          for (int j = 0; j < TN; ++j) {
            const int64_t n = n0 + tx + j * TX;
            if (n < p.N) c[m * p.N + n] = acc[i][j];
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- own kernel: TF32 tensor cores

constexpr int kTcM = 64, kTcN = 64, kTcK = 32, kTcThreads = 128;  // 4 warps, 2 x 2, each 32 x 32

template <bool TA, bool TB>
__global__ void __launch_bounds__(kTcThreads)
    gemm_tf32(Geo<3> bg, GemmShape p, const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  constexpr int BM = kTcM, BN = kTcN, BK = kTcK, NT = kTcThreads;
  constexpr int LDA = BK + 4, LDB = BN + 4, LDC = BN + 4;  // multiples of 4 floats, rows 32-byte aligned
  __shared__ __align__(32) float As[BM * LDA];              // row-major m x k
  __shared__ __align__(32) float Bs[BK * LDB];              // row-major k x n
  __shared__ __align__(32) float Cs[BM * LDC];
  const int tid = threadIdx.x, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;
  const int64_t mtiles = (p.M + BM - 1) / BM, ntiles = (p.N + BN - 1) / BN;

  for (int64_t bz = blockIdx.z; bz < p.batch; bz += gridDim.z) {
    int64_t o[3];
    bg.offsets(bz, o);
    const float* a = A + o[1];
    const float* b = B + o[2];
    float* c = C + o[0];
    for (int64_t my = blockIdx.y; my < mtiles; my += gridDim.y) {
      for (int64_t nx = blockIdx.x; nx < ntiles; nx += gridDim.x) {
        const int64_t m0 = my * BM, n0 = nx * BN;
        wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
        for (int i = 0; i < 2; ++i)
#pragma unroll
          for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
        for (int64_t k0 = 0; k0 < p.K; k0 += BK) {
#pragma unroll 4
          for (int r = 0; r < BM * BK / NT; ++r) {
            int mi, ki;
            a_slot<TA, BM, BK>(tid + r * NT, mi, ki);
            As[mi * LDA + ki] = a_at<float, TA>(a, p, m0 + mi, k0 + ki);
          }
#pragma unroll 4
          for (int r = 0; r < BK * BN / NT; ++r) {
            int ki, ni;
            b_slot<TB, BN, BK>(tid + r * NT, ki, ni);
            Bs[ki * LDB + ni] = b_at<float, TB>(b, p, k0 + ki, n0 + ni);
          }
          __syncthreads();
#pragma unroll
          for (int kk = 0; kk < BK; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> af[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> bf[2];
#pragma unroll
            for (int i = 0; i < 2; ++i) {
              wmma::load_matrix_sync(af[i], As + (wm * 32 + i * 16) * LDA + kk, LDA);
#pragma unroll
              for (int t = 0; t < af[i].num_elements; ++t) af[i].x[t] = wmma::__float_to_tf32(af[i].x[t]);
            }
#pragma unroll
            for (int j = 0; j < 2; ++j) {
              wmma::load_matrix_sync(bf[j], Bs + kk * LDB + wn * 32 + j * 16, LDB);
#pragma unroll
              for (int t = 0; t < bf[j].num_elements; ++t) bf[j].x[t] = wmma::__float_to_tf32(bf[j].x[t]);
            }
#pragma unroll
            for (int i = 0; i < 2; ++i)
#pragma unroll
              for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], af[i], bf[j], acc[i][j]);
          }
          __syncthreads();
        }
#pragma unroll
        for (int i = 0; i < 2; ++i)
#pragma unroll
          for (int j = 0; j < 2; ++j)
            wmma::store_matrix_sync(Cs + (wm * 32 + i * 16) * LDC + wn * 32 + j * 16, acc[i][j], LDC,
                                    wmma::mem_row_major);
        __syncthreads();
        for (int r = 0; r < BM * BN / NT; ++r) {
          const int l = tid + r * NT, mi = l / BN, ni = l % BN;
          const int64_t m = m0 + mi, n = n0 + ni;
          if (m < p.M && n < p.N) c[m * p.N + n] = Cs[mi * LDC + ni];
        }
        __syncthreads();  // Cs is rewritten by the next tile
      }
    }
  }
#endif
}

// ---------------------------------------------------------------- launches

dim3 gemm_grid(const GemmShape& p, int bm, int bn) {
  const int64_t mt = (p.M + bm - 1) / bm, nt = (p.N + bn - 1) / bn;
  return dim3(unsigned(nt < INT_MAX ? nt : INT_MAX), unsigned(mt < 65535 ? mt : 65535),
              unsigned(p.batch < 65535 ? p.batch : 65535));
}

template <class T, int BM, int BN, int BK, int TM, int TN>
void launch_tiled(const Geo<3>& g, const GemmShape& p, bool ta, bool tb, cudaStream_t s, const T* a, const T* b,
                  T* c) {
  const dim3 grid = gemm_grid(p, BM, BN);
  constexpr int NT = (BM / TM) * (BN / TN);
  if (!ta && !tb) gemm_tiled<T, BM, BN, BK, TM, TN, false, false><<<grid, NT, 0, s>>>(g, p, a, b, c);
  else if (!ta && tb) gemm_tiled<T, BM, BN, BK, TM, TN, false, true><<<grid, NT, 0, s>>>(g, p, a, b, c);
  else if (ta && !tb) gemm_tiled<T, BM, BN, BK, TM, TN, true, false><<<grid, NT, 0, s>>>(g, p, a, b, c);
  else gemm_tiled<T, BM, BN, BK, TM, TN, true, true><<<grid, NT, 0, s>>>(g, p, a, b, c);
}

void launch_tf32(const Geo<3>& g, const GemmShape& p, bool ta, bool tb, cudaStream_t s, const float* a,
                 const float* b, float* c) {
  const dim3 grid = gemm_grid(p, kTcM, kTcN);
  if (!ta && !tb) gemm_tf32<false, false><<<grid, kTcThreads, 0, s>>>(g, p, a, b, c);
  else if (!ta && tb) gemm_tf32<false, true><<<grid, kTcThreads, 0, s>>>(g, p, a, b, c);
  else if (ta && !tb) gemm_tf32<true, false><<<grid, kTcThreads, 0, s>>>(g, p, a, b, c);
  else gemm_tf32<true, true><<<grid, kTcThreads, 0, s>>>(g, p, a, b, c);
}

void own_gemm_f32(const Geo<3>& g, const GemmShape& p, bool ta, bool tb, bool tf32, cudaStream_t s, const float* a,
                  const float* b, float* c) {
  if (tf32 && cc_major() >= 8) return launch_tf32(g, p, ta, tb, s, a, b, c);
  const int64_t big_tiles = ((p.M + 127) / 128) * ((p.N + 127) / 128) * p.batch;
  if (big_tiles >= sm_count()) launch_tiled<float, 128, 128, 8, 8, 8>(g, p, ta, tb, s, a, b, c);
  else launch_tiled<float, 64, 64, 8, 4, 4>(g, p, ta, tb, s, a, b, c);
}

void own_gemm_f64(const Geo<3>& g, const GemmShape& p, bool ta, bool tb, cudaStream_t s, const double* a,
                  const double* b, double* c) {
  launch_tiled<double, 64, 64, 8, 4, 4>(g, p, ta, tb, s, a, b, c);
}

// ---------------------------------------------------------------- backend state and cuBLAS

enum class Backend { automatic, cublas, own };

struct GemmState {
  std::mutex mu;
  Backend backend = Backend::automatic;
  bool tf32 = false;
  cublas::Handle handle = nullptr;
  int version = 0;
  std::string handle_error;  // why the handle could not be made (then cuBLAS is not used)
  int math = -1;             // math mode last set on the handle
};

GemmState& gstate() {
  static GemmState* g = new GemmState();  // never destroyed: no CUDA calls at process exit
  return *g;
}

// The handle, made once on the stream; nullptr (with handle_error set) if cuBLAS refuses.
// Only called when a device is usable. Caller holds the lock.
cublas::Handle cublas_handle_locked(GemmState& st, const cublas::Api& api, cudaStream_t s) {
  if (st.handle || !st.handle_error.empty()) return st.handle;
  cublas::Handle h = nullptr;
  cublas::Status e = api.Create(&h);
  if (e != cublas::STATUS_SUCCESS) {
    st.handle_error = std::string("cublasCreate_v2: ") + cublas::status_name(e);
    return nullptr;
  }
  e = api.SetStream(h, s);
  if (e != cublas::STATUS_SUCCESS) {
    st.handle_error = std::string("cublasSetStream_v2: ") + cublas::status_name(e);
    api.Destroy(h);
    return nullptr;
  }
  int v = 0;
  if (api.GetVersion(h, &v) == cublas::STATUS_SUCCESS) st.version = v;
  st.handle = h;
  return h;
}

void cublas_check(const char* fn, cublas::Status e) {
  if (e == cublas::STATUS_SUCCESS) return;
  fail(ErrorKind::error, std::string("fluxion native: matmul: ") + fn + ": " + cublas::status_name(e));
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands and
// M/N, keep each transpose flag with its own operand. Every size fits in int (checked).
template <class T>
void cublas_gemm(const cublas::Api& api, cublas::Handle h, bool tf32, const Strided<3>& it,
                 const GemmShape& p, bool ta, bool tb, const T* a, const T* b, T* c) {
  const cublas::Operation opb = tb ? cublas::OP_T : cublas::OP_N, opa = ta ? cublas::OP_T : cublas::OP_N;
  const int M = int(p.M), N = int(p.N), K = int(p.K), lda = int(p.lda), ldb = int(p.ldb);
  const T one = T(1), zero = T(0);
  auto single = [&](const T* pa, const T* pb, T* pc) {
    if constexpr (std::is_same_v<T, float>) {
      if (tf32)
        cublas_check("cublasGemmEx",
                     api.GemmEx(h, opb, opa, N, M, K, &one, pb, CUDA_R_32F, ldb, pa, CUDA_R_32F, lda, &zero, pc,
                                CUDA_R_32F, N, cublas::COMPUTE_32F_FAST_TF32, cublas::GEMM_DEFAULT));
      else
        cublas_check("cublasSgemm_v2", api.Sgemm(h, opb, opa, N, M, K, &one, pb, ldb, pa, lda, &zero, pc, N));
    } else {
      cublas_check("cublasDgemm_v2", api.Dgemm(h, opb, opa, N, M, K, &one, pb, ldb, pa, lda, &zero, pc, N));
    }
  };
  if (p.batch == 1) return single(a + it.offset[1], b + it.offset[2], c + it.offset[0]);
  // One batch dim left after coalescing, non-negative strides: one strided-batched call.
  if (it.ndim == 1 && it.shape[0] <= INT_MAX && it.strides[1][0] >= 0 && it.strides[2][0] >= 0) {
    const long long sa = it.strides[1][0], sb = it.strides[2][0], sc = it.strides[0][0];
    const int count = int(it.shape[0]);
    if constexpr (std::is_same_v<T, float>)
      cublas_check("cublasSgemmStridedBatched",
                   api.SgemmStridedBatched(h, opb, opa, N, M, K, &one, b + it.offset[2], ldb, sb, a + it.offset[1], lda,
                                           sa, &zero, c + it.offset[0], N, sc, count));
    else
      cublas_check("cublasDgemmStridedBatched",
                   api.DgemmStridedBatched(h, opb, opa, N, M, K, &one, b + it.offset[2], ldb, sb, a + it.offset[1], lda,
                                           sa, &zero, c + it.offset[0], N, sc, count));
    return;
  }
  it.for_range(0, p.batch, [&](const int64_t* o, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; ++i) single(a + o[1] + i * st[1], b + o[2] + i * st[2], c + o[0] + i * st[0]);
  });
}

// matmul(out, a, b): as matmul_cpu (the same metadata: broadcast batch dims with stride 0, each
// matrix plain or transposed with a leading dimension). out is contiguous [batch..., M, N].
void matmul_entry(Call& c) {
  const Buf out = c.buf(0, "out"), a = c.buf(1, "a"), b = c.buf(2, "b");
  FLX_CHECK(a.dtype != out.dtype || b.dtype != out.dtype, type, "matmul: dtypes differ");
  FLX_CHECK(out.dtype == DType::i32, type, "matmul: int32 is not supported");
  const DType dt = out.dtype;
  Meta m = c.meta();
  Strided<3> it;
  it.ndim = read_ndim(m, "matmul");
  FLX_CHECK(it.ndim > kMaxDims - 2, range, "matmul: too many batch dims");
  read_shape(m, it.ndim, it.shape, "matmul");
  read_strides(m, it.ndim, &it.offset[1], it.strides[1]);
  read_strides(m, it.ndim, &it.offset[2], it.strides[2]);
  GemmShape p;
  p.M = m.next();
  p.N = m.next();
  p.K = m.next();
  const bool ta = m.next() != 0;
  p.lda = m.next();
  const bool tb = m.next() != 0;
  p.ldb = m.next();
  FLX_CHECK(p.M < 0 || p.N < 0 || p.K < 0 || p.M > INT32_MAX || p.N > INT32_MAX || p.K > INT32_MAX, range,
            "matmul: bad sizes");
  p.batch = 1;
  for (int d = 0; d < it.ndim; ++d) p.batch = mul_size(p.batch, it.shape[d], "matmul");
  const int64_t olen = mul_size(mul_size(p.batch, p.M, "matmul"), p.N, "matmul");
  FLX_CHECK(out.len != olen, range, "matmul: out has the wrong length");
  check_matrix(c.name("a"), ta, p.M, p.K, p.lda, it.offset[1], it.ndim, it.shape, it.strides[1], a.len);
  check_matrix(c.name("b"), tb, p.K, p.N, p.ldb, it.offset[2], it.ndim, it.shape, it.strides[2], b.len);
  cudaStream_t s = stream("matmul");
  if (olen == 0) return;
  if (p.K == 0) {  // an empty sum: zeros
    check("matmul", cudaMemsetAsync(out.data, 0, size_t(olen) * dtype_size(dt), s));
    return;
  }
  // out strides for the batch: contiguous blocks of M*N
  int64_t st = p.M * p.N;
  for (int d = it.ndim - 1; d >= 0; --d) {
    it.strides[0][d] = st;
    st *= it.shape[d];
  }
  it.offset[0] = 0;
  it.coalesce();

  GemmState& gs = gstate();
  std::lock_guard<std::mutex> lock(gs.mu);  // one cuBLAS handle, used by one thread at a time
  const cublas::Api* api = gs.backend == Backend::own ? nullptr : cublas::api();
  cublas::Handle h = nullptr;
  if (api) h = cublas_handle_locked(gs, *api, s);
  FLX_CHECK(gs.backend == Backend::cublas && !h, error,
            "matmul: cuBLAS was asked for but " + (api ? gs.handle_error : cublas::load_report()));
  if (h && (p.lda > INT_MAX || p.ldb > INT_MAX)) h = nullptr;  // beyond cuBLAS's int sizes: own kernels
  if (h) {
    if (dt == DType::f32) {
      const int math = gs.tf32 ? cublas::TF32_TENSOR_OP_MATH : cublas::DEFAULT_MATH;
      if (gs.math != math) {
        cublas_check("cublasSetMathMode", api->SetMathMode(h, cublas::Math(math)));
        gs.math = math;
      }
      cublas_gemm<float>(*api, h, gs.tf32, it, p, ta, tb, a.as<float>(), b.as<float>(), out.as<float>());
    } else {
      cublas_gemm<double>(*api, h, false, it, p, ta, tb, a.as<double>(), b.as<double>(), out.as<double>());
    }
  } else {
    const Geo<3> g = geo(it);
    if (dt == DType::f32) own_gemm_f32(g, p, ta, tb, gs.tf32, s, a.as<float>(), b.as<float>(), out.as<float>());
    else own_gemm_f64(g, p, ta, tb, s, a.as<double>(), b.as<double>(), out.as<double>());
  }
  check_launch("matmul");
}

}  // namespace
}  // namespace cu

void matmul_cuda(Call& c) { cu::matmul_entry(c); }

void cuda_gemm_backend(const std::string& name) {
  using namespace cu;
  Backend b;
  if (name == "auto") b = Backend::automatic;
  else if (name == "cublas") b = Backend::cublas;
  else if (name == "own") b = Backend::own;
  else fail(ErrorKind::type, "fluxion native: cudaGemm: backend must be 'auto', 'cublas' or 'own', got '" + name + "'");
  FLX_CHECK(b == Backend::cublas && !cublas::api(), error, "cudaGemm: " + cublas::load_report());
  GemmState& gs = gstate();
  std::lock_guard<std::mutex> lock(gs.mu);
  gs.backend = b;
}

void cuda_gemm_tf32(bool on) {
  cu::GemmState& gs = cu::gstate();
  std::lock_guard<std::mutex> lock(gs.mu);
  gs.tf32 = on;
}

// Never needs a device (without one the cuBLAS version is not known).
GemmReport cuda_gemm_report() {
  using namespace cu;
  GemmState& gs = gstate();
  const cublas::Api* api = cublas::api();
  std::lock_guard<std::mutex> lock(gs.mu);
  GemmReport r;
  bool usable = false;
  if (!api) {
    r.cublas = cublas::load_report();
  } else if (!device_ok()) {
    r.cublas = api->soname + " (version unknown: no CUDA device)";
    usable = true;
  } else {
    cublas::Handle h = cublas_handle_locked(gs, *api, stream("cudaGemmInfo"));
    if (h) {
      r.cublas = api->soname + " (version " + std::to_string(gs.version) + ")";
      usable = true;
    } else {
      r.cublas = api->soname + " (not usable: " + gs.handle_error + ")";
    }
  }
  r.backend = gs.backend == Backend::automatic ? "auto" : gs.backend == Backend::cublas ? "cublas" : "own";
  r.active = gs.backend != Backend::own && usable ? "cublas" : "own";
  r.tf32 = gs.tf32;
  return r;
}

}  // namespace flx
