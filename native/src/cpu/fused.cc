// The fused forward kernel of a dense layer, y = σ(x Wᵀ + b): bias and activation in one pass
// over the GEMM's result where the composed ops take two.
//   biasAct(y, bias|null, act, rows, cols)    y = act(y + bias) in place (act: a unary op
//                                             code, or -1 for none)
// It uses the same scalar functors as the binary and unary kernels, so it gives their bits.
// (A backward twin, g·f'(y) with the bias gradient's column sums in the same pass, measured
// no faster than the two kernels once the sums were vectorised, and was left out.)

#include "../scalar_ops.h"
#include "../kernels.h"
#include "simd.h"
#include "strided.h"

namespace flx {
namespace {

enum UnaryOp {
#define X(name) kAct_##name,
  FLUXION_UNARY_OPS(X)
#undef X
};

struct NoAct {
  template <class T> T operator()(T x) const { return x; }
};

template <class F>
constexpr bool cheap_act = std::is_same_v<F, NoAct> || std::is_same_v<F, un::relu>;

template <class T, class F>
FLX_MULTIVERSION void bias_act_row(int64_t n, T* __restrict row, const T* __restrict bias) {
  F f;
  if (bias != nullptr) for (int64_t c = 0; c < n; ++c) row[c] = f(T(row[c] + bias[c]));
  else for (int64_t c = 0; c < n; ++c) row[c] = f(row[c]);
}

template <class T, class F>
void bias_act(int64_t rows, int64_t cols, T* y, const T* bias) {
  const int64_t grain = cheap_act<F> ? kGrainCheap : kGrainCostly;
  parallel_for(rows, std::max<int64_t>(1, grain / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) bias_act_row<T, F>(cols, y + r * cols, bias);
  });
}

template <class T>
void bias_act_typed(int act, int64_t rows, int64_t cols, T* y, const T* bias) {
  if (act < 0) return bias_act<T, NoAct>(rows, cols, y, bias);
  switch (act) {
#define X(name) case kAct_##name: return bias_act<T, un::name>(rows, cols, y, bias);
    FLUXION_UNARY_OPS(X)
#undef X
  }
}

}  // namespace

// biasAct(y, bias|null, act, cols): the rows are y's length / cols, worked out here (a row
// count passed in could overflow rows * cols and pass a length check).
void biasAct_cpu(Call& c) {
  const Buf y = c.buf(0, "y");
  const Buf bias = c.opt_buf(1, "bias");
  const int act = int(c.integer(2, "act", INT32_MIN, INT32_MAX));
  const int64_t cols = c.integer(3, "cols", 0, int64_t(1) << 62);
  FLX_CHECK(act < -1 || act >= kNumUnary, range, "biasAct: unknown activation");
  FLX_CHECK((cols == 0 && y.len != 0) || (cols > 0 && y.len % cols != 0), range,
            "biasAct: y's length must be a multiple of cols");
  FLX_CHECK(bias.present && (bias.len != cols || bias.dtype != y.dtype), range,
            "biasAct: bias must hold cols elements of y's dtype");
  if (y.len == 0) return;
  const size_t esize = dtype_size(y.dtype);
  const char* y0 = static_cast<const char*>(y.data);
  const char* b0 = static_cast<const char*>(bias.data);
  FLX_CHECK(bias.present && b0 < y0 + y.len * esize && y0 < b0 + bias.len * esize, range, "biasAct: bias overlaps y");
  const int64_t rows = y.len / cols;
  with_float_dtype("biasAct", y.dtype, [&](auto tag) {
    using T = decltype(tag);
    bias_act_typed<T>(act, rows, cols, y.as<T>(), bias.present ? bias.as<T>() : nullptr);
  });
}

}  // namespace flx
