// Data movement: strided copy with dtype conversion, and gather / scatter-add along one dim:
// the CUDA twin of cpu/movement.cc.
#include <type_traits>

#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

const AddKernels kAddOther(&KernelList::other, {"copy", "gather", "scatterAdd"});

template <class D, class S>
__global__ void copy_kernel(Geo<2> g, int64_t n, D* dst, const S* src) {
  if (g.ndim == 1) {
    const int64_t sd = g.str[0][0], ss = g.str[1][0];
    D* pd = dst + g.off[0];
    const S* ps = src + g.off[1];
    for (int64_t i = grid_first(); i < n; i += grid_step()) pd[i * sd] = D(ps[i * ss]);
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[2];
      g.offsets(i, o);
      dst[o[0]] = D(src[o[1]]);
    }
  }
}

// cudaCopy(dstDtype, srcDtype, src, dst, srcLen, dstLen)
// meta: ndim, shape, dst offset+strides, src offset+strides (src may broadcast), as cpu copy.
// A copy between dtypes is a cast (float -> int32 truncates; out-of-range values saturate on the
// device, where the CPU's result is unspecified).
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType ddt = dtype_arg(info, 0, "cudaCopy: dstDtype"), sdt = dtype_arg(info, 1, "cudaCopy: srcDtype");
  const Dev ops[2] = {dev_arg(info, 3, count_arg(info, 5, "cudaCopy: dstLen"), ddt, "cudaCopy: dst"),
                      dev_arg(info, 2, count_arg(info, 4, "cudaCopy: srcLen"), sdt, "cudaCopy: src")};
  static const char* names[2] = {"cudaCopy: dst", "cudaCopy: src"};
  Strided<2> it = read_strided<2>(env, ops, names);
  cudaStream_t s = stream(env, "cudaCopy");
  for (int k = 0; k < 2; ++k) check_operand(env, names[k], ops[k]);
  const int64_t n = it.numel();
  if (n == 0) return env.Undefined();
  it.coalesce();
  if (ddt == sdt && it.ndim == 1 && it.strides[0][0] == 1 && it.strides[1][0] == 1) {
    const size_t es = dtype_size(ddt);
    check(env, "cudaCopy",
          cudaMemcpyAsync(reinterpret_cast<char*>(static_cast<uintptr_t>(ops[0].p)) + it.offset[0] * int64_t(es),
                          reinterpret_cast<const char*>(static_cast<uintptr_t>(ops[1].p)) + it.offset[1] * int64_t(es),
                          size_t(n) * es, cudaMemcpyDeviceToDevice, s));
    return env.Undefined();
  }
  const Geo<2> g = geo(it);
  with_dtype(ddt, [&](auto dtag) {
    with_dtype(sdt, [&](auto stag) {
      using D = decltype(dtag);
      using S = decltype(stag);
      copy_kernel<D, S><<<grid_for(n), kThreads, 0, s>>>(g, n, ops[0].as<D>(), ops[1].as<S>());
    });
  });
  check_launch(env, "cudaCopy");
  return env.Undefined();
}

struct IndexArgs {
  int64_t outer, n, inner, k;
};

IndexArgs read_index_args(const Napi::CallbackInfo& info, size_t first, const char* what) {
  const std::string w(what);
  IndexArgs a;
  a.outer = count_arg(info, first, (w + ": outer").c_str());
  a.n = count_arg(info, first + 1, (w + ": n").c_str());
  a.inner = count_arg(info, first + 2, (w + ": inner").c_str());
  a.k = count_arg(info, first + 3, (w + ": k").c_str());
  FLX_THROW_IF(a.n > INT32_MAX, info.Env(), RangeError, w + ": n beyond int32 indices");
  return a;
}

// out [outer, k, inner] = x [outer, n, inner] at idx; an out-of-range index (TypeScript has
// validated them already) reads as 0 instead of reading outside x.
template <class T>
__global__ void gather_kernel(IndexArgs a, int64_t total, const int32_t* idx, T* out, const T* x) {
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t r = e / a.inner, i = e - r * a.inner;
    const int64_t o = r / a.k, j = r - o * a.k;
    const int32_t id = idx[j];
    out[e] = (id >= 0 && id < a.n) ? x[(o * a.n + id) * a.inner + i] : T(0);
  }
}

// cudaGather(dtype, x, idx, out, outer, n, inner, k): x [outer, n, inner] contiguous ->
// out [outer, k, inner]; idx is a device Int32 array of k indices.
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType dt = dtype_arg(info, 0, "cudaGather: dtype");
  const IndexArgs a = read_index_args(info, 4, "cudaGather");
  const int64_t xlen = mul_checked(env, "cudaGather", mul_checked(env, "cudaGather", a.outer, a.n), a.inner);
  const int64_t olen = mul_checked(env, "cudaGather", mul_checked(env, "cudaGather", a.outer, a.k), a.inner);
  const Dev x = dev_arg(info, 1, xlen, dt, "cudaGather: x"), idx = dev_arg(info, 2, a.k, DType::i32, "cudaGather: idx"),
            out = dev_arg(info, 3, olen, dt, "cudaGather: out");
  cudaStream_t s = stream(env, "cudaGather");
  check_operand(env, "cudaGather: x", x);
  check_operand(env, "cudaGather: idx", idx);
  check_operand(env, "cudaGather: out", out);
  if (olen == 0) return env.Undefined();
  with_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    gather_kernel<T><<<grid_for(olen), kThreads, 0, s>>>(a, olen, idx.as<int32_t>(), out.as<T>(), x.as<T>());
  });
  check_launch(env, "cudaGather");
  return env.Undefined();
}

// out [outer, n, inner] += g [outer, k, inner] at idx, with atomics (indices may repeat).
// Out-of-range indices are skipped.
template <class T>
__global__ void scatter_add_kernel(IndexArgs a, int64_t total, const int32_t* idx, T* out, const T* g) {
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t r = e / a.inner, i = e - r * a.inner;
    const int64_t o = r / a.k, j = r - o * a.k;
    const int32_t id = idx[j];
    if (id >= 0 && id < a.n) atomicAdd(out + (o * a.n + id) * a.inner + i, g[e]);
  }
}

// cudaScatterAdd(dtype, g, idx, out, outer, n, inner, k): out is pre-zeroed by the caller.
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType dt = dtype_arg(info, 0, "cudaScatterAdd: dtype");
  const IndexArgs a = read_index_args(info, 4, "cudaScatterAdd");
  const int64_t olen = mul_checked(env, "cudaScatterAdd", mul_checked(env, "cudaScatterAdd", a.outer, a.n), a.inner);
  const int64_t glen = mul_checked(env, "cudaScatterAdd", mul_checked(env, "cudaScatterAdd", a.outer, a.k), a.inner);
  const Dev g = dev_arg(info, 1, glen, dt, "cudaScatterAdd: g"),
            idx = dev_arg(info, 2, a.k, DType::i32, "cudaScatterAdd: idx"),
            out = dev_arg(info, 3, olen, dt, "cudaScatterAdd: out");
  cudaStream_t s = stream(env, "cudaScatterAdd");
  check_operand(env, "cudaScatterAdd: g", g);
  check_operand(env, "cudaScatterAdd: idx", idx);
  check_operand(env, "cudaScatterAdd: out", out);
  if (glen == 0) return env.Undefined();
  with_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    scatter_add_kernel<T><<<grid_for(glen), kThreads, 0, s>>>(a, glen, idx.as<int32_t>(), out.as<T>(), g.as<T>());
  });
  check_launch(env, "cudaScatterAdd");
  return env.Undefined();
}

}  // namespace

void register_movement(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaCopy", Napi::Function::New(env, Copy, "cudaCopy"));
  exports.Set("cudaGather", Napi::Function::New(env, Gather, "cudaGather"));
  exports.Set("cudaScatterAdd", Napi::Function::New(env, ScatterAdd, "cudaScatterAdd"));
}

}  // namespace cu
}  // namespace flx
