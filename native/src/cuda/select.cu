// topk on the device: as cpu/select.cc (best first, NaN largest, ties by position). One thread
// per row selects the k best by repeated scans, O(n·k) per row: meant for the small k of
// sampling and of retrieval heads, not for sorting long rows.
#include "../kernels.h"
#include "../select_args.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

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
        if (prev >= 0 && !selection::before(row[prev], prev, row[i], i, largest)) continue;
        if (best < 0 || selection::before(row[i], i, row[best], best, largest)) best = i;
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
  const flx::selection::TopkArgs a = flx::selection::topk_args(c);
  cudaStream_t s = stream("topk");
  if (a.rows == 0 || a.k == 0) return;
  with_dtype(a.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    topk_kernel<T><<<grid_for(a.rows), kThreads, 0, s>>>(a.rows, a.n, a.k, a.largest, a.idx.as<int32_t>(), a.x.as<T>());
  });
  check_launch("topk");
}

}  // namespace flx
