// Matrix multiply with NumPy `matmul` batching: the batch dims are broadcast by TypeScript
// (stride 0) and each matrix may be a transposed view (no copy). The products themselves go to
// the GEMM of gemm_backend.h (OpenBLAS, or Fluxion's portable one where the build found none).

#include <cstring>
#include <mutex>
#include <string>
#include <type_traits>

#include "../kernels.h"
#include "gemm_backend.h"
#include "strided.h"

namespace flx {
namespace {

template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* a, int64_t lda, const T* b, int64_t ldb,
          T* c) {
  if constexpr (std::is_same_v<T, float>) gemm_f32(ta, tb, M, N, K, a, lda, b, ldb, c);
  else gemm_f64(ta, tb, M, N, K, a, lda, b, ldb, c);
}

}  // namespace

// OpenBLAS keeps process-wide state (its thread server), and the portable GEMM runs on the one
// thread pool; calls from two threads at once (two worker threads training) are serialised here
// rather than trusted to a BLAS build's locking.
static std::mutex& blas_mutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}

// matmul(out, a, b); meta: nb, batch shape, a offset + batch strides, b offset + batch strides,
// M, N, K, transA, lda, transB, ldb. out is contiguous [batch..., M, N].
void matmul_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), a = c.buf(1, "a"), b = c.buf(2, "b");
  FLX_CHECK(a.dtype != out.dtype || b.dtype != out.dtype, type, "matmul: dtypes differ");
  FLX_CHECK(out.dtype == DType::i32, type, "matmul: int32 is not supported");
  Meta m = c.meta();
  Strided<3> it;
  it.ndim = read_ndim(m, "matmul");
  FLX_CHECK(it.ndim > kMaxDims - 2, range, "matmul: too many batch dims");
  read_shape(m, it.ndim, it.shape, "matmul");
  read_strides(m, it.ndim, &it.offset[1], it.strides[1]);
  read_strides(m, it.ndim, &it.offset[2], it.strides[2]);
  const int64_t M = m.next(), N = m.next(), K = m.next();
  const bool ta = m.next() != 0;
  const int64_t lda = m.next();
  const bool tb = m.next() != 0;
  const int64_t ldb = m.next();
  FLX_CHECK(M < 0 || N < 0 || K < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX || lda > INT32_MAX ||
                ldb > INT32_MAX,
            range, "matmul: bad sizes");
  int64_t batch = 1;
  for (int d = 0; d < it.ndim; ++d) batch = mul_size(batch, it.shape[d], "matmul");
  FLX_CHECK(out.len != mul_size(mul_size(batch, M, "matmul"), N, "matmul"), range, "matmul: out has the wrong length");
  check_matrix(c.name("a"), ta, M, K, lda, it.offset[1], it.ndim, it.shape, it.strides[1], a.len);
  check_matrix(c.name("b"), tb, K, N, ldb, it.offset[2], it.ndim, it.shape, it.strides[2], b.len);
  if (out.len == 0) return;
  // out strides for the batch: contiguous blocks of M*N
  int64_t s = M * N;
  for (int d = it.ndim - 1; d >= 0; --d) { it.strides[0][d] = s; s *= it.shape[d]; }
  it.offset[0] = 0;
  it.coalesce();
  auto run = [&](auto* pa, auto* pb, auto* pc) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(pc)>>;
    std::lock_guard<std::mutex> lock(blas_mutex());
    it.for_range(0, batch, [&](const int64_t* o, int64_t n, const int64_t* st) {
      for (int64_t i = 0; i < n; ++i) {
        T* pout = pc + o[0] + i * st[0];
        if (K == 0) { std::memset(pout, 0, sizeof(T) * size_t(M * N)); continue; }
        gemm<T>(ta, tb, M, N, K, pa + o[1] + i * st[1], lda, pb + o[2] + i * st[2], ldb, pout);
      }
    });
  };
  if (out.dtype == DType::f32) run(a.as<float>(), b.as<float>(), out.as<float>());
  else run(a.as<double>(), b.as<double>(), out.as<double>());
}

std::string blas_info() { return gemm_backend_info(); }

void set_blas_threads(int n) {
  std::lock_guard<std::mutex> lock(blas_mutex());
  gemm_backend_threads(n);
}

}  // namespace flx
