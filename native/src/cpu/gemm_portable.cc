// Fluxion's own GEMM: the GEMM of builds where OpenBLAS is not found (no FLUXION_WITH_OPENBLAS),
// so that a clone builds and runs with nothing but a C++ compiler; in OpenBLAS builds it is there
// too, chosen with FLUXION_GEMM=portable (so that CI tests it and the benchmark can time it). The classic blocked scheme: C is
// computed in NC-column slabs; for each KC-deep slice of K, a slab of op(B) is packed into
// NR-wide column panels, and each MC-row block of op(A) into MR-tall row panels; a micro-kernel
// keeps an MR × NR tile of C in vector registers over the KC slice. Row blocks are spread over
// the elementwise thread pool (cpu/parallel.h) once the product is large enough to pay for it.
//
// The micro-kernel is written with GCC/Clang vector types one cache line wide (16 floats or
// 8 doubles) and compiled for baseline x86-64, AVX2 and AVX-512 (FLX_MULTIVERSION, picked at
// load time). Like the rest of the addon it does not fuse a*b+c (-ffp-contract=off), so every
// version gives the same bits; the sum over k runs in the same order on every CPU too.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm_backend.h"
#include "parallel.h"
#include "simd.h"

namespace flx {
namespace {

constexpr int kMR = 6;          // rows of the register tile
constexpr int64_t kKC = 256;    // depth of one packed slice: an A panel (6 × 256) stays in L1
constexpr int64_t kMC = 96;     // rows of a packed A block (L2)
constexpr int64_t kNC = 2048;   // columns of a packed B slab
// Multiply-adds a task must get before the product is split over threads (a wake-up costs
// ~10-15 µs, and 2^21 multiply-adds take ~0.2 ms on one core of this design).
constexpr int64_t kSplitWork = int64_t(1) << 21;

template <class T>
struct Vec;
template <>
struct Vec<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct Vec<double> {
  typedef double type __attribute__((vector_size(64)));
};

template <class T>
constexpr int kNR = int(64 / sizeof(T));  // columns of the register tile: one vector

// op(A)[i, k] and op(B)[k, j], the transposes read in place.
template <class T>
inline T at_a(const T* a, int64_t lda, bool ta, int64_t i, int64_t k) {
  return ta ? a[k * lda + i] : a[i * lda + k];
}
template <class T>
inline T at_b(const T* b, int64_t ldb, bool tb, int64_t k, int64_t j) {
  return tb ? b[j * ldb + k] : b[k * ldb + j];
}

// Rows i0..i0+mc of op(A), depth p0..p0+kc, as MR-row panels: panel r holds kc steps of MR
// values (rows past mc are zero, so the micro-kernel never branches on them).
template <class T>
void pack_a(const T* a, int64_t lda, bool ta, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int64_t rows = std::min<int64_t>(kMR, mc - ir);
    for (int64_t k = 0; k < kc; ++k) {
      for (int r = 0; r < rows; ++r) dst[r] = at_a(a, lda, ta, i0 + ir + r, p0 + k);
      for (int r = int(rows); r < kMR; ++r) dst[r] = T(0);
      dst += kMR;
    }
  }
}

// Columns j0..j0+nc of op(B), depth p0..p0+kc, as NR-column panels (columns past nc are zero).
template <class T>
void pack_b(const T* b, int64_t ldb, bool tb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* dst) {
  constexpr int NR = kNR<T>;
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - jr);
    for (int64_t k = 0; k < kc; ++k) {
      if (!tb && cols == NR) {
        std::memcpy(dst, b + (p0 + k) * ldb + j0 + jr, sizeof(T) * NR);
      } else {
        for (int c = 0; c < cols; ++c) dst[c] = at_b(b, ldb, tb, p0 + k, j0 + jr + c);
        for (int c = int(cols); c < NR; ++c) dst[c] = T(0);
      }
      dst += NR;
    }
  }
}

// C[mc, nc] (row stride ldc) += packed A block · packed B slab. The MR × NR tile lives in
// registers over the kc steps, then is added to C (only its valid part at the edges).
template <class T>
FLX_MULTIVERSION void macro_kernel(int64_t mc, int64_t nc, int64_t kc, const T* __restrict pa, const T* __restrict pb,
                                   T* __restrict c, int64_t ldc) {
  using V = typename Vec<T>::type;
  constexpr int NR = kNR<T>;
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - jr);
    const T* pbj = pb + (jr / NR) * kc * NR;
    for (int64_t ir = 0; ir < mc; ir += kMR) {
      const int64_t rows = std::min<int64_t>(kMR, mc - ir);
      const T* pai = pa + (ir / kMR) * kc * kMR;
      V acc[kMR];
      for (int r = 0; r < kMR; ++r) acc[r] = V{} ;
      for (int64_t k = 0; k < kc; ++k) {
        V bv;
        std::memcpy(&bv, pbj + k * NR, sizeof(V));
        for (int r = 0; r < kMR; ++r) acc[r] += pai[k * kMR + r] * bv;
      }
      T* cij = c + ir * ldc + jr;
      if (cols == NR) {
        for (int r = 0; r < rows; ++r) {
          V cv;
          std::memcpy(&cv, cij + r * ldc, sizeof(V));
          cv += acc[r];
          std::memcpy(cij + r * ldc, &cv, sizeof(V));
        }
      } else {
        for (int r = 0; r < rows; ++r)
          for (int64_t j = 0; j < cols; ++j) cij[r * ldc + j] += acc[r][j];
      }
    }
  }
}

template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* a, int64_t lda, const T* b, int64_t ldb,
          T* c) {
  constexpr int NR = kNR<T>;
  std::memset(c, 0, sizeof(T) * size_t(M) * size_t(N));
  const int64_t nblocks = (M + kMC - 1) / kMC;
  const int64_t work = M * N * K;
  const bool split = work >= 2 * kSplitWork && nblocks > 1 && num_threads() > 1;
  // packing buffers live as long as the thread and only grow: a fresh 2 MB buffer per call costs
  // its page faults every time
  thread_local std::vector<T> pb;
  for (int64_t j0 = 0; j0 < N; j0 += kNC) {
    const int64_t nc = std::min(kNC, N - j0);
    const int64_t ncp = (nc + NR - 1) / NR * NR;
    for (int64_t p0 = 0; p0 < K; p0 += kKC) {
      const int64_t kc = std::min(kKC, K - p0);
      if (pb.size() < size_t(ncp * kc)) pb.resize(size_t(ncp * kc));
      pack_b(b, ldb, tb, p0, kc, j0, nc, pb.data());
      // by pointer: inside the tasks, `pb` would name each pool thread's own (empty) buffer
      const T* packed_b = pb.data();
      auto block = [&](int64_t blk) {
        thread_local std::vector<T> pa;
        const int64_t i0 = blk * kMC, mc = std::min(kMC, M - i0);
        const size_t need = size_t((mc + kMR - 1) / kMR * kMR * kc);
        if (pa.size() < need) pa.resize(need);
        pack_a(a, lda, ta, i0, mc, p0, kc, pa.data());
        macro_kernel<T>(mc, nc, kc, pa.data(), packed_b, c + i0 * N + j0, N);
      };
      if (split) parallel_tasks(nblocks, block);
      else for (int64_t blk = 0; blk < nblocks; ++blk) block(blk);
    }
  }
}

}  // namespace

void portable_gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda,
                       const float* b, int64_t ldb, float* c) {
  gemm<float>(ta, tb, M, N, K, a, lda, b, ldb, c);
}

void portable_gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* a, int64_t lda,
                       const double* b, int64_t ldb, double* c) {
  gemm<double>(ta, tb, M, N, K, a, lda, b, ldb, c);
}

std::string portable_gemm_info() {
  return "portable GEMM (Fluxion's own blocked kernel) threads=" + std::to_string(num_threads());
}

bool portable_gemm_requested() {
  static const bool on = [] {
    const char* v = std::getenv("FLUXION_GEMM");
    return v != nullptr && std::string(v) == "portable";
  }();
  return on;
}

#ifndef FLUXION_WITH_OPENBLAS
void gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c) {
  portable_gemm_f32(ta, tb, M, N, K, a, lda, b, ldb, c);
}

void gemm_f64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* a, int64_t lda, const double* b,
              int64_t ldb, double* c) {
  portable_gemm_f64(ta, tb, M, N, K, a, lda, b, ldb, c);
}

std::string gemm_backend_info() { return portable_gemm_info() + "; built without OpenBLAS"; }

void gemm_backend_threads(int) {}  // it runs on the elementwise pool, sized by setNumThreads
#endif

}  // namespace flx
