// The argument checks of the recurrent cell kernels, shared by both devices (cpu/rnn.cc,
// cuda/rnn.cu): every buffer's length against T, B, H and the gate count.
#pragma once
#include <string>

#include "common.h"

namespace flx {
namespace rnn {

struct Dims {
  int64_t T, B, H, t;
};

// Reads T, B, H, t from the call at `first` and checks each buffer (length = product of sizes).
inline Dims read_dims(Call& c, size_t first) {
  Dims d;
  d.T = c.count(first, "T");
  d.B = c.count(first + 1, "B");
  d.H = c.count(first + 2, "H");
  d.t = c.count(first + 3, "t");
  FLX_CHECK(d.t >= d.T, range, std::string(c.kernel()) + ": step t must be below T");
  return d;
}

inline void check_len(Call& c, const Buf& buf, const char* name, int64_t a, int64_t b, int64_t cc, int64_t dd = 1) {
  const char* k = c.kernel();
  const int64_t want = mul_size(mul_size(mul_size(a, b, k), cc, k), dd, k);
  FLX_CHECK(buf.len != want, range, std::string(k) + ": " + name + " has the wrong length");
}

inline void same_dtype(Call& c, const Buf* bufs, int n) {
  for (int i = 1; i < n; ++i) FLX_CHECK(bufs[i].dtype != bufs[0].dtype, type, std::string(c.kernel()) + ": dtypes differ");
  FLX_CHECK(bufs[0].dtype == DType::i32, type, std::string(c.kernel()) + ": float32 or float64 only");
}

}  // namespace rnn
}  // namespace flx
