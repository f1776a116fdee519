// Scalar math shared by every device: the CPU kernels and the CUDA kernels use the
// same functors, so both agree by construction (to the last bits only for float64: exp,
// tanh and sigmoid of float32 take the host's vectorisable versions on the CPU, vecmath.h).
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

// fm::exp, tanh, sigmoid (float32 on the host branch-free and vectorisable), and FLX_HD:
// host-and-device inline under nvcc, plain inline otherwise
#include "vecmath.h"

namespace flx {

// Compute type: int32 math runs in int64 (no overflow surprises in pow/mul), floats in themselves.
template <class T> struct Acc { using type = T; };
template <> struct Acc<int32_t> { using type = double; };

// The argument of a math function: int32 goes in as double. On the host this is exactly what
// std::exp(int) does already; on the device the integer overloads do not exist, so the
// functors spell the conversion out and both devices compute the same thing.
template <class T> FLX_HD typename Acc<T>::type fp(T x) { return typename Acc<T>::type(x); }

// A computed value as the element type T. For int32, where a C++ cast of NaN or of a value out
// of range is undefined behaviour, it is defined: NaN becomes 0 and other values saturate at
// the int32 limits (truncation toward zero in between). Casts (`copy` between dtypes) use it.
template <class T, class S>
FLX_HD T to(S v) {
  if constexpr (std::is_integral_v<T> && std::is_floating_point_v<S>) {
    if (!(v == v)) return T(0);
    if (v >= S(2147483647.0)) return T(2147483647);
    if (v <= S(-2147483648.0)) return T(-2147483647 - 1);
    return T(v);
  } else {
    return T(v);
  }
}

// int32 arithmetic wraps modulo 2^32 (as NumPy's and PyTorch's does in practice), computed in
// uint32 so that it is defined behaviour: (2^31 - 1) + 1 is -2^31.
template <class T> FLX_HD T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(uint32_t(a) + uint32_t(b));
  else return a + b;
}
template <class T> FLX_HD T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(uint32_t(a) - uint32_t(b));
  else return a - b;
}
template <class T> FLX_HD T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(uint32_t(a) * uint32_t(b));
  else return a * b;
}
template <class T> FLX_HD T wrap_neg(T a) {
  if constexpr (std::is_integral_v<T>) return T(uint32_t(0) - uint32_t(a));
  else return -a;
}

// A sum accumulated in double, stored as T: int32 totals wrap modulo 2^32 like int32
// arithmetic (exact while the running totals stay below 2^53 in magnitude).
template <class T> FLX_HD T from_sum(double v) {
  if constexpr (std::is_integral_v<T>) return (v == v && v > -9.2e18 && v < 9.2e18) ? T(uint32_t(uint64_t(int64_t(v)))) : T(0);
  else return T(v);
}

namespace bin {
#define FLX_BIN(name, expr) \
  struct name { template <class T> FLX_HD T operator()(T a, T b) const { return (expr); } };
FLX_BIN(add, wrap_add(a, b))
FLX_BIN(sub, wrap_sub(a, b))
FLX_BIN(mul, wrap_mul(a, b))
FLX_BIN(maximum, (a != a || b != b) ? (a + b) : (a > b ? a : b))   // NaN propagates
FLX_BIN(minimum, (a != a || b != b) ? (a + b) : (a < b ? a : b))
FLX_BIN(eq, T(a == b))
FLX_BIN(ne, T(a != b))
FLX_BIN(gt, T(a > b))
FLX_BIN(ge, T(a >= b))
FLX_BIN(lt, T(a < b))
FLX_BIN(le, T(a <= b))
#undef FLX_BIN
// Integer division traps (SIGFPE) on b == 0 and on INT_MIN / -1. The ops never divide int32
// (div computes in float; divInPlace refuses int32), but a kernel must not crash the process
// whatever it is given, so integer division is made total: x / 0 = 0, INT_MIN / -1 wraps.
struct div {
  template <class T> FLX_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      if (b == T(0)) return T(0);
      if (b == T(-1)) return T(U(0) - U(a));
    }
    return a / b;
  }
};
struct pow {
  template <class T> FLX_HD T operator()(T a, T b) const {
    using C = typename Acc<T>::type;
    return to<T>(std::pow(C(a), C(b)));
  }
};
}  // namespace bin

namespace un {
#define FLX_UN(name, expr) \
  struct name { template <class T> FLX_HD T operator()(T x) const { return to<T>(expr); } };
FLX_UN(neg, wrap_neg(x))
FLX_UN(exp, fm::exp(fp(x)))
FLX_UN(log, std::log(fp(x)))
FLX_UN(sqrt, std::sqrt(fp(x)))
FLX_UN(abs, x < T(0) ? wrap_neg(x) : x)
FLX_UN(sign, (x > T(0)) - (x < T(0)))
FLX_UN(sin, std::sin(fp(x)))
FLX_UN(cos, std::cos(fp(x)))
FLX_UN(tanh, fm::tanh(fp(x)))
FLX_UN(sigmoid, fm::sigmoid(fp(x)))
// NaN propagates (x > 0 is false for NaN, which used to give 0), as in PyTorch.
FLX_UN(relu, (x > T(0) || x != x) ? x : T(0))
// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
FLX_UN(softplus, (x > T(0) ? x : T(0)) + std::log1p(std::exp(fp(x < T(0) ? x : -x))))
// (through div: an int32 reciprocal of 0 must not trap)
FLX_UN(recip, bin::div()(T(1), x))
FLX_UN(log1p, std::log1p(fp(x)))
FLX_UN(expm1, std::expm1(fp(x)))
FLX_UN(erf, std::erf(fp(x)))
#undef FLX_UN
// gelu, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
struct gelu {
  template <class T> FLX_HD T operator()(T x) const {
    const T c = T(0.7978845608028654), a = T(0.044715);
    return T(0.5) * x * (T(1) + fm::tanh(fp(c * (x + a * x * x * x))));
  }
};
}  // namespace un

// Derivative functors: g * f'(x) with y = f(x) available.
namespace ungrad {
struct tanh { template <class T> FLX_HD T operator()(T, T y, T g) const { return g * (T(1) - y * y); } };
struct sigmoid { template <class T> FLX_HD T operator()(T, T y, T g) const { return g * y * (T(1) - y); } };
// relu'(0) = 0: the subgradient Fluxion documents (same as PyTorch).
struct relu { template <class T> FLX_HD T operator()(T x, T, T g) const { return x > T(0) ? g : T(0); } };
struct softplus { template <class T> FLX_HD T operator()(T x, T, T g) const { return g * un::sigmoid()(x); } };
struct gelu {
  template <class T> FLX_HD T operator()(T x, T, T g) const {
    const T c = T(0.7978845608028654), a = T(0.044715);
    const T t = fm::tanh(c * (x + a * x * x * x));
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * c * (T(1) + T(3) * a * x * x));
  }
};
}  // namespace ungrad

// Philox4x32-10 counter-based generator: the n-th number depends only on (seed, n), so
// results do not depend on thread count or device.
struct Philox {
  static FLX_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
    uint64_t p = uint64_t(a) * uint64_t(b);
    *hi = uint32_t(p >> 32);
    return uint32_t(p);
  }
  static FLX_HD void block(uint32_t ctr[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
      uint32_t hi0, hi1;
      uint32_t lo0 = mulhilo(0xD2511F53u, ctr[0], &hi0);
      uint32_t lo1 = mulhilo(0xCD9E8D57u, ctr[2], &hi1);
      uint32_t n0 = hi1 ^ ctr[1] ^ k0, n2 = hi0 ^ ctr[3] ^ k1;
      ctr[0] = n0; ctr[1] = lo1; ctr[2] = n2; ctr[3] = lo0;
      k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
  }
};

// One seeded draw: element i is a pure function of (key, counter + i), on any device.
struct PhiloxDraw {
  uint32_t k0, k1;
  uint64_t counter;
  FLX_HD void block(uint64_t i, uint32_t out[4]) const {
    const uint64_t c = counter + i;
    out[0] = uint32_t(c);
    out[1] = uint32_t(c >> 32);
    out[2] = 0x466C7578u;  // a fixed stream id
    out[3] = 0;
    Philox::block(out, k0, k1);
  }
};

// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
template <class T>
FLX_HD T draw_uniform(const uint32_t* r) {
  if constexpr (std::is_same_v<T, float>) {
    return float(r[0] >> 8) * (1.0f / 16777216.0f);
  } else {
    const uint64_t bits = (uint64_t(r[0]) << 21) ^ uint64_t(r[1] >> 11);
    return T(double(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0));
  }
}

// Box-Muller on two uniforms from one block, in double; u1 in (0, 1] so the log is finite.
template <class T>
FLX_HD T draw_normal(const uint32_t* r) {
  double u1, u2;
  if constexpr (std::is_same_v<T, double>) {
    u1 = (double((uint64_t(r[0]) << 21) ^ (r[1] >> 11)) + 1.0) * (1.0 / 9007199254740992.0);
    u2 = double((uint64_t(r[2]) << 21) ^ (r[3] >> 11)) * (1.0 / 9007199254740992.0);
  } else {
    u1 = (double(r[0]) + 1.0) * (1.0 / 4294967296.0);
    u2 = double(r[2]) * (1.0 / 4294967296.0);
  }
  return T(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

// Element i of a draw: kind 0 = uniform [0, 1), 1 = standard normal.
template <class T>
FLX_HD T draw(const PhiloxDraw& d, int kind, uint64_t i) {
  uint32_t r[4];
  d.block(i, r);
  return kind == 0 ? draw_uniform<T>(r) : draw_normal<T>(r);
}

}  // namespace flx
