// Data movement: strided copy with dtype conversion (contiguous(), concat, cast, slice
// assignment), and gather / scatter-add along one dim (indexing and its gradient).
#include <cstring>

#include "kernels.h"
#include "strided.h"

namespace flx {
namespace {

template <class D, class S>
void copy_typed(const Strided<2>& it, D* dst, const S* src) {
  it.run([&](const int64_t* o, int64_t n, const int64_t* s) {
    D* pd = dst + o[0];
    const S* ps = src + o[1];
    if (s[0] == 1 && s[1] == 1) {
      if constexpr (std::is_same_v<D, S>) std::memcpy(pd, ps, sizeof(D) * size_t(n));
      else for (int64_t i = 0; i < n; ++i) pd[i] = D(ps[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) pd[i * s[0]] = D(ps[i * s[1]]);
    }
  }, kGrainCheap);
}

// copy(src, dst); meta: ndim, shape, dst offset+strides, src offset+strides (src may broadcast).
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr src = arr(info, 0, "copy: src"), dst = arr(info, 1, "copy: dst");
  const int64_t lens[2] = {dst.len, src.len};
  static const char* names[2] = {"copy: dst", "copy: src"};
  Strided<2> it = read_strided_meta<2>(env, lens, names);
  if (it.numel() == 0) return env.Undefined();
  it.coalesce();
  // every (dst, src) dtype pair: a copy between dtypes is a cast
  with_dtype(dst.dtype, [&](auto dtag) {
    with_dtype(src.dtype, [&](auto stag) {
      using D = decltype(dtag);
      using S = decltype(stag);
      copy_typed<D, S>(it, dst.as<D>(), src.as<S>());
    });
  });
  return env.Undefined();
}

struct IndexArgs { int64_t outer, n, inner, k; };

IndexArgs read_index_args(const Napi::CallbackInfo& info, size_t first) {
  IndexArgs a;
  a.outer = info[first].As<Napi::Number>().Int64Value();
  a.n = info[first + 1].As<Napi::Number>().Int64Value();
  a.inner = info[first + 2].As<Napi::Number>().Int64Value();
  a.k = info[first + 3].As<Napi::Number>().Int64Value();
  FLX_THROW_IF(a.outer < 0 || a.n < 0 || a.inner < 0 || a.k < 0, info.Env(), RangeError, "index: negative size");
  return a;
}

void check_indices(const Napi::Env& env, const Arr& idx, const IndexArgs& a) {
  FLX_THROW_IF(idx.dtype != DType::i32 || idx.len != a.k, env, TypeError, "index: indices must be an Int32Array of length k");
  const int32_t* p = idx.as<int32_t>();
  for (int64_t i = 0; i < a.k; ++i)
    FLX_THROW_IF(p[i] < 0 || p[i] >= a.n, env, RangeError, "index: index out of range");
}

template <class T>
void gather_typed(const IndexArgs& a, const int32_t* idx, T* out, const T* x) {
  parallel_for(a.outer * a.k, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(a.inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t o = r / a.k, j = r % a.k;
      std::memcpy(out + r * a.inner, x + (o * a.n + idx[j]) * a.inner, sizeof(T) * size_t(a.inner));
    }
  });
}

// gather(x, idx, out, outer, n, inner, k): x [outer, n, inner] contiguous -> out [outer, k, inner].
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr x = arr(info, 0, "gather: x"), idx = arr(info, 1, "gather: idx"), out = arr(info, 2, "gather: out");
  IndexArgs a = read_index_args(info, 3);
  FLX_THROW_IF(x.len != a.outer * a.n * a.inner || out.len != a.outer * a.k * a.inner, env, RangeError,
               "gather: lengths do not match the sizes");
  FLX_THROW_IF(x.dtype != out.dtype, env, TypeError, "gather: dtypes differ");
  check_indices(env, idx, a);
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    gather_typed<T>(a, idx.as<int32_t>(), out.as<T>(), x.as<T>());
  });
  return env.Undefined();
}

template <class T>
void scatter_add_typed(const IndexArgs& a, const int32_t* idx, T* out, const T* g) {
  // Split over `outer` only: repeated indices inside one outer slice stay on one thread.
  parallel_for(a.outer, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(a.k * a.inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (int64_t j = 0; j < a.k; ++j) {
        T* dst = out + (o * a.n + idx[j]) * a.inner;
        const T* src = g + (o * a.k + j) * a.inner;
        for (int64_t i = 0; i < a.inner; ++i) dst[i] += src[i];
      }
  });
}

// scatterAdd(g, idx, out, outer, n, inner, k): out [outer, n, inner] += g [outer, k, inner] at idx.
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr g = arr(info, 0, "scatterAdd: g"), idx = arr(info, 1, "scatterAdd: idx"), out = arr(info, 2, "scatterAdd: out");
  IndexArgs a = read_index_args(info, 3);
  FLX_THROW_IF(out.len != a.outer * a.n * a.inner || g.len != a.outer * a.k * a.inner, env, RangeError,
               "scatterAdd: lengths do not match the sizes");
  FLX_THROW_IF(g.dtype != out.dtype, env, TypeError, "scatterAdd: dtypes differ");
  check_indices(env, idx, a);
  with_dtype(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    scatter_add_typed<T>(a, idx.as<int32_t>(), out.as<T>(), g.as<T>());
  });
  return env.Undefined();
}

}  // namespace

void register_movement(Napi::Env env, Napi::Object exports) {
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd, "scatterAdd"));
}

}  // namespace flx
