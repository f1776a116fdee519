// One time step of the LSTM and GRU cells, per (sample, hidden unit), forward and backward,
// shared by the kernels of every device (cpu/rnn.cc, cuda/rnn.cu). Gate rows are PyTorch's:
// LSTM i, f, g, o; GRU r, z, n with n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)).
//
// The sequence layers keep their state for all steps in one buffer and call a kernel per
// step t: xg [T, B, G·H] is every step's input projection (x W_ihᵀ + b_ih, one GEMM for the
// sequence), hg [B, G·H] this step's recurrent one (h W_hhᵀ + b_hh), and
//   LSTM state [T+1, 2, B, H]: (h, c) before step 0 and after each step; acts [T, B, 4H] the
//        gate activations i, f, g, o, kept for the backward pass;
//   GRU  state [T+1, B, H]; acts [T, B, 4H]: r, z, n and the recurrent n-row W_hn h + b_hn.
#pragma once
#include <cmath>

#include "scalar_ops.h"

namespace flx {
namespace rnn {

template <class T> FLX_HD T sig(T x) { return un::sigmoid()(x); }

// Offsets of the per-step blocks.
struct Step {
  int64_t B, H, t;
  FLX_HD int64_t gates(int64_t G) const { return t * B * G * H; }  // xg, acts, dxg at step t
};

template <class T>
FLX_HD void lstm_forward(const Step& s, int64_t b, int64_t j, T* state, T* acts, const T* xg, const T* hg) {
  const int64_t H = s.H, BH = s.B * H;
  const T* x = xg + s.gates(4) + b * 4 * H;
  const T* r = hg + b * 4 * H;
  const T i = sig(T(x[j] + r[j])), f = sig(T(x[H + j] + r[H + j]));
  const T g = std::tanh(T(x[2 * H + j] + r[2 * H + j])), o = sig(T(x[3 * H + j] + r[3 * H + j]));
  const T cprev = state[(2 * s.t + 1) * BH + b * H + j];
  const T c = f * cprev + i * g;
  state[(2 * (s.t + 1)) * BH + b * H + j] = o * std::tanh(c);
  state[(2 * (s.t + 1) + 1) * BH + b * H + j] = c;
  T* a = acts + s.gates(4) + b * 4 * H;
  a[j] = i, a[H + j] = f, a[2 * H + j] = g, a[3 * H + j] = o;
}

// gh, gc: the cotangents of this step's h and c (from later steps and the outputs); writes the
// gates' pre-activation cotangents into dxg at t and the previous c's into dc.
template <class T>
FLX_HD void lstm_backward(const Step& s, int64_t b, int64_t j, T* dxg, T* dc, const T* gh, const T* gc, const T* acts,
                          const T* state) {
  const int64_t H = s.H, BH = s.B * H, k = b * H + j;
  const T* a = acts + s.gates(4) + b * 4 * H;
  const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
  const T c = state[(2 * (s.t + 1) + 1) * BH + k], cprev = state[(2 * s.t + 1) * BH + k];
  const T tc = std::tanh(c);
  const T dcell = gc[k] + gh[k] * o * (T(1) - tc * tc);
  T* d = dxg + s.gates(4) + b * 4 * H;
  d[j] = dcell * g * i * (T(1) - i);
  d[H + j] = dcell * cprev * f * (T(1) - f);
  d[2 * H + j] = dcell * i * (T(1) - g * g);
  d[3 * H + j] = gh[k] * tc * o * (T(1) - o);
  dc[k] = dcell * f;
}

template <class T>
FLX_HD void gru_forward(const Step& s, int64_t b, int64_t j, T* state, T* acts, const T* xg, const T* hg) {
  const int64_t H = s.H, BH = s.B * H;
  const T* x = xg + s.gates(3) + b * 3 * H;
  const T* r = hg + b * 3 * H;
  const T rr = sig(T(x[j] + r[j])), z = sig(T(x[H + j] + r[H + j]));
  const T hn = r[2 * H + j];
  const T n = std::tanh(T(x[2 * H + j] + rr * hn));
  const T hprev = state[s.t * BH + b * H + j];
  state[(s.t + 1) * BH + b * H + j] = (T(1) - z) * n + z * hprev;
  T* a = acts + s.gates(4) + b * 4 * H;
  a[j] = rr, a[H + j] = z, a[2 * H + j] = n, a[3 * H + j] = hn;
}

// gh: the cotangent of this step's h. Writes the input projection's cotangent into dxg at t,
// the recurrent projection's into dhg [B, 3H], and the direct part z ∘ gh of the previous h's
// into dh (the rest reaches it through dhg and W_hh).
template <class T>
FLX_HD void gru_backward(const Step& s, int64_t b, int64_t j, T* dxg, T* dhg, T* dh, const T* gh, const T* acts,
                         const T* state) {
  const int64_t H = s.H, BH = s.B * H, k = b * H + j;
  const T* a = acts + s.gates(4) + b * 4 * H;
  const T rr = a[j], z = a[H + j], n = a[2 * H + j], hn = a[3 * H + j];
  const T hprev = state[s.t * BH + k];
  const T dn = gh[k] * (T(1) - z) * (T(1) - n * n);
  const T dz = gh[k] * (hprev - n) * z * (T(1) - z);
  const T dr = dn * hn * rr * (T(1) - rr);
  T* dx = dxg + s.gates(3) + b * 3 * H;
  T* dr_ = dhg + b * 3 * H;
  dx[j] = dr, dx[H + j] = dz, dx[2 * H + j] = dn;
  dr_[j] = dr, dr_[H + j] = dz, dr_[2 * H + j] = dn * rr;
  dh[k] = gh[k] * z;
}

}  // namespace rnn
}  // namespace flx
