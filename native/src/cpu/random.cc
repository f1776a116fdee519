// Seeded random numbers: element i of a draw is a pure function of (seed, counter + i)
// through Philox4x32-10, so the same seed gives the same numbers at any thread count and on
// either device (the per-element draw is shared with cuda/random.cu, in scalar_ops.h).
#include <cmath>

#include "../scalar_ops.h"
#include "kernels.h"
#include "strided.h"

namespace flx {
namespace {

template <class T>
void fill_random(const PhiloxDraw& d, int kind, int64_t n, T* out) {
  parallel_for(n, kGrainCostly, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = draw<T>(d, kind, uint64_t(i));
  });
}

// random(out, kind, seedLo, seedHi, counterLo, counterHi): kind 0 = uniform [0,1), 1 = standard normal.
Napi::Value Random(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr out = arr(info, 0, "random: out");
  int kind = info[1].As<Napi::Number>().Int32Value();
  FLX_THROW_IF(kind != 0 && kind != 1, env, RangeError, "random: unknown distribution");
  PhiloxDraw d;
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
