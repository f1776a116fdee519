// Shared plumbing of the CUDA kernels: the device and its one stream, the strided geometry
// passed to kernels by value, and launch sizes.
//
// A CUDA kernel entry (`name_cuda(Call&)`) reads and validates its arguments exactly as its CPU
// twin does (the Call has already checked that every device buffer lies inside a live block of
// the allocator), takes the stream (`stream()`, which throws when no device is usable), launches,
// then calls check_launch(). All work runs on one stream, so the caching allocator may hand a
// freed block out again at once: later work on the stream is ordered after earlier work.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "../common.h"
#include "../cpu/strided.h"
#include "../device.h"

namespace flx {
namespace cu {

// The stream all work runs on. Throws "<what>: no CUDA device (...)" when none is usable.
cudaStream_t stream(const char* what);
// Whether a device is usable (probes once; never throws).
bool device_ok();
// Multiprocessor count of the device (1 before a device was found), for launch sizes.
int sm_count();
// Compute capability major of the device (0 without one).
int cc_major();

// Throws "<what>: cudaErrorName (description)" unless e is cudaSuccess.
void check(const char* what, cudaError_t e);
// After a kernel launch: a bad configuration or an earlier asynchronous failure.
inline void check_launch(const char* what) { check(what, cudaGetLastError()); }

// ---- geometry passed to kernels by value (a coalesced Strided<N>)

template <int N>
struct Geo {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t off[N];
  int64_t str[N][kMaxDims];

  // Offsets of the operands at flat (row-major) element i.
  __device__ __forceinline__ void offsets(int64_t i, int64_t* o) const {
#pragma unroll
    for (int k = 0; k < N; ++k) o[k] = off[k];
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = i / shape[d], r = i - q * shape[d];
#pragma unroll
      for (int k = 0; k < N; ++k) o[k] += r * str[k][d];
      i = q;
    }
  }
};

template <int N>
Geo<N> geo(const Strided<N>& s) {
  Geo<N> g{};
  g.ndim = s.ndim;
  for (int d = 0; d < s.ndim; ++d) g.shape[d] = s.shape[d];
  for (int k = 0; k < N; ++k) {
    g.off[k] = s.offset[k];
    for (int d = 0; d < s.ndim; ++d) g.str[k][d] = s.strides[k][d];
  }
  return g;
}

// ---- launches: grid-stride loops over int64 element counts

constexpr int kThreads = 256;

// Blocks for n work items of `per_block` each: enough to fill the device, grid-stride beyond.
inline unsigned grid_for(int64_t n, int64_t per_block = kThreads) {
  int64_t blocks = (n + per_block - 1) / per_block;
  const int64_t cap = int64_t(sm_count()) * 32;
  if (blocks > cap) blocks = cap;
  return unsigned(blocks < 1 ? 1 : blocks);
}

__device__ __forceinline__ int64_t grid_first() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_step() { return int64_t(gridDim.x) * blockDim.x; }

}  // namespace cu
}  // namespace flx
