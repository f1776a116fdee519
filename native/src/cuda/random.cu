// Seeded random numbers: element i is a pure function of (seed, counter + i) through the
// Philox draw shared with cpu/random.cc (scalar_ops.h), so both devices give the same numbers
// (up to the last bits of log/cos in the normal transform).
#include "../scalar_ops.h"
#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

template <class T>
__global__ void random_kernel(PhiloxDraw d, int kind, int64_t n, T* out) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) out[i] = draw<T>(d, kind, uint64_t(i));
}

}  // namespace
}  // namespace cu

// random(out, kind, seedLo, seedHi, counterLo, counterHi): as random_cpu.
void random_cuda(Call& c) {
  using namespace cu;
  const Buf out = c.buf(0, "out");
  const int kind = int(c.integer(1, "kind", 0, 1));
  PhiloxDraw d;
  d.k0 = uint32_t(c.integer(2, "seedLo", 0, 0xffffffffll));
  d.k1 = uint32_t(c.integer(3, "seedHi", 0, 0xffffffffll));
  d.counter = uint64_t(c.integer(4, "counterLo", 0, 0xffffffffll)) | (uint64_t(c.integer(5, "counterHi", 0, 0xffffffffll)) << 32);
  with_float_dtype("random", out.dtype, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream("random");
    if (out.len == 0) return;
    random_kernel<T><<<grid_for(out.len), kThreads, 0, s>>>(d, kind, out.len, out.as<T>());
    check_launch("random");
  });
}

}  // namespace flx
