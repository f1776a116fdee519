// Unary ops (strided in, strided out) and their fused derivative kernels: the CUDA twin of
// cpu/unary.cc, over the same functors.
#include "../ops.def"
#include "../scalar_ops.h"
#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

enum UnaryOp {
#define X(name) kUn_##name,
  FLUXION_UNARY_OPS(X)
#undef X
  kNumUnaryOps
};
enum UnaryGradOp {
#define X(name) kUnGrad_##name,
  FLUXION_UNARY_GRAD_OPS(X)
#undef X
  kNumUnaryGradOps
};

template <class T, class F>
__global__ void unary_kernel(Geo<2> g, int64_t n, T* out, const T* x) {
  F f;
  if (g.ndim == 1) {
    const int64_t so = g.str[0][0], sx = g.str[1][0];
    T* po = out + g.off[0];
    const T* px = x + g.off[1];
    for (int64_t i = grid_first(); i < n; i += grid_step()) po[i * so] = f(px[i * sx]);
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[2];
      g.offsets(i, o);
      out[o[0]] = f(x[o[1]]);
    }
  }
}

template <class T>
void unary_launch(int op, const Geo<2>& g, int64_t n, cudaStream_t s, T* out, const T* x) {
  const unsigned blocks = grid_for(n);
  switch (op) {
#define X(name) \
  case kUn_##name: unary_kernel<T, un::name><<<blocks, kThreads, 0, s>>>(g, n, out, x); break;
    FLUXION_UNARY_OPS(X)
#undef X
  }
}

template <class T, class F>
__global__ void grad_kernel(int64_t n, T* out, const T* x, const T* y, const T* g) {
  F f;
  for (int64_t i = grid_first(); i < n; i += grid_step()) out[i] = f(x[i], y[i], g[i]);
}

template <class T>
void grad_launch(int op, int64_t n, cudaStream_t s, T* out, const T* x, const T* y, const T* g) {
  const unsigned blocks = grid_for(n);
  switch (op) {
#define X(name) \
  case kUnGrad_##name: grad_kernel<T, ungrad::name><<<blocks, kThreads, 0, s>>>(n, out, x, y, g); break;
    FLUXION_UNARY_GRAD_OPS(X)
#undef X
  }
}

}  // namespace
}  // namespace cu

// unary(out, x, op): as unary_cpu.
void unary_cuda(Call& c) {
  using namespace cu;
  static const char* names[2] = {"out", "x"};
  const Buf bufs[2] = {c.buf(0, "out"), c.buf(1, "x")};
  const int op = c.op(2, kNumUnary);
  FLX_CHECK(bufs[1].dtype != bufs[0].dtype, type, "unary: x and out must share one dtype");
  Strided<2> it = read_strided_meta<2>(c, bufs, names);
  cudaStream_t s = stream("unary");
  const int64_t n = it.numel();
  if (n == 0) return;
  it.coalesce();
  const Geo<2> g = geo(it);
  with_dtype(bufs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    unary_launch<T>(op, g, n, s, bufs[0].as<T>(), bufs[1].as<T>());
  });
  check_launch("unary");
}

// unaryGrad(out, x, y, g, op): as unaryGrad_cpu.
void unaryGrad_cuda(Call& c) {
  using namespace cu;
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x"), y = c.buf(2, "y"), g = c.buf(3, "g");
  const int op = c.op(4, kNumUnaryGrad);
  FLX_CHECK(x.len != out.len || y.len != out.len || g.len != out.len, range, "unaryGrad: lengths differ");
  FLX_CHECK(x.dtype != out.dtype || y.dtype != out.dtype || g.dtype != out.dtype, type, "unaryGrad: dtypes differ");
  with_float_dtype("unaryGrad", out.dtype, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream("unaryGrad");
    if (out.len == 0) return;
    grad_launch<T>(op, out.len, s, out.as<T>(), x.as<T>(), y.as<T>(), g.as<T>());
    check_launch("unaryGrad");
  });
}

}  // namespace flx
