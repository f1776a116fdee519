// Unary ops (strided in, strided out) and their fused derivative kernels: the CUDA twin of
// cpu/unary.cc, over the same functors.
#include "../ops.def"
#include "../scalar_ops.h"
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

#define X(name) #name,
const AddKernels kAddUnary(&KernelList::unary, {FLUXION_UNARY_OPS(X)});
const AddKernels kAddUnaryGrad(&KernelList::unaryGrad, {FLUXION_UNARY_GRAD_OPS(X)});
#undef X

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

// cudaUnary(op, dtype, x, out, xLen, outLen); meta: ndim, shape, out offset+strides, x offset+strides
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = int_arg(info, 0, "cudaUnary: op");
  FLX_THROW_IF(op < 0 || op >= kNumUnaryOps, env, RangeError, "cudaUnary: unknown op");
  const DType dt = dtype_arg(info, 1, "cudaUnary: dtype");
  const Dev ops[2] = {dev_arg(info, 3, count_arg(info, 5, "cudaUnary: outLen"), dt, "cudaUnary: out"),
                      dev_arg(info, 2, count_arg(info, 4, "cudaUnary: xLen"), dt, "cudaUnary: x")};
  static const char* names[2] = {"cudaUnary: out", "cudaUnary: x"};
  Strided<2> it = read_strided<2>(env, ops, names);
  cudaStream_t s = stream(env, "cudaUnary");
  for (int k = 0; k < 2; ++k) check_operand(env, names[k], ops[k]);
  const int64_t n = it.numel();
  if (n == 0) return env.Undefined();
  it.coalesce();
  const Geo<2> g = geo(it);
  with_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    unary_launch<T>(op, g, n, s, ops[0].as<T>(), ops[1].as<T>());
  });
  check_launch(env, "cudaUnary");
  return env.Undefined();
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

// cudaUnaryGrad(op, dtype, x, y, g, out, n): contiguous arrays of n elements; out = g * f'(x).
Napi::Value UnaryGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = int_arg(info, 0, "cudaUnaryGrad: op");
  FLX_THROW_IF(op < 0 || op >= kNumUnaryGradOps, env, RangeError, "cudaUnaryGrad: unknown op");
  const DType dt = dtype_arg(info, 1, "cudaUnaryGrad: dtype");
  const int64_t n = count_arg(info, 6, "cudaUnaryGrad: n");
  const Dev x = dev_arg(info, 2, n, dt, "cudaUnaryGrad: x"), y = dev_arg(info, 3, n, dt, "cudaUnaryGrad: y"),
            g = dev_arg(info, 4, n, dt, "cudaUnaryGrad: g"), out = dev_arg(info, 5, n, dt, "cudaUnaryGrad: out");
  with_float_dtype(env, "cudaUnaryGrad", dt, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream(env, "cudaUnaryGrad");
    check_operand(env, "cudaUnaryGrad: x", x);
    check_operand(env, "cudaUnaryGrad: y", y);
    check_operand(env, "cudaUnaryGrad: g", g);
    check_operand(env, "cudaUnaryGrad: out", out);
    if (n == 0) return;
    grad_launch<T>(op, n, s, out.as<T>(), x.as<T>(), y.as<T>(), g.as<T>());
    check_launch(env, "cudaUnaryGrad");
  });
  return env.Undefined();
}

}  // namespace

void register_unary(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaUnary", Napi::Function::New(env, Unary, "cudaUnary"));
  exports.Set("cudaUnaryGrad", Napi::Function::New(env, UnaryGrad, "cudaUnaryGrad"));
}

}  // namespace cu
}  // namespace flx
