// Selection: the positions of the k largest (or smallest) entries of every row, the kernel
// under topk (whose values are then a gather, so their gradient is the gather's).
//   topk(idx, x, n, k, largest)   x [rows, n] contiguous -> idx [rows, k] int32
// Order: best first; NaN counts as larger than every number (as PyTorch); ties keep the lower
// position first, so the result is deterministic.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "../kernels.h"
#include "parallel.h"

namespace flx {
namespace {

template <class T>
bool before(T a, int32_t ia, T b, int32_t ib, bool largest) {
  const bool na = a != a, nb = b != b;
  if (na || nb) {
    if (na && nb) return ia < ib;
    return largest ? na : nb;  // NaN is the largest value
  }
  if (a != b) return largest ? a > b : a < b;
  return ia < ib;
}

template <class T>
void topk_typed(int64_t rows, int64_t n, int64_t k, bool largest, int32_t* idx, const T* x) {
  parallel_for(rows, std::max<int64_t>(1, kGrainCostly / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    for (int64_t r = b; r < e; ++r) {
      const T* row = x + r * n;
      std::iota(order.begin(), order.end(), 0);
      auto cmp = [&](int32_t i, int32_t j) { return before(row[i], i, row[j], j, largest); };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
      std::copy(order.begin(), order.begin() + k, idx + r * k);
    }
  });
}

}  // namespace

void topk_cpu(Call& c) {
  const Buf idx = c.buf(0, "idx"), x = c.buf(1, "x");
  const int64_t n = c.count(2, "n"), k = c.count(3, "k");
  const bool largest = c.flag(4, "largest");
  FLX_CHECK(idx.dtype != DType::i32, type, "topk: idx must be an Int32Array");
  FLX_CHECK(k > n || n > INT32_MAX, range, "topk: k must be at most n");
  FLX_CHECK(n == 0 ? x.len != 0 : x.len % n != 0, range, "topk: x does not hold whole rows of n");
  const int64_t rows = n == 0 ? 0 : x.len / n;
  FLX_CHECK(idx.len != mul_size(rows, k, "topk"), range, "topk: idx must hold rows·k entries");
  if (rows == 0 || k == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    topk_typed<T>(rows, n, k, largest, idx.as<int32_t>(), x.as<T>());
  });
}

}  // namespace flx
