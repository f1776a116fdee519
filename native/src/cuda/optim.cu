// Fused optimiser steps, in place on contiguous parameter / gradient / state arrays: the same
// rule and the same host-side constants as cpu/optim.cc.
#include <cmath>

#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

// Each new parameter value that is not finite adds one to *counter (when given): rare, so one
// atomic per such element costs nothing in the usual case.
template <class T>
__global__ void sgd_kernel(int64_t n, T lr, T* p, const T* g, int* counter) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const T v = p[i] - lr * g[i];
    p[i] = v;
    if (counter != nullptr && !isfinite(v)) atomicAdd(counter, 1);
  }
}

template <class T>
struct AdamConst {
  T b1, b2, eps, a, ic2, wd;
};

template <class T>
__global__ void adam_kernel(int64_t n, AdamConst<T> c, T* __restrict__ p, const T* __restrict__ g,
                            T* __restrict__ m, T* __restrict__ v, int* counter) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    const T gi = g[i];
    const T mi = c.b1 * m[i] + (T(1) - c.b1) * gi;
    const T vi = c.b2 * v[i] + (T(1) - c.b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const T pi = p[i];
    const T np = pi - (c.a * mi / (std::sqrt(vi * c.ic2) + c.eps) + c.wd * pi);
    p[i] = np;
    if (counter != nullptr && !isfinite(np)) atomicAdd(counter, 1);
  }
}

void check_same(const char* op, const Buf& a, const Buf& b) {
  FLX_CHECK(a.len != b.len, range, std::string(op) + ": lengths differ");
  FLX_CHECK(a.dtype != b.dtype || a.dtype == DType::i32, type, std::string(op) + ": dtypes differ");
}

// The optional counter argument: one int32 on the device, added to.
int* counter_arg(Call& c, size_t i) {
  const Buf n = c.opt_buf(i, "nonFinite");
  if (!n.present) return nullptr;
  FLX_CHECK(n.dtype != DType::i32 || n.len != 1, type, std::string(c.kernel()) + ": nonFinite must be one int32");
  return n.as<int>();
}

}  // namespace
}  // namespace cu

// sgdStep(p, g, lr): as sgdStep_cpu.
void sgdStep_cuda(Call& c) {
  using namespace cu;
  const Buf p = c.buf(0, "p"), g = c.buf(1, "g");
  const double lr = c.num(2, "lr");
  check_same("sgdStep", p, g);
  int* counter = counter_arg(c, 3);
  with_float_dtype("sgdStep", p.dtype, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream("sgdStep");
    if (p.len == 0) return;
    sgd_kernel<T><<<grid_for(p.len), kThreads, 0, s>>>(p.len, T(lr), p.as<T>(), g.as<T>(), counter);
    check_launch("sgdStep");
  });
}

// adamStep(p, g, m, v, lr, beta1, beta2, eps, step, decay): as adamStep_cpu.
void adamStep_cuda(Call& c) {
  using namespace cu;
  const Buf p = c.buf(0, "p"), g = c.buf(1, "g"), m = c.buf(2, "m"), v = c.buf(3, "v");
  check_same("adamStep", p, g);
  check_same("adamStep", p, m);
  check_same("adamStep", p, v);
  const double lr = c.num(4, "lr"), b1 = c.num(5, "beta1"), b2 = c.num(6, "beta2"), eps = c.num(7, "eps"),
               step = c.num(8, "step"), decay = c.num(9, "decay");
  const double c1 = 1.0 - std::pow(b1, step), c2 = 1.0 - std::pow(b2, step);
  int* counter = counter_arg(c, 10);
  with_float_dtype("adamStep", p.dtype, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream("adamStep");
    if (p.len == 0) return;
    const AdamConst<T> k{T(b1), T(b2), T(eps), T(lr / c1), T(1.0 / c2), T(lr * decay)};
    adam_kernel<T><<<grid_for(p.len), kThreads, 0, s>>>(p.len, k, p.as<T>(), g.as<T>(), m.as<T>(), v.as<T>(), counter);
    check_launch("adamStep");
  });
}

}  // namespace flx
