// Shared plumbing of the CUDA kernels: the device and its one stream, reading JS arguments
// (device pointers travel as JS numbers), the caching allocator's bounds check, the strided
// geometry passed to kernels by value, and launch sizes.
//
// Every entry point follows one order:
//   1. read and validate its arguments and the metadata (pure host work: a bad call throws a
//      TypeError/RangeError here even on a machine without a GPU);
//   2. stream(env, what): throws "no CUDA device (...)" unless a device is usable;
//   3. check_operand(...): each pointer must lie inside a live allocation of this allocator, with
//      room for the element count it came with (so a wrong pointer is a JS error, never an
//      illegal address that would poison the CUDA context);
//   4. launch on the stream, then check(cudaGetLastError()).
// All work runs on one stream, so the caching allocator may hand a freed block out again at
// once: later work on the stream is ordered after earlier work that used the block.
#pragma once
#include <cuda_runtime.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../common.h"
#include "../cpu/strided.h"

namespace flx {
namespace cu {

// ---- device state (allocator.cu)

// The stream all work runs on. Throws a JS Error "<what>: no CUDA device (...)" when none is usable.
cudaStream_t stream(const Napi::Env& env, const char* what);
// Whether a device is usable (probes once; never throws).
bool device_ok();
// Multiprocessor count of the device (1 before a device was found), for launch sizes.
int sm_count();
// Compute capability major of the device (0 without one).
int cc_major();

// Throws a JS Error "<what>: cudaErrorName (description)" unless e is cudaSuccess.
void check(const Napi::Env& env, const char* what, cudaError_t e);
// After a kernel launch: a bad configuration or an earlier asynchronous failure.
inline void check_launch(const Napi::Env& env, const char* what) { check(env, what, cudaGetLastError()); }

// ---- caching allocator (allocator.cu)

// Device memory from the cache (or cudaMalloc); throws with the CUDA error on failure.
uint64_t device_alloc(const Napi::Env& env, const char* what, uint64_t bytes);
// Back to the cache; throws a RangeError unless p is the start of a live block.
void device_release(const Napi::Env& env, const char* what, uint64_t p);
// The same for internal blocks, never throwing.
void device_release_quiet(uint64_t p);
// Throws a RangeError unless [p, p + bytes) lies inside one live block (nothing to check when bytes is 0).
void check_span(const Napi::Env& env, const char* what, uint64_t p, uint64_t bytes);

// Scratch memory for one call (e.g. partial sums): back to the cache when it goes out of scope.
// Safe because the stream orders any later use of the block after the kernels queued now.
class Scratch {
 public:
  Scratch(const Napi::Env& env, const char* what, uint64_t bytes) : p_(device_alloc(env, what, bytes)) {}
  ~Scratch() { device_release_quiet(p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T> T* as() const { return reinterpret_cast<T*>(static_cast<uintptr_t>(p_)); }
 private:
  uint64_t p_;
};

// ---- arguments

double num_arg(const Napi::CallbackInfo& info, size_t i, const char* what);
// A non-negative integer up to 2^53 (element counts, byte counts, sizes).
int64_t count_arg(const Napi::CallbackInfo& info, size_t i, const char* what);
// An integer in int32 range (op codes, dims, kinds).
int int_arg(const Napi::CallbackInfo& info, size_t i, const char* what);
// An integer in [0, 2^32) (the halves of a seed or counter).
uint32_t u32_arg(const Napi::CallbackInfo& info, size_t i, const char* what);
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* what);
// dtype code: 0 = float32, 1 = float64, 2 = int32.
DType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* what);
size_t dtype_size(DType t);
// a * b, throwing a RangeError on overflow.
int64_t mul_checked(const Napi::Env& env, const char* what, int64_t a, int64_t b);

// A device operand: address, element count and dtype, as given by TypeScript.
struct Dev {
  uint64_t p = 0;
  int64_t len = 0;
  DType dtype = DType::f32;
  template <class T> T* as() const { return reinterpret_cast<T*>(static_cast<uintptr_t>(p)); }
};
// Reads the pointer at info[ptr_i]; len is the element count that came with it.
Dev dev_arg(const Napi::CallbackInfo& info, size_t ptr_i, int64_t len, DType dtype, const char* what);
inline void check_operand(const Napi::Env& env, const char* what, const Dev& d) {
  check_span(env, what, d.p, uint64_t(d.len) * dtype_size(d.dtype));
}

// Reads ndim, shape and N (offset, strides) views from the metadata, each checked against its
// operand's length, exactly as the CPU kernels do (out first, then the inputs).
template <int N>
Strided<N> read_strided(const Napi::Env& env, const Dev* ops, const char* const* names) {
  int64_t lens[N];
  for (int k = 0; k < N; ++k) lens[k] = ops[k].len;
  return read_strided_meta<N>(env, lens, names);
}

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

// ---- the kernel list reported by kernels().cudaKernels

struct KernelList {
  std::vector<std::string> binary, unary, unaryGrad, reduce, other;
};
KernelList& kernel_list();
// Each .cu file adds, at load time, the names its dispatch covers, from the same X-macro list
// that generates its switch: the report is what was compiled.
struct AddKernels {
  AddKernels(std::vector<std::string> KernelList::*family, std::initializer_list<const char*> names) {
    for (const char* n : names) (kernel_list().*family).push_back(n);
  }
};

// ---- registration of each family (one per file)

void register_memory(Napi::Env env, Napi::Object exports);
void register_binary(Napi::Env env, Napi::Object exports);
void register_unary(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_movement(Napi::Env env, Napi::Object exports);
void register_random(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);

}  // namespace cu
}  // namespace flx
