// exp, sigmoid and tanh for float32 written without branches or library calls, so that a loop
// over a row compiles to SIMD code (the compiler cannot vectorise std::exp without
// -ffast-math, and a scalar expf costs ~15 ns: in the recurrent cells, five of them per unit
// made the cell kernels cost more than the GEMMs around them).
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so r is exact), e^r by a degree-6
// polynomial (the classic Cephes expf coefficients), times 2^n built in the exponent bits.
// Overflow gives +∞, underflow 0 (through the subnormals), NaN stays NaN. Measured over
// [−110, 95]: exp within 1 ulp of the float64 result, tanh 1.5 ulp, sigmoid 3 ulp
// (test/ops/transcendental.test.ts checks it through the ops).
// tanh: an odd polynomial below |x| = 0.625 (Cephes tanhf), where 1 − 2/(e^{2x} + 1) would
// cancel; that form above. sigmoid: from e^{−|x|}, accurate in relative terms on both sides.
//
// float64 keeps the library functions: its users ask for reference precision. So do device
// kernels, which have their own fast functions: `fm::` below picks these versions only for
// float32 on the host, and the elementwise functors (scalar_ops.h) and the recurrent cells
// call `fm::`.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

// The one definition of FLX_HD: functions every device's kernels share.
#if defined(__CUDACC__)
#define FLX_HD __host__ __device__ __forceinline__
#else
#define FLX_HD inline
#endif

namespace flx {
namespace vec {

inline float exp(float x) {
  // Past ln(FLT_MAX) the result is infinite; below −104 it rounds to 0. In between, n ≤ 128
  // and the scale 2^n is applied in two halves, each a normal float, so results in the
  // subnormal range underflow gradually as the library's do.
  const float hi = 88.72283935546875f, lo = -104.0f;
  const bool over = x > hi;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  // round-to-nearest of x·log2(e) without a library call: adding 1.5·2^23 drops the fraction
  // (NaN is replaced by 0 here only, so the conversion to int is defined; r stays NaN)
  const float shifter = 12582912.0f;
  const float xn = xc == xc ? xc : 0.0f;
  const float n = (xn * 1.44269504088896341f + shifter) - shifter;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t k = static_cast<int32_t>(n);  // in [−150, 128]
  const int32_t k1 = k >> 1, k2 = k - k1;      // each in [−75, 64]
  const int32_t b1 = (k1 + 127) << 23, b2 = (k2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  const float e = p * s1 * s2;
  return over ? INFINITY : e;
}

inline float sigmoid(float x) {
  // e^{−|x|} ≤ 1 never overflows: 1/(1 + e) above 0, e/(1 + e) below (accurate in the tail)
  const float e = vec::exp(x < 0.0f ? x : -x);
  const float q = 1.0f / (1.0f + e);
  return x < 0.0f ? e * q : q;
}

inline float tanh(float x) {
  const float a = x < 0.0f ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  const float small = x + x * z * p;
  const float large = 1.0f - 2.0f / (vec::exp(2.0f * a) + 1.0f);
  const float signedLarge = x < 0.0f ? -large : large;
  return a < 0.625f ? small : signedLarge;
}

}  // namespace vec

// exp, tanh and sigmoid of a float type (int32 arguments arrive as double, see scalar_ops.h).
namespace fm {
template <class T> FLX_HD T exp(T x) {
#ifndef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) return vec::exp(x);
#endif
  return std::exp(x);
}
template <class T> FLX_HD T tanh(T x) {
#ifndef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) return vec::tanh(x);
#endif
  return std::tanh(x);
}
// Stable in both tails: the library form never exponentiates a large positive number.
template <class T> FLX_HD T sigmoid(T x) {
#ifndef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) return vec::sigmoid(x);
#endif
  return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}
}  // namespace fm
}  // namespace flx
