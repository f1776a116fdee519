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

// The activations are the elementwise ops' own (fm::, vecmath.h: branch-free and vectorisable for
// float32 on the host), so a cell computes what its ops would.

// Offsets of the per-step blocks.
struct Step {
  int64_t B, H, t;
  FLX_HD int64_t gates(int64_t G) const { return t * B * G * H; }  // xg, acts, dxg at step t
};

// Each cell comes in two parts: `*_rows` finds one sample's rows in the step's buffers, and
// `*_unit` computes hidden unit j from those rows. A device kernel calls `*_rows` per thread
// (through the (s, b, j) forms at the end); the CPU calls it once per sample and runs `*_unit`
// along the row, unit-stride, where it vectorises.

template <class T>
struct LstmFwdRows {
  const T* x;      // xg[t] for the sample: 4H pre-activations from the input
  const T* r;      // hg: 4H from the previous h
  const T* cprev;  // c before the step (H)
  T* h;            // h after the step (H)
  T* c;            // c after the step (H)
  T* a;            // acts[t]: i, f, g, o (4H)
};
template <class T>
FLX_HD LstmFwdRows<T> lstm_fwd_rows(const Step& s, int64_t b, T* state, T* acts, const T* xg, const T* hg) {
  const int64_t H = s.H, BH = s.B * H;
  return {xg + s.gates(4) + b * 4 * H, hg + b * 4 * H, state + (2 * s.t + 1) * BH + b * H,
          state + (2 * (s.t + 1)) * BH + b * H, state + (2 * (s.t + 1) + 1) * BH + b * H, acts + s.gates(4) + b * 4 * H};
}
template <class T>
FLX_HD void lstm_fwd_unit(int64_t H, int64_t j, const T* __restrict x, const T* __restrict r, const T* __restrict cprev,
                          T* __restrict h, T* __restrict cnext, T* __restrict a) {
  const T i = fm::sigmoid(T(x[j] + r[j])), f = fm::sigmoid(T(x[H + j] + r[H + j]));
  const T g = fm::tanh(T(x[2 * H + j] + r[2 * H + j])), o = fm::sigmoid(T(x[3 * H + j] + r[3 * H + j]));
  const T c = f * cprev[j] + i * g;
  h[j] = o * fm::tanh(c);
  cnext[j] = c;
  a[j] = i, a[H + j] = f, a[2 * H + j] = g, a[3 * H + j] = o;
}

// gh, gc: the cotangents of this step's h and c (from later steps and the outputs); writes the
// gates' pre-activation cotangents into dxg at t and the previous c's into dc.
template <class T>
struct LstmBwdRows {
  T* d;            // dxg[t] for the sample (4H)
  T* dc;           // the previous c's cotangent (H)
  const T* gh;     // (H)
  const T* gc;     // (H)
  const T* a;      // acts[t] (4H)
  const T* c;      // c after the step (H)
  const T* cprev;  // c before it (H)
};
template <class T>
FLX_HD LstmBwdRows<T> lstm_bwd_rows(const Step& s, int64_t b, T* dxg, T* dc, const T* gh, const T* gc, const T* acts, const T* state) {
  const int64_t H = s.H, BH = s.B * H, k = b * H;
  return {dxg + s.gates(4) + b * 4 * H, dc + k, gh + k, gc + k, acts + s.gates(4) + b * 4 * H,
          state + (2 * (s.t + 1) + 1) * BH + k, state + (2 * s.t + 1) * BH + k};
}
template <class T>
FLX_HD void lstm_bwd_unit(int64_t H, int64_t j, T* __restrict d, T* __restrict dc, const T* __restrict gh, const T* __restrict gc,
                          const T* __restrict a, const T* __restrict c, const T* __restrict cprev) {
  const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
  const T tc = fm::tanh(c[j]);
  const T dcell = gc[j] + gh[j] * o * (T(1) - tc * tc);
  d[j] = dcell * g * i * (T(1) - i);
  d[H + j] = dcell * cprev[j] * f * (T(1) - f);
  d[2 * H + j] = dcell * i * (T(1) - g * g);
  d[3 * H + j] = gh[j] * tc * o * (T(1) - o);
  dc[j] = dcell * f;
}

template <class T>
struct GruFwdRows {
  const T* x;      // xg[t] for the sample (3H)
  const T* r;      // hg (3H)
  const T* hprev;  // (H)
  T* h;            // (H)
  T* a;            // acts[t]: r, z, n, W_hn h + b_hn (4H)
};
template <class T>
FLX_HD GruFwdRows<T> gru_fwd_rows(const Step& s, int64_t b, T* state, T* acts, const T* xg, const T* hg) {
  const int64_t H = s.H, BH = s.B * H;
  return {xg + s.gates(3) + b * 3 * H, hg + b * 3 * H, state + s.t * BH + b * H, state + (s.t + 1) * BH + b * H, acts + s.gates(4) + b * 4 * H};
}
template <class T>
FLX_HD void gru_fwd_unit(int64_t H, int64_t j, const T* __restrict x, const T* __restrict r, const T* __restrict hprev,
                         T* __restrict h, T* __restrict a) {
  const T rr = fm::sigmoid(T(x[j] + r[j])), z = fm::sigmoid(T(x[H + j] + r[H + j]));
  const T hn = r[2 * H + j];
  const T n = fm::tanh(T(x[2 * H + j] + rr * hn));
  h[j] = (T(1) - z) * n + z * hprev[j];
  a[j] = rr, a[H + j] = z, a[2 * H + j] = n, a[3 * H + j] = hn;
}

// gh: the cotangent of this step's h. Writes the input projection's cotangent into dxg at t,
// the recurrent projection's into dhg [B, 3H], and the direct part z ∘ gh of the previous h's
// into dh (the rest reaches it through dhg and W_hh).
template <class T>
struct GruBwdRows {
  T* dx;           // dxg[t] for the sample (3H)
  T* dr;           // dhg (3H)
  T* dh;           // (H)
  const T* gh;     // (H)
  const T* a;      // acts[t] (4H)
  const T* hprev;  // (H)
};
template <class T>
FLX_HD GruBwdRows<T> gru_bwd_rows(const Step& s, int64_t b, T* dxg, T* dhg, T* dh, const T* gh, const T* acts, const T* state) {
  const int64_t H = s.H, k = b * H;
  return {dxg + s.gates(3) + b * 3 * H, dhg + b * 3 * H, dh + k, gh + k, acts + s.gates(4) + b * 4 * H, state + s.t * s.B * H + k};
}
template <class T>
FLX_HD void gru_bwd_unit(int64_t H, int64_t j, T* __restrict dx, T* __restrict dr_, T* __restrict dh, const T* __restrict gh,
                         const T* __restrict a, const T* __restrict hprev) {
  const T rr = a[j], z = a[H + j], n = a[2 * H + j], hn = a[3 * H + j];
  const T dn = gh[j] * (T(1) - z) * (T(1) - n * n);
  const T dz = gh[j] * (hprev[j] - n) * z * (T(1) - z);
  const T dr = dn * hn * rr * (T(1) - rr);
  dx[j] = dr, dx[H + j] = dz, dx[2 * H + j] = dn;
  dr_[j] = dr, dr_[H + j] = dz, dr_[2 * H + j] = dn * rr;
  dh[j] = gh[j] * z;
}

// One (sample b, unit j) at a time: what a device thread computes.
template <class T>
FLX_HD void lstm_forward(const Step& s, int64_t b, int64_t j, T* state, T* acts, const T* xg, const T* hg) {
  const LstmFwdRows<T> p = lstm_fwd_rows(s, b, state, acts, xg, hg);
  lstm_fwd_unit<T>(s.H, j, p.x, p.r, p.cprev, p.h, p.c, p.a);
}
template <class T>
FLX_HD void lstm_backward(const Step& s, int64_t b, int64_t j, T* dxg, T* dc, const T* gh, const T* gc, const T* acts, const T* state) {
  const LstmBwdRows<T> p = lstm_bwd_rows(s, b, dxg, dc, gh, gc, acts, state);
  lstm_bwd_unit<T>(s.H, j, p.d, p.dc, p.gh, p.gc, p.a, p.c, p.cprev);
}
template <class T>
FLX_HD void gru_forward(const Step& s, int64_t b, int64_t j, T* state, T* acts, const T* xg, const T* hg) {
  const GruFwdRows<T> p = gru_fwd_rows(s, b, state, acts, xg, hg);
  gru_fwd_unit<T>(s.H, j, p.x, p.r, p.hprev, p.h, p.a);
}
template <class T>
FLX_HD void gru_backward(const Step& s, int64_t b, int64_t j, T* dxg, T* dhg, T* dh, const T* gh, const T* acts, const T* state) {
  const GruBwdRows<T> p = gru_bwd_rows(s, b, dxg, dhg, dh, gh, acts, state);
  gru_bwd_unit<T>(s.H, j, p.dx, p.dr, p.dh, p.gh, p.a, p.hprev);
}

}  // namespace rnn
}  // namespace flx
