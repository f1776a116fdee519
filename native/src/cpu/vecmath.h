// exp, sigmoid and tanh for float32 written without branches or library calls, so that a loop
// over a row compiles to SIMD code (the compiler cannot vectorise std::exp without
// -ffast-math, and a scalar expf costs ~15 ns: in the recurrent cells, five of them per unit
// made the cell kernels cost more than the GEMMs around them).
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so r is exact), e^r by a degree-6
// polynomial (the classic Cephes expf coefficients), times 2^n built in the exponent bits;
// x is clamped to the finite range first, so no infinity or NaN appears for finite x
// (NaN still propagates: the clamp keeps it). Error ≤ 2 ulp over the range.
// tanh: an odd polynomial below |x| = 0.625 (Cephes tanhf), where 1 − 2/(e^{2x} + 1) would
// cancel; that form above. sigmoid: 1/(1 + e^{−x}), accurate in relative terms on both sides.
//
// float64 keeps the library functions: its users ask for reference precision.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace flx {
namespace vec {

inline float exp(float x) {
  // keeps NaN: comparisons with NaN are false, so neither bound replaces it
  x = x > 88.3762626647949f ? 88.3762626647949f : x;
  x = x < -87.3365447505531f ? -87.3365447505531f : x;
  // round-to-nearest of x·log2(e) without a library call: adding 1.5·2^23 drops the fraction
  const float shifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // n ∈ [-126, 127]: a normal power of two
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + vec::exp(-x)); }

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

inline double exp(double x) { return std::exp(x); }
inline double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
inline double tanh(double x) { return std::tanh(x); }

}  // namespace vec
}  // namespace flx
