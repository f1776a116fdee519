// Selection: the positions of the k largest (or smallest) entries of every row, the kernel
// under topk (whose values are then a gather, so their gradient is the gather's). Arguments
// and order: select_args.h.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "../kernels.h"
#include "../select_args.h"
#include "parallel.h"

namespace flx {
namespace {

template <class T>
void topk_typed(int64_t rows, int64_t n, int64_t k, bool largest, int32_t* idx, const T* x) {
  parallel_for(rows, std::max<int64_t>(1, kGrainCostly / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    for (int64_t r = b; r < e; ++r) {
      const T* row = x + r * n;
      std::iota(order.begin(), order.end(), 0);
      auto cmp = [&](int32_t i, int32_t j) { return selection::before(row[i], int64_t(i), row[j], int64_t(j), largest); };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
      std::copy(order.begin(), order.begin() + k, idx + r * k);
    }
  });
}

}  // namespace

void topk_cpu(Call& c) {
  const selection::TopkArgs a = selection::topk_args(c);
  if (a.rows == 0 || a.k == 0) return;
  with_dtype(a.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    topk_typed<T>(a.rows, a.n, a.k, a.largest, a.idx.as<int32_t>(), a.x.as<T>());
  });
}

}  // namespace flx
