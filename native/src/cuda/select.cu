// topk on the device: as cpu/select.cc (best first, NaN largest, ties by position). One thread
// per row selects the k best by repeated scans, O(n·k) per row: meant for the small k of
// sampling and of retrieval heads, not for sorting long rows.
#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

template <class T>
__device__ __forceinline__ bool before(T a, int64_t ia, T b, int64_t ib, bool largest) {
  const bool na = a != a, nb = b != b;
  if (na || nb) {
    if (na && nb) return ia < ib;
    return largest ? na : nb;
  }
  if (a != b) return largest ? a > b : a < b;
  return ia < ib;
}

template <class T>
__global__ void topk_kernel(int64_t rows, int64_t n, int64_t k, bool largest, int32_t* idx, const T* x) {
  for (int64_t r = grid_first(); r < rows; r += grid_step()) {
    const T* row = x + r * n;
    int32_t* out = idx + r * k;
    // the j-th best is the best entry that comes after the (j-1)-th in the order
    int64_t prev = -1;
    for (int64_t j = 0; j < k; ++j) {
      int64_t best = -1;
      for (int64_t i = 0; i < n; ++i) {
        if (prev >= 0 && !before(row[prev], prev, row[i], i, largest)) continue;
        if (best < 0 || before(row[i], i, row[best], best, largest)) best = i;
      }
      out[j] = int32_t(best);
      prev = best;
    }
  }
}

}  // namespace
}  // namespace cu

void topk_cuda(Call& c) {
  using namespace cu;
  const Buf idx = c.buf(0, "idx"), x = c.buf(1, "x");
  const int64_t n = c.count(2, "n"), k = c.count(3, "k");
  const bool largest = c.flag(4, "largest");
  FLX_CHECK(idx.dtype != DType::i32, type, "topk: idx must be an Int32Array");
  FLX_CHECK(k > n || n > INT32_MAX, range, "topk: k must be at most n");
  FLX_CHECK(n == 0 ? x.len != 0 : x.len % n != 0, range, "topk: x does not hold whole rows of n");
  const int64_t rows = n == 0 ? 0 : x.len / n;
  FLX_CHECK(idx.len != mul_size(rows, k, "topk"), range, "topk: idx must hold rows·k entries");
  cudaStream_t s = stream("topk");
  if (rows == 0 || k == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    topk_kernel<T><<<grid_for(rows), kThreads, 0, s>>>(rows, n, k, largest, idx.as<int32_t>(), x.as<T>());
  });
  check_launch("topk");
}

}  // namespace flx
