// Binary ops over broadcast operands (one template for every op, the functors of
// scalar_ops.h) and `where`: the CUDA twin of cpu/binary.cc.
#include "../ops.def"
#include "../scalar_ops.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

enum BinaryOp {
#define X(name) kBin_##name,
  FLUXION_BINARY_OPS(X)
#undef X
  kNumBinaryOps
};

#define X(name) #name,
const AddKernels kAddBinary(&KernelList::binary, {FLUXION_BINARY_OPS(X)});
#undef X
const AddKernels kAddWhere(&KernelList::other, {"where"});

// One dim left after coalescing (contiguous, a broadcast scalar, or one stride): a flat loop.
// Otherwise each element finds its offsets from its flat index.
template <class T, class F>
__global__ void binary_kernel(Geo<3> g, int64_t n, T* out, const T* a, const T* b) {
  F f;
  if (g.ndim == 1) {
    const int64_t so = g.str[0][0], sa = g.str[1][0], sb = g.str[2][0];
    T* po = out + g.off[0];
    const T* pa = a + g.off[1];
    const T* pb = b + g.off[2];
    for (int64_t i = grid_first(); i < n; i += grid_step()) po[i * so] = f(pa[i * sa], pb[i * sb]);
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[3];
      g.offsets(i, o);
      out[o[0]] = f(a[o[1]], b[o[2]]);
    }
  }
}

template <class T>
void binary_launch(int op, const Geo<3>& g, int64_t n, cudaStream_t s, T* out, const T* a, const T* b) {
  const unsigned blocks = grid_for(n);
  switch (op) {
#define X(name) \
  case kBin_##name: binary_kernel<T, bin::name><<<blocks, kThreads, 0, s>>>(g, n, out, a, b); break;
    FLUXION_BINARY_OPS(X)
#undef X
  }
}

// cudaBinary(op, dtype, a, b, out, aLen, bLen, outLen)
// meta: ndim, shape, out offset+strides, a offset+strides, b offset+strides (as cpu binary)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = int_arg(info, 0, "cudaBinary: op");
  FLX_THROW_IF(op < 0 || op >= kNumBinaryOps, env, RangeError, "cudaBinary: unknown op");
  const DType dt = dtype_arg(info, 1, "cudaBinary: dtype");
  const Dev ops[3] = {dev_arg(info, 4, count_arg(info, 7, "cudaBinary: outLen"), dt, "cudaBinary: out"),
                      dev_arg(info, 2, count_arg(info, 5, "cudaBinary: aLen"), dt, "cudaBinary: a"),
                      dev_arg(info, 3, count_arg(info, 6, "cudaBinary: bLen"), dt, "cudaBinary: b")};
  static const char* names[3] = {"cudaBinary: out", "cudaBinary: a", "cudaBinary: b"};
  Strided<3> it = read_strided<3>(env, ops, names);
  cudaStream_t s = stream(env, "cudaBinary");
  for (int k = 0; k < 3; ++k) check_operand(env, names[k], ops[k]);
  const int64_t n = it.numel();
  if (n == 0) return env.Undefined();
  it.coalesce();
  const Geo<3> g = geo(it);
  with_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    binary_launch<T>(op, g, n, s, ops[0].as<T>(), ops[1].as<T>(), ops[2].as<T>());
  });
  check_launch(env, "cudaBinary");
  return env.Undefined();
}

template <class T>
__global__ void where_kernel(Geo<4> g, int64_t n, T* out, const T* c, const T* a, const T* b) {
  if (g.ndim == 1) {
    const int64_t so = g.str[0][0], sc = g.str[1][0], sa = g.str[2][0], sb = g.str[3][0];
    T* po = out + g.off[0];
    const T* pc = c + g.off[1];
    const T* pa = a + g.off[2];
    const T* pb = b + g.off[3];
    for (int64_t i = grid_first(); i < n; i += grid_step()) po[i * so] = pc[i * sc] != T(0) ? pa[i * sa] : pb[i * sb];
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[4];
      g.offsets(i, o);
      out[o[0]] = c[o[1]] != T(0) ? a[o[2]] : b[o[3]];
    }
  }
}

// cudaWhere(dtype, cond, a, b, out, condLen, aLen, bLen, outLen): cond is 0/1 in the same dtype.
// meta: as cpu where (ndim, shape, out, cond, a, b views)
Napi::Value Where(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType dt = dtype_arg(info, 0, "cudaWhere: dtype");
  const Dev ops[4] = {dev_arg(info, 4, count_arg(info, 8, "cudaWhere: outLen"), dt, "cudaWhere: out"),
                      dev_arg(info, 1, count_arg(info, 5, "cudaWhere: condLen"), dt, "cudaWhere: cond"),
                      dev_arg(info, 2, count_arg(info, 6, "cudaWhere: aLen"), dt, "cudaWhere: a"),
                      dev_arg(info, 3, count_arg(info, 7, "cudaWhere: bLen"), dt, "cudaWhere: b")};
  static const char* names[4] = {"cudaWhere: out", "cudaWhere: cond", "cudaWhere: a", "cudaWhere: b"};
  Strided<4> it = read_strided<4>(env, ops, names);
  cudaStream_t s = stream(env, "cudaWhere");
  for (int k = 0; k < 4; ++k) check_operand(env, names[k], ops[k]);
  const int64_t n = it.numel();
  if (n == 0) return env.Undefined();
  it.coalesce();
  const Geo<4> g = geo(it);
  with_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    where_kernel<T><<<grid_for(n), kThreads, 0, s>>>(g, n, ops[0].as<T>(), ops[1].as<T>(), ops[2].as<T>(), ops[3].as<T>());
  });
  check_launch(env, "cudaWhere");
  return env.Undefined();
}

}  // namespace

void register_binary(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaBinary", Napi::Function::New(env, Binary, "cudaBinary"));
  exports.Set("cudaWhere", Napi::Function::New(env, Where, "cudaWhere"));
}

}  // namespace cu
}  // namespace flx
