// The fused forward kernel of a dense layer, y = act(y + bias) in place: the CUDA twin of
// cpu/fused.cc, over the same scalar functors.
#include "../kernels.h"
#include "../scalar_ops.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

enum UnaryOp {
#define X(name) kAct_##name,
  FLUXION_UNARY_OPS(X)
#undef X
};

struct NoAct {
  template <class T> __device__ T operator()(T x) const { return x; }
};

template <class T, class F>
__global__ void bias_act_kernel(int64_t n, int64_t cols, T* y, const T* bias) {
  F f;
  for (int64_t i = grid_first(); i < n; i += grid_step()) y[i] = f(bias ? T(y[i] + bias[i % cols]) : y[i]);
}

template <class T>
void bias_act_launch(int act, int64_t n, int64_t cols, cudaStream_t s, T* y, const T* bias) {
  const unsigned blocks = grid_for(n);
  if (act < 0) {
    bias_act_kernel<T, NoAct><<<blocks, kThreads, 0, s>>>(n, cols, y, bias);
    return;
  }
  switch (act) {
#define X(name) \
  case kAct_##name: bias_act_kernel<T, un::name><<<blocks, kThreads, 0, s>>>(n, cols, y, bias); break;
    FLUXION_UNARY_OPS(X)
#undef X
  }
}

}  // namespace
}  // namespace cu

// biasAct(y, bias|null, act, cols): as biasAct_cpu.
void biasAct_cuda(Call& c) {
  using namespace cu;
  const Buf y = c.buf(0, "y");
  const Buf bias = c.opt_buf(1, "bias");
  const int act = int(c.integer(2, "act", INT32_MIN, INT32_MAX));
  const int64_t cols = c.integer(3, "cols", 0, int64_t(1) << 62);
  FLX_CHECK(act < -1 || act >= kNumUnary, range, "biasAct: unknown activation");
  FLX_CHECK((cols == 0 && y.len != 0) || (cols > 0 && y.len % cols != 0), range,
            "biasAct: y's length must be a multiple of cols");
  FLX_CHECK(bias.present && (bias.len != cols || bias.dtype != y.dtype), range,
            "biasAct: bias must hold cols elements of y's dtype");
  const size_t esize = dtype_size(y.dtype);
  const char* y0 = static_cast<const char*>(y.data);
  const char* b0 = static_cast<const char*>(bias.data);
  FLX_CHECK(bias.present && y.len > 0 && b0 < y0 + y.len * esize && y0 < b0 + bias.len * esize, range,
            "biasAct: bias overlaps y");
  with_float_dtype("biasAct", y.dtype, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream("biasAct");
    if (y.len == 0) return;
    bias_act_launch<T>(act, y.len, cols, s, y.as<T>(), bias.present ? bias.as<T>() : nullptr);
    check_launch("biasAct");
  });
}

}  // namespace flx
