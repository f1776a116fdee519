// The fused recurrent cells, one time step per call, over every (sample, hidden unit):
//   lstmCell(state, acts, xg, hg, T, B, H, t)              state[t+1], acts[t] from state[t]
//   lstmCellGrad(dxg, dc, gh, gc, acts, state, T, B, H, t) dxg[t] and the previous c's cotangent
//   gruCell(state, acts, xg, hg, T, B, H, t)
//   gruCellGrad(dxg, dhg, dh, gh, acts, state, T, B, H, t)
// Layouts and formulas: rnn_cells.h. The GEMMs around them (x W_ihᵀ for the whole sequence,
// h W_hhᵀ per step, the weight gradients) are the matmul kernel's, called from TypeScript.
#include "../kernels.h"
#include "../rnn_args.h"
#include "../rnn_cells.h"
#include "parallel.h"

namespace flx {
namespace {

template <class F>
void each_unit(int64_t B, int64_t H, F f) {
  parallel_for(B * H, kGrainCostly / 8, [&](int64_t b0, int64_t e) {
    for (int64_t k = b0; k < e; ++k) f(k / H, k % H);
  });
}

}  // namespace

void lstmCell_cpu(Call& c) {
  const Buf b[4] = {c.buf(0, "state"), c.buf(1, "acts"), c.buf(2, "xg"), c.buf(3, "hg")};
  const rnn::Dims d = rnn::read_dims(c, 4);
  rnn::same_dtype(c, b, 4);
  rnn::check_len(c, b[0], "state", d.T + 1, 2, d.B, d.H);
  rnn::check_len(c, b[1], "acts", d.T, d.B, 4, d.H);
  rnn::check_len(c, b[2], "xg", d.T, d.B, 4, d.H);
  rnn::check_len(c, b[3], "hg", d.B, 4, d.H);
  with_float_dtype("lstmCell", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_unit(d.B, d.H, [&](int64_t i, int64_t j) { rnn::lstm_forward<T>(s, i, j, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>()); });
  });
}

void lstmCellGrad_cpu(Call& c) {
  const Buf b[6] = {c.buf(0, "dxg"), c.buf(1, "dc"), c.buf(2, "gh"), c.buf(3, "gc"), c.buf(4, "acts"), c.buf(5, "state")};
  const rnn::Dims d = rnn::read_dims(c, 6);
  rnn::same_dtype(c, b, 6);
  rnn::check_len(c, b[0], "dxg", d.T, d.B, 4, d.H);
  rnn::check_len(c, b[1], "dc", d.B, d.H, 1);
  rnn::check_len(c, b[2], "gh", d.B, d.H, 1);
  rnn::check_len(c, b[3], "gc", d.B, d.H, 1);
  rnn::check_len(c, b[4], "acts", d.T, d.B, 4, d.H);
  rnn::check_len(c, b[5], "state", d.T + 1, 2, d.B, d.H);
  with_float_dtype("lstmCellGrad", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_unit(d.B, d.H, [&](int64_t i, int64_t j) {
      rnn::lstm_backward<T>(s, i, j, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>(), b[4].as<T>(), b[5].as<T>());
    });
  });
}

void gruCell_cpu(Call& c) {
  const Buf b[4] = {c.buf(0, "state"), c.buf(1, "acts"), c.buf(2, "xg"), c.buf(3, "hg")};
  const rnn::Dims d = rnn::read_dims(c, 4);
  rnn::same_dtype(c, b, 4);
  rnn::check_len(c, b[0], "state", d.T + 1, d.B, d.H);
  rnn::check_len(c, b[1], "acts", d.T, d.B, 4, d.H);
  rnn::check_len(c, b[2], "xg", d.T, d.B, 3, d.H);
  rnn::check_len(c, b[3], "hg", d.B, 3, d.H);
  with_float_dtype("gruCell", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_unit(d.B, d.H, [&](int64_t i, int64_t j) { rnn::gru_forward<T>(s, i, j, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>()); });
  });
}

void gruCellGrad_cpu(Call& c) {
  const Buf b[6] = {c.buf(0, "dxg"), c.buf(1, "dhg"), c.buf(2, "dh"), c.buf(3, "gh"), c.buf(4, "acts"), c.buf(5, "state")};
  const rnn::Dims d = rnn::read_dims(c, 6);
  rnn::same_dtype(c, b, 6);
  rnn::check_len(c, b[0], "dxg", d.T, d.B, 3, d.H);
  rnn::check_len(c, b[1], "dhg", d.B, 3, d.H);
  rnn::check_len(c, b[2], "dh", d.B, d.H, 1);
  rnn::check_len(c, b[3], "gh", d.B, d.H, 1);
  rnn::check_len(c, b[4], "acts", d.T, d.B, 4, d.H);
  rnn::check_len(c, b[5], "state", d.T + 1, d.B, d.H);
  with_float_dtype("gruCellGrad", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_unit(d.B, d.H, [&](int64_t i, int64_t j) {
      rnn::gru_backward<T>(s, i, j, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>(), b[4].as<T>(), b[5].as<T>());
    });
  });
}

}  // namespace flx
