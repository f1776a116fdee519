// Seeded random numbers: element i of a draw is a pure function of (seed, counter + i)
// through Philox4x32-10, so the same seed gives the same numbers at any thread count and on
// either device (the per-element draw is shared with cuda/random.cu, in scalar_ops.h).
#include <cmath>

#include "../scalar_ops.h"
#include "../kernels.h"
#include "strided.h"

namespace flx {
namespace {

template <class T>
void fill_random(const PhiloxDraw& d, int kind, int64_t n, T* out) {
  parallel_for(n, kGrainCostly, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = draw<T>(d, kind, uint64_t(i));
  });
}

}  // namespace

// random(out, kind, seedLo, seedHi, counterLo, counterHi): kind 0 = uniform [0,1), 1 = standard normal.
void random_cpu(Call& c) {
  const Buf out = c.buf(0, "out");
  const int kind = int(c.integer(1, "kind", 0, 1));
  PhiloxDraw d;
  d.k0 = uint32_t(c.integer(2, "seedLo", 0, 0xffffffffll));
  d.k1 = uint32_t(c.integer(3, "seedHi", 0, 0xffffffffll));
  d.counter = uint64_t(c.integer(4, "counterLo", 0, 0xffffffffll)) | (uint64_t(c.integer(5, "counterHi", 0, 0xffffffffll)) << 32);
  with_float_dtype("random", out.dtype, [&](auto tag) {
    using T = decltype(tag);
    fill_random<T>(d, kind, out.len, out.as<T>());
  });
}

}  // namespace flx
