// GEMM through OpenBLAS (the build defines FLUXION_WITH_OPENBLAS when it finds cblas.h and
// the library; otherwise gemm_portable.cc is the GEMM and this file is empty). FLUXION_GEMM=portable
// sends the products to the portable GEMM instead.
#ifdef FLUXION_WITH_OPENBLAS
#include <cblas.h>

#include "gemm_backend.h"

namespace flx {

void gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c) {
  if (portable_gemm_requested()) return portable_gemm_f32(ta, tb, M, N, K, a, lda, b, ldb, c);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, blasint(M), blasint(N),
              blasint(K), 1.0f, a, blasint(lda), b, blasint(ldb), 0.0f, c, blasint(N));
}

void gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* a, int64_t lda, const double* b,
              int64_t ldb, double* c) {
  if (portable_gemm_requested()) return portable_gemm_f64(ta, tb, M, N, K, a, lda, b, ldb, c);
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, blasint(M), blasint(N),
              blasint(K), 1.0, a, blasint(lda), b, blasint(ldb), 0.0, c, blasint(N));
}

std::string gemm_backend_info() {
  if (portable_gemm_requested()) return portable_gemm_info() + " (FLUXION_GEMM=portable; OpenBLAS built in)";
  return std::string(openblas_get_config()) + " threads=" + std::to_string(openblas_get_num_threads());
}

void gemm_backend_threads(int n) { openblas_set_num_threads(n); }

}  // namespace flx
#endif
