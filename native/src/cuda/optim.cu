// Fused optimiser steps, in place on contiguous parameter / gradient / state arrays: the same
// rule and the same host-side constants as cpu/optim.cc.
#include <cmath>

#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

const AddKernels kAddOther(&KernelList::other, {"sgdStep", "adamStep"});

template <class T>
__global__ void sgd_kernel(int64_t n, T lr, T* p, const T* g) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) p[i] -= lr * g[i];
}

// cudaSgdStep(dtype, p, g, n, lr): p -= lr * g
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType dt = dtype_arg(info, 0, "cudaSgdStep: dtype");
  const int64_t n = count_arg(info, 3, "cudaSgdStep: n");
  const Dev p = dev_arg(info, 1, n, dt, "cudaSgdStep: p"), g = dev_arg(info, 2, n, dt, "cudaSgdStep: g");
  const double lr = num_arg(info, 4, "cudaSgdStep: lr");
  with_float_dtype(env, "cudaSgdStep", dt, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream(env, "cudaSgdStep");
    check_operand(env, "cudaSgdStep: p", p);
    check_operand(env, "cudaSgdStep: g", g);
    if (n == 0) return;
    sgd_kernel<T><<<grid_for(n), kThreads, 0, s>>>(n, T(lr), p.as<T>(), g.as<T>());
    check_launch(env, "cudaSgdStep");
  });
  return env.Undefined();
}

template <class T>
struct AdamConst {
  T b1, b2, eps, a, ic2, wd;
};

template <class T>
__global__ void adam_kernel(int64_t n, AdamConst<T> c, T* __restrict__ p, const T* __restrict__ g,
                            T* __restrict__ m, T* __restrict__ v) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const T gi = g[i];
    const T mi = c.b1 * m[i] + (T(1) - c.b1) * gi;
    const T vi = c.b2 * v[i] + (T(1) - c.b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const T pi = p[i];
    p[i] = pi - (c.a * mi / (std::sqrt(vi * c.ic2) + c.eps) + c.wd * pi);
  }
}

// cudaAdamStep(dtype, p, g, m, v, n, lr, b1, b2, eps, step, decay): Adam with bias correction;
// decay > 0 applies decoupled weight decay (AdamW): p -= lr * decay * p.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType dt = dtype_arg(info, 0, "cudaAdamStep: dtype");
  const int64_t n = count_arg(info, 5, "cudaAdamStep: n");
  const Dev p = dev_arg(info, 1, n, dt, "cudaAdamStep: p"), g = dev_arg(info, 2, n, dt, "cudaAdamStep: g"),
            m = dev_arg(info, 3, n, dt, "cudaAdamStep: m"), v = dev_arg(info, 4, n, dt, "cudaAdamStep: v");
  const double lr = num_arg(info, 6, "cudaAdamStep: lr"), b1 = num_arg(info, 7, "cudaAdamStep: b1"),
               b2 = num_arg(info, 8, "cudaAdamStep: b2"), eps = num_arg(info, 9, "cudaAdamStep: eps"),
               step = num_arg(info, 10, "cudaAdamStep: step"), decay = num_arg(info, 11, "cudaAdamStep: decay");
  const double c1 = 1.0 - std::pow(b1, step), c2 = 1.0 - std::pow(b2, step);
  with_float_dtype(env, "cudaAdamStep", dt, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream(env, "cudaAdamStep");
    check_operand(env, "cudaAdamStep: p", p);
    check_operand(env, "cudaAdamStep: g", g);
    check_operand(env, "cudaAdamStep: m", m);
    check_operand(env, "cudaAdamStep: v", v);
    if (n == 0) return;
    const AdamConst<T> c{T(b1), T(b2), T(eps), T(lr / c1), T(1.0 / c2), T(lr * decay)};
    adam_kernel<T><<<grid_for(n), kThreads, 0, s>>>(n, c, p.as<T>(), g.as<T>(), m.as<T>(), v.as<T>());
    check_launch(env, "cudaAdamStep");
  });
  return env.Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaSgdStep", Napi::Function::New(env, SgdStep, "cudaSgdStep"));
  exports.Set("cudaAdamStep", Napi::Function::New(env, AdamStep, "cudaAdamStep"));
}

}  // namespace cu
}  // namespace flx
