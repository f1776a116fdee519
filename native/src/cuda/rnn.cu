// The fused recurrent cells on the device: the CUDA twins of cpu/rnn.cc, a thread per
// (sample, hidden unit), over the same per-unit functions (rnn_cells.h).
#include "../kernels.h"
#include "../rnn_args.h"
#include "../rnn_cells.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

template <class T>
__global__ void lstm_forward_kernel(rnn::Step s, T* state, T* acts, const T* xg, const T* hg) {
  for (int64_t k = grid_first(); k < s.B * s.H; k += grid_step()) rnn::lstm_forward<T>(s, k / s.H, k % s.H, state, acts, xg, hg);
}
template <class T>
__global__ void lstm_backward_kernel(rnn::Step s, T* dxg, T* dc, const T* gh, const T* gc, const T* acts, const T* state) {
  for (int64_t k = grid_first(); k < s.B * s.H; k += grid_step()) rnn::lstm_backward<T>(s, k / s.H, k % s.H, dxg, dc, gh, gc, acts, state);
}
template <class T>
__global__ void gru_forward_kernel(rnn::Step s, T* state, T* acts, const T* xg, const T* hg) {
  for (int64_t k = grid_first(); k < s.B * s.H; k += grid_step()) rnn::gru_forward<T>(s, k / s.H, k % s.H, state, acts, xg, hg);
}
template <class T>
__global__ void gru_backward_kernel(rnn::Step s, T* dxg, T* dhg, T* dh, const T* gh, const T* acts, const T* state) {
  for (int64_t k = grid_first(); k < s.B * s.H; k += grid_step()) rnn::gru_backward<T>(s, k / s.H, k % s.H, dxg, dhg, dh, gh, acts, state);
}

}  // namespace
}  // namespace cu

void lstmCell_cuda(Call& c) {
  using namespace cu;
  const rnn::CellArgs a = rnn::lstm_cell_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  cudaStream_t st = stream("lstmCell");
  if (d.B * d.H == 0) return;
  with_float_dtype("lstmCell", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    lstm_forward_kernel<T><<<grid_for(d.B * d.H), kThreads, 0, st>>>(rnn::Step{d.B, d.H, d.t}, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>());
  });
  check_launch("lstmCell");
}

void lstmCellGrad_cuda(Call& c) {
  using namespace cu;
  const rnn::CellArgs a = rnn::lstm_cell_grad_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  cudaStream_t st = stream("lstmCellGrad");
  if (d.B * d.H == 0) return;
  with_float_dtype("lstmCellGrad", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    lstm_backward_kernel<T><<<grid_for(d.B * d.H), kThreads, 0, st>>>(rnn::Step{d.B, d.H, d.t}, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>(),
                                                                        b[4].as<T>(), b[5].as<T>());
  });
  check_launch("lstmCellGrad");
}

void gruCell_cuda(Call& c) {
  using namespace cu;
  const rnn::CellArgs a = rnn::gru_cell_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  cudaStream_t st = stream("gruCell");
  if (d.B * d.H == 0) return;
  with_float_dtype("gruCell", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    gru_forward_kernel<T><<<grid_for(d.B * d.H), kThreads, 0, st>>>(rnn::Step{d.B, d.H, d.t}, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>());
  });
  check_launch("gruCell");
}

void gruCellGrad_cuda(Call& c) {
  using namespace cu;
  const rnn::CellArgs a = rnn::gru_cell_grad_args(c);
  const Buf* b = a.b;
  const rnn::Dims& d = a.d;
  cudaStream_t st = stream("gruCellGrad");
  if (d.B * d.H == 0) return;
  with_float_dtype("gruCellGrad", b[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    gru_backward_kernel<T><<<grid_for(d.B * d.H), kThreads, 0, st>>>(rnn::Step{d.B, d.H, d.t}, b[0].as<T>(), b[1].as<T>(), b[2].as<T>(), b[3].as<T>(),
                                                                       b[4].as<T>(), b[5].as<T>());
  });
  check_launch("gruCellGrad");
}

}  // namespace flx
