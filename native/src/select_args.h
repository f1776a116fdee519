// What both devices' topk share (cpu/select.cc, cuda/select.cu): the argument checks and the
// order, so the devices cannot disagree on it.
//   topk(idx, x, n, k, largest)   x [rows, n] contiguous -> idx [rows, k] int32
// Order: best first; NaN counts as larger than every number (as PyTorch); ties keep the lower
// position first, so the result is deterministic.
#pragma once
#include <cstdint>

#include "common.h"
#include "scalar_ops.h"

namespace flx {
namespace selection {

// Whether entry (a at position ia) comes before (b at ib) in topk's order.
template <class T>
FLX_HD bool before(T a, int64_t ia, T b, int64_t ib, bool largest) {
  const bool na = a != a, nb = b != b;
  if (na || nb) {
    if (na && nb) return ia < ib;
    return largest ? na : nb;  // NaN is the largest value
  }
  if (a != b) return largest ? a > b : a < b;
  return ia < ib;
}

struct TopkArgs {
  Buf idx, x;
  int64_t rows, n, k;
  bool largest;
};

inline TopkArgs topk_args(Call& c) {
  TopkArgs a;
  a.idx = c.buf(0, "idx");
  a.x = c.buf(1, "x");
  a.n = c.count(2, "n");
  a.k = c.count(3, "k");
  a.largest = c.flag(4, "largest");
  FLX_CHECK(a.idx.dtype != DType::i32, type, "topk: idx must be an Int32Array");
  FLX_CHECK(a.k > a.n || a.n > INT32_MAX, range, "topk: k must be at most n");
  FLX_CHECK(a.n == 0 ? a.x.len != 0 : a.x.len % a.n != 0, range, "topk: x does not hold whole rows of n");
  a.rows = a.n == 0 ? 0 : a.x.len / a.n;
  FLX_CHECK(a.idx.len != mul_size(a.rows, a.k, "topk"), range, "topk: idx must hold rows·k entries");
  return a;
}

}  // namespace selection
}  // namespace flx
