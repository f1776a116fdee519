// Seeded random numbers: element i of a draw is a pure function of (seed, counter + i)
// through Philox4x32-10, so the same seed gives the same numbers at any thread count.
#include <cmath>

#include "../scalar_ops.h"
#include "kernels.h"
#include "strided.h"

namespace flx {
namespace {

struct Draw {
  uint32_t k0, k1;
  uint64_t counter;
  void block(uint64_t i, uint32_t out[4]) const {
    uint64_t c = counter + i;
    out[0] = uint32_t(c);
    out[1] = uint32_t(c >> 32);
    out[2] = 0x466C7578u;  // a fixed stream id
    out[3] = 0;
    Philox::block(out, k0, k1);
  }
};

// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
template <class T> T uniform(const uint32_t* r);
template <> float uniform<float>(const uint32_t* r) { return float(r[0] >> 8) * (1.0f / 16777216.0f); }
template <> double uniform<double>(const uint32_t* r) {
  uint64_t bits = (uint64_t(r[0]) << 21) ^ uint64_t(r[1] >> 11);
  return double(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// Box-Muller on two uniforms from one block; u1 in (0, 1] so the log is finite.
template <class T>
T normal(const uint32_t* r) {
  double u1 = (double(r[0]) + 1.0) * (1.0 / 4294967296.0);
  double u2 = double(r[2]) * (1.0 / 4294967296.0);
  if constexpr (std::is_same_v<T, double>) {
    u1 = (double((uint64_t(r[0]) << 21) ^ (r[1] >> 11)) + 1.0) * (1.0 / 9007199254740992.0);
    u2 = double((uint64_t(r[2]) << 21) ^ (r[3] >> 11)) * (1.0 / 9007199254740992.0);
  }
  return T(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

template <class T>
void fill_random(const Draw& d, int kind, int64_t n, T* out) {
  parallel_for(n, 1 << 12, [&](int64_t b, int64_t e) {
    uint32_t r[4];
    for (int64_t i = b; i < e; ++i) {
      d.block(uint64_t(i), r);
      out[i] = kind == 0 ? uniform<T>(r) : normal<T>(r);
    }
  });
}

// random(out, kind, seedLo, seedHi, counterLo, counterHi): kind 0 = uniform [0,1), 1 = standard normal.
Napi::Value Random(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr out = arr(info, 0, "random: out");
  int kind = info[1].As<Napi::Number>().Int32Value();
  FLX_THROW_IF(kind != 0 && kind != 1, env, RangeError, "random: unknown distribution");
  Draw d;
  d.k0 = info[2].As<Napi::Number>().Uint32Value();
  d.k1 = info[3].As<Napi::Number>().Uint32Value();
  d.counter = uint64_t(info[4].As<Napi::Number>().Uint32Value()) |
              (uint64_t(info[5].As<Napi::Number>().Uint32Value()) << 32);
  with_float_dtype(env, "random", out.dtype, [&](auto tag) {
    using T = decltype(tag);
    fill_random<T>(d, kind, out.len, out.as<T>());
  });
  return env.Undefined();
}

}  // namespace

void register_random(Napi::Env env, Napi::Object exports) {
  exports.Set("random", Napi::Function::New(env, Random, "random"));
}

}  // namespace flx
