// Unary ops (strided in, strided out) and their fused derivative kernels.
#include "../scalar_ops.h"
#include "../kernels.h"
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

}  // namespace

// unary(out, x, op); meta: ndim, shape, out offset+strides, x offset+strides
void unary_cpu(Call& c) {
  static const char* names[2] = {"out", "x"};
  const Buf bufs[2] = {c.buf(0, "out"), c.buf(1, "x")};
  const int op = int(c.op(2, kNumUnary));
  FLX_CHECK(bufs[1].dtype != bufs[0].dtype, type, "unary: x and out must share one dtype");
  Strided<2> it = read_strided_meta<2>(c, bufs, names);
  it.coalesce();
  with_dtype(bufs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    unary_typed<T>(op, it, bufs[0].as<T>(), bufs[1].as<T>());
  });
}

// unaryGrad(out, x, y, g, op): contiguous arrays of one length; out = g * f'(x).
void unaryGrad_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x"), y = c.buf(2, "y"), g = c.buf(3, "g");
  const int op = int(c.op(4, kNumUnaryGrad));
  FLX_CHECK(x.len != out.len || y.len != out.len || g.len != out.len, range, "unaryGrad: lengths differ");
  FLX_CHECK(x.dtype != out.dtype || y.dtype != out.dtype || g.dtype != out.dtype, type, "unaryGrad: dtypes differ");
  with_float_dtype("unaryGrad", out.dtype, [&](auto tag) {
    using T = decltype(tag);
    grad_typed<T>(op, out.len, out.as<T>(), x.as<T>(), y.as<T>(), g.as<T>());
  });
}

}  // namespace flx
