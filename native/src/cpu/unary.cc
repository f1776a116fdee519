// Unary ops (strided in, strided out) and their fused derivative kernels.
#include "../scalar_ops.h"
#include "kernels.h"
#include "strided.h"

namespace flx {
namespace {

enum UnaryOp {
#define X(name) kUn_##name,
  FLUXION_UNARY_OPS(X)
#undef X
};
enum UnaryGradOp {
#define X(name) kUnGrad_##name,
  FLUXION_UNARY_GRAD_OPS(X)
#undef X
};

// Ops that are a compare, a sign flip or one division per element: memory-bound.
template <class F>
constexpr bool cheap_unary =
    std::is_same_v<F, un::neg> || std::is_same_v<F, un::abs> || std::is_same_v<F, un::sign> ||
    std::is_same_v<F, un::relu> || std::is_same_v<F, un::recip>;

template <class T, class F>
void unary_loop(const Strided<2>& it, T* out, const T* x) {
  F f;
  // Transcendental ops cost more per element, so they go parallel sooner.
  it.run([&](const int64_t* o, int64_t n, const int64_t* s) {
    T* po = out + o[0];
    const T* px = x + o[1];
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(px[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * s[0]] = f(px[i * s[1]]);
    }
  }, cheap_unary<F> ? kGrainCheap : kGrainCostly);
}

template <class T>
void unary_typed(int op, const Strided<2>& it, T* out, const T* x) {
  switch (op) {
#define X(name) case kUn_##name: return unary_loop<T, un::name>(it, out, x);
    FLUXION_UNARY_OPS(X)
#undef X
  }
}

// unary(op, x, out); meta: ndim, shape, out offset+strides, x offset+strides
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int op = info[0].As<Napi::Number>().Int32Value();
  FLX_THROW_IF(op < 0 || op >= kNumUnary, env, RangeError, "unary: unknown op");
  Arr x = arr(info, 1, "unary: x"), out = arr(info, 2, "unary: out");
  FLX_THROW_IF(x.dtype != out.dtype, env, TypeError, "unary: x and out must share one dtype");
  const int64_t lens[2] = {out.len, x.len};
  static const char* names[2] = {"unary: out", "unary: x"};
  Strided<2> it = read_strided_meta<2>(env, lens, names);
  it.coalesce();
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    unary_typed<T>(op, it, out.as<T>(), x.as<T>());
  });
  return env.Undefined();
}

template <class T, class F>
void grad_loop(int64_t n, T* out, const T* x, const T* y, const T* g) {
  F f;
  // relu, tanh and sigmoid derivatives are a few multiplies (memory-bound); softplus and
  // gelu evaluate exp / tanh.
  constexpr bool cheap = std::is_same_v<F, ungrad::relu> || std::is_same_v<F, ungrad::tanh> ||
                         std::is_same_v<F, ungrad::sigmoid>;
  parallel_for(n, cheap ? kGrainCheap : kGrainCostly, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = f(x[i], y[i], g[i]);
  });
}

template <class T>
void grad_typed(int op, int64_t n, T* out, const T* x, const T* y, const T* g) {
  switch (op) {
#define X(name) case kUnGrad_##name: return grad_loop<T, ungrad::name>(n, out, x, y, g);
    FLUXION_UNARY_GRAD_OPS(X)
#undef X
  }
}

// unaryGrad(op, x, y, g, out): contiguous arrays of one length; out = g * f'(x).
Napi::Value UnaryGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int op = info[0].As<Napi::Number>().Int32Value();
  FLX_THROW_IF(op < 0 || op >= kNumUnaryGrad, env, RangeError, "unaryGrad: unknown op");
  Arr x = arr(info, 1, "unaryGrad: x"), y = arr(info, 2, "unaryGrad: y"), g = arr(info, 3, "unaryGrad: g"),
      out = arr(info, 4, "unaryGrad: out");
  FLX_THROW_IF(x.len != out.len || y.len != out.len || g.len != out.len, env, RangeError,
               "unaryGrad: lengths differ");
  FLX_THROW_IF(x.dtype != out.dtype || y.dtype != out.dtype || g.dtype != out.dtype, env, TypeError,
               "unaryGrad: dtypes differ");
  with_float_dtype(env, "unaryGrad", out.dtype, [&](auto tag) {
    using T = decltype(tag);
    grad_typed<T>(op, out.len, out.as<T>(), x.as<T>(), y.as<T>(), g.as<T>());
  });
  return env.Undefined();
}

}  // namespace

void register_unary(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("unaryGrad", Napi::Function::New(env, UnaryGrad, "unaryGrad"));
}

}  // namespace flx
