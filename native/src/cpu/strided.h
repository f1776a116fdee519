// The one strided iteration used by every elementwise kernel: N operands that share a
// shape, each with its own offset and strides (stride 0 = broadcast). Dims are
// coalesced first, so contiguous or simply-broadcast operands run as one flat loop.
#pragma once
#include <algorithm>
#include <cstdint>

#include "../common.h"
#include "parallel.h"

namespace flx {

template <int N>
struct Strided {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t offset[N];
  int64_t strides[N][kMaxDims];

  int64_t numel() const { int64_t n = 1; for (int d = 0; d < ndim; ++d) n *= shape[d]; return n; }

  // Drop size-1 dims and merge neighbours that are contiguous for every operand.
  void coalesce() {
    int out = 0;
    for (int d = 0; d < ndim; ++d) {
      if (shape[d] == 1) continue;
      if (out > 0) {
        bool merge = true;
        for (int k = 0; k < N; ++k) {
          // (overflow-checked: an empty view passes the bounds check with any sizes)
          int64_t span;
          if (__builtin_mul_overflow(strides[k][d], shape[d], &span) || strides[k][out - 1] != span) { merge = false; break; }
        }
        if (merge) {
          shape[out - 1] *= shape[d];
          for (int k = 0; k < N; ++k) strides[k][out - 1] = strides[k][d];
          continue;
        }
      }
      shape[out] = shape[d];
      for (int k = 0; k < N; ++k) strides[k][out] = strides[k][d];
      ++out;
    }
    if (out == 0) {  // a single element
      shape[0] = 1;
      for (int k = 0; k < N; ++k) strides[k][0] = 0;
      out = 1;
    }
    ndim = out;
  }

  // Calls row(offs, n, inner_strides) for the rows covering flat elements [begin, end).
  template <class Row>
  void for_range(int64_t begin, int64_t end, Row&& row) const {
    if (begin >= end) return;
    const int last = ndim - 1;
    int64_t idx[kMaxDims];
    int64_t offs[N];
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) { idx[d] = rem % shape[d]; rem /= shape[d]; }
    for (int k = 0; k < N; ++k) {
      offs[k] = offset[k];
      for (int d = 0; d < ndim; ++d) offs[k] += idx[d] * strides[k][d];
    }
    int64_t inner[N];
    for (int k = 0; k < N; ++k) inner[k] = strides[k][last];
    int64_t pos = begin;
    while (pos < end) {
      int64_t n = std::min(shape[last] - idx[last], end - pos);
      row(offs, n, inner);
      pos += n;
      // advance the multi-index by n along the last dim, carrying outward
      for (int k = 0; k < N; ++k) offs[k] += n * inner[k];
      idx[last] += n;
      for (int d = last; d > 0 && idx[d] == shape[d]; --d) {
        for (int k = 0; k < N; ++k) offs[k] += strides[k][d - 1] - shape[d] * strides[k][d];
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  }

  // Parallel over flat elements when the work is large enough to pay for waking threads.
  template <class Row>
  void run(Row&& row, int64_t grain) const {
    int64_t n = numel();
    // Small work runs inline: no std::function, no thread wake-up (this is the per-op overhead).
    if (n < 2 * grain || num_threads() == 1) {
      for_range(0, n, row);
      return;
    }
    parallel_for(n, grain, [&](int64_t b, int64_t e) { for_range(b, e, row); });
  }
};

// Reads ndim, shape and then N views (offset + strides, out first) from the metadata, each
// checked against the length of its buffer: the layout every elementwise kernel reads, on every
// device. `names` name the buffers in errors.
template <int N>
Strided<N> read_strided_meta(Call& c, const Buf* bufs, const char* const* names) {
  Meta m = c.meta();
  Strided<N> it;
  it.ndim = read_ndim(m, c.kernel());
  read_shape(m, it.ndim, it.shape, c.kernel());
  for (int k = 0; k < N; ++k) {
    read_strides(m, it.ndim, &it.offset[k], it.strides[k]);
    check_bounds(c.name(names[k]), it.ndim, it.shape, it.offset[k], it.strides[k], bufs[k].len);
  }
  // The first view is written. A stride of 0 there would write one element again and again:
  // never what an op means, and with a size near 2^53 a loop that never ends inside a buffer
  // of one element (the bounds hold), which the native fuzzer found.
  bool empty = false;
  for (int d = 0; d < it.ndim; ++d) empty = empty || it.shape[d] == 0;
  for (int d = 0; d < it.ndim && !empty; ++d)
    FLX_CHECK(it.strides[0][d] == 0 && it.shape[d] > 1, range,
              std::string(c.kernel()) + ": the output view repeats elements (stride 0)");
  return it;
}

}  // namespace flx
