// The one interface between matmul (cpu/gemm.cc) and the library that multiplies the matrices:
// OpenBLAS when the build found it (gemm_openblas.cc, FLUXION_WITH_OPENBLAS), otherwise
// Fluxion's own blocked GEMM (gemm_portable.cc). Both compute the row-major
// C[M, N] = op(A) · op(B) with op(X) = X or Xᵀ: op(A)[i, k] is a[i·lda + k] (or a[k·lda + i]
// when ta), op(B)[k, j] is b[k·ldb + j] (or b[j·ldb + k] when tb), C is contiguous (ldc = N).
// Callers pass K ≥ 1 and hold the GEMM lock of gemm.cc.
#pragma once
#include <cstdint>
#include <string>

namespace flx {

void gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c);
void gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* a, int64_t lda, const double* b,
              int64_t ldb, double* c);
// Which GEMM this build has, for native.blasInfo() (starts "OpenBLAS" or "portable GEMM").
std::string gemm_backend_info();
// Threads for the GEMM's own pool (OpenBLAS); the portable GEMM shares the elementwise pool.
void gemm_backend_threads(int n);

// Fluxion's portable GEMM (gemm_portable.cc), in every build: the GEMM where OpenBLAS is absent,
// and in OpenBLAS builds the one used instead when FLUXION_GEMM=portable (read once).
void portable_gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda,
                       const float* b, int64_t ldb, float* c);
void portable_gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* a, int64_t lda,
                       const double* b, int64_t ldb, double* c);
std::string portable_gemm_info();
bool portable_gemm_requested();

}  // namespace flx
