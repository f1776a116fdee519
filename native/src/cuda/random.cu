// Seeded random numbers: element i is a pure function of (seed, counter + i) through the
// Philox draw shared with cpu/random.cc (scalar_ops.h), so both devices give the same numbers
// (up to the last bits of log/cos in the normal transform).
#include "../scalar_ops.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

const AddKernels kAddOther(&KernelList::other, {"random"});

template <class T>
__global__ void random_kernel(PhiloxDraw d, int kind, int64_t n, T* out) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) out[i] = draw<T>(d, kind, uint64_t(i));
}

// cudaRandom(dtype, out, n, kind, seedLo, seedHi, ctrLo, ctrHi): kind 0 = uniform [0,1), 1 = standard normal.
Napi::Value Random(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType dt = dtype_arg(info, 0, "cudaRandom: dtype");
  const int64_t n = count_arg(info, 2, "cudaRandom: n");
  const Dev out = dev_arg(info, 1, n, dt, "cudaRandom: out");
  const int kind = int_arg(info, 3, "cudaRandom: kind");
  FLX_THROW_IF(kind != 0 && kind != 1, env, RangeError, "cudaRandom: unknown distribution");
  PhiloxDraw d;
  d.k0 = u32_arg(info, 4, "cudaRandom: seedLo");
  d.k1 = u32_arg(info, 5, "cudaRandom: seedHi");
  d.counter = uint64_t(u32_arg(info, 6, "cudaRandom: ctrLo")) | (uint64_t(u32_arg(info, 7, "cudaRandom: ctrHi")) << 32);
  with_float_dtype(env, "cudaRandom", dt, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream(env, "cudaRandom");
    check_operand(env, "cudaRandom: out", out);
    if (n == 0) return;
    random_kernel<T><<<grid_for(n), kThreads, 0, s>>>(d, kind, n, out.as<T>());
    check_launch(env, "cudaRandom");
  });
  return env.Undefined();
}

}  // namespace

void register_random(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaRandom", Napi::Function::New(env, Random, "cudaRandom"));
}

}  // namespace cu
}  // namespace flx
