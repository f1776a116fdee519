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

// Reads T, B, H, t from the call at `first` (t below T).
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

// A cell kernel's buffers in its argument order, read and checked, and its sizes: what every
// device's entry starts with.
struct CellArgs {
  Buf b[6];
  Dims d;
};

template <size_t N>
inline CellArgs read_cell(Call& c, const char* const (&names)[N]) {
  CellArgs a;
  for (size_t i = 0; i < N; ++i) a.b[i] = c.buf(i, names[i]);
  a.d = read_dims(c, N);
  same_dtype(c, a.b, int(N));
  return a;
}

// lstmCell(state, acts, xg, hg, T, B, H, t)
inline CellArgs lstm_cell_args(Call& c) {
  static const char* const names[4] = {"state", "acts", "xg", "hg"};
  CellArgs a = read_cell(c, names);
  const Dims& d = a.d;
  check_len(c, a.b[0], "state", d.T + 1, 2, d.B, d.H);
  check_len(c, a.b[1], "acts", d.T, d.B, 4, d.H);
  check_len(c, a.b[2], "xg", d.T, d.B, 4, d.H);
  check_len(c, a.b[3], "hg", d.B, 4, d.H);
  return a;
}

// lstmCellGrad(dxg, dc, gh, gc, acts, state, T, B, H, t)
inline CellArgs lstm_cell_grad_args(Call& c) {
  static const char* const names[6] = {"dxg", "dc", "gh", "gc", "acts", "state"};
  CellArgs a = read_cell(c, names);
  const Dims& d = a.d;
  check_len(c, a.b[0], "dxg", d.T, d.B, 4, d.H);
  check_len(c, a.b[1], "dc", d.B, d.H, 1);
  check_len(c, a.b[2], "gh", d.B, d.H, 1);
  check_len(c, a.b[3], "gc", d.B, d.H, 1);
  check_len(c, a.b[4], "acts", d.T, d.B, 4, d.H);
  check_len(c, a.b[5], "state", d.T + 1, 2, d.B, d.H);
  return a;
}

// gruCell(state, acts, xg, hg, T, B, H, t)
inline CellArgs gru_cell_args(Call& c) {
  static const char* const names[4] = {"state", "acts", "xg", "hg"};
  CellArgs a = read_cell(c, names);
  const Dims& d = a.d;
  check_len(c, a.b[0], "state", d.T + 1, d.B, d.H);
  check_len(c, a.b[1], "acts", d.T, d.B, 4, d.H);
  check_len(c, a.b[2], "xg", d.T, d.B, 3, d.H);
  check_len(c, a.b[3], "hg", d.B, 3, d.H);
  return a;
}

// gruCellGrad(dxg, dhg, dh, gh, acts, state, T, B, H, t)
inline CellArgs gru_cell_grad_args(Call& c) {
  static const char* const names[6] = {"dxg", "dhg", "dh", "gh", "acts", "state"};
  CellArgs a = read_cell(c, names);
  const Dims& d = a.d;
  check_len(c, a.b[0], "dxg", d.T, d.B, 3, d.H);
  check_len(c, a.b[1], "dhg", d.B, 3, d.H);
  check_len(c, a.b[2], "dh", d.B, d.H, 1);
  check_len(c, a.b[3], "gh", d.B, d.H, 1);
  check_len(c, a.b[4], "acts", d.T, d.B, 4, d.H);
  check_len(c, a.b[5], "state", d.T + 1, d.B, d.H);
  return a;
}

}  // namespace rnn
}  // namespace flx
