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
#include "simd.h"

namespace flx {
namespace {

// One sample's hidden units, j = 0..H-1 in order: unit-stride in every buffer. The rows are
// parameters so that __restrict holds (the buffers never overlap), which lets the loop vectorise.
template <class T>
FLX_MULTIVERSION void lstm_fwd_row(int64_t H, const T* __restrict x, const T* __restrict r, const T* __restrict cprev, T* __restrict h,
                                   T* __restrict c, T* __restrict a) {
  for (int64_t j = 0; j < H; ++j) rnn::lstm_fwd_unit<T>(H, j, x, r, cprev, h, c, a);
}
template <class T>
FLX_MULTIVERSION void lstm_bwd_row(int64_t H, T* __restrict d, T* __restrict dc, const T* __restrict gh, const T* __restrict gc,
                                   const T* __restrict a, const T* __restrict c, const T* __restrict cprev) {
  for (int64_t j = 0; j < H; ++j) rnn::lstm_bwd_unit<T>(H, j, d, dc, gh, gc, a, c, cprev);
}
template <class T>
FLX_MULTIVERSION void gru_fwd_row(int64_t H, const T* __restrict x, const T* __restrict r, const T* __restrict hprev, T* __restrict h,
                                  T* __restrict a) {
  for (int64_t j = 0; j < H; ++j) rnn::gru_fwd_unit<T>(H, j, x, r, hprev, h, a);
}
template <class T>
FLX_MULTIVERSION void gru_bwd_row(int64_t H, T* __restrict dx, T* __restrict dr, T* __restrict dh, const T* __restrict gh,
                                  const T* __restrict a, const T* __restrict hprev) {
  for (int64_t j = 0; j < H; ++j) rnn::gru_bwd_unit<T>(H, j, dx, dr, dh, gh, a, hprev);
}

template <class T>
void lstm_forward_row(const rnn::Step& s, int64_t b, T* state, T* acts, const T* xg, const T* hg) {
  const rnn::LstmFwdRows<T> p = rnn::lstm_fwd_rows(s, b, state, acts, xg, hg);
  lstm_fwd_row<T>(s.H, p.x, p.r, p.cprev, p.h, p.c, p.a);
}
template <class T>
void lstm_backward_row(const rnn::Step& s, int64_t b, T* dxg, T* dc, const T* gh, const T* gc, const T* acts, const T* state) {
  const rnn::LstmBwdRows<T> p = rnn::lstm_bwd_rows(s, b, dxg, dc, gh, gc, acts, state);
  lstm_bwd_row<T>(s.H, p.d, p.dc, p.gh, p.gc, p.a, p.c, p.cprev);
}
template <class T>
void gru_forward_row(const rnn::Step& s, int64_t b, T* state, T* acts, const T* xg, const T* hg) {
  const rnn::GruFwdRows<T> p = rnn::gru_fwd_rows(s, b, state, acts, xg, hg);
  gru_fwd_row<T>(s.H, p.x, p.r, p.hprev, p.h, p.a);
}
template <class T>
void gru_backward_row(const rnn::Step& s, int64_t b, T* dxg, T* dhg, T* dh, const T* gh, const T* acts, const T* state) {
  const rnn::GruBwdRows<T> p = rnn::gru_bwd_rows(s, b, dxg, dhg, dh, gh, acts, state);
  gru_bwd_row<T>(s.H, p.dx, p.dr, p.dh, p.gh, p.a, p.hprev);
}

// Samples split over threads, whole rows each (a cell costs a few transcendentals per unit).
template <class F>
void each_sample(int64_t B, int64_t H, F f) {
  parallel_for(B, std::max<int64_t>(1, kGrainCostly / std::max<int64_t>(H, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) f(b);
  });
}

}  // namespace

void lstmCell_cpu(Call& c) {
  const rnn::CellArgs a = rnn::lstm_cell_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  with_float_dtype("lstmCell", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_sample(d.B, d.H, [&](int64_t i) { lstm_forward_row<T>(s, i, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>()); });
  });
}

void lstmCellGrad_cpu(Call& c) {
  const rnn::CellArgs a = rnn::lstm_cell_grad_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  with_float_dtype("lstmCellGrad", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_sample(d.B, d.H, [&](int64_t i) {
      lstm_backward_row<T>(s, i, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>(), b[4].as<T>(), b[5].as<T>());
    });
  });
}

void gruCell_cpu(Call& c) {
  const rnn::CellArgs a = rnn::gru_cell_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  with_float_dtype("gruCell", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_sample(d.B, d.H, [&](int64_t i) { gru_forward_row<T>(s, i, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>()); });
  });
}

void gruCellGrad_cpu(Call& c) {
  const rnn::CellArgs a = rnn::gru_cell_grad_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  with_float_dtype("gruCellGrad", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const rnn::Step s{d.B, d.H, d.t};
    each_sample(d.B, d.H, [&](int64_t i) {
      gru_backward_row<T>(s, i, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>(), b[4].as<T>(), b[5].as<T>());
    });
  });
}

}  // namespace flx
