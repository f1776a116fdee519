// Device memory beneath the kernels: what each device provides (raw allocation, copies, a
// barrier), and one caching allocator over it, per device, shared by every thread.
//
// Devices: CUDA (cuda/device.cu, when compiled in) and the emulated device, host memory that
// the CPU kernels run on through the device path, so that the whole device side of Fluxion
// (handles, allocator, uploads, downloads, the TypeScript backend above it) runs in CI on
// machines without a GPU. The CPU itself needs none of this: its buffers are typed arrays.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common.h"

namespace flx {

struct DeviceOps {
  // Why the device cannot be used here, or "" when it can. Never throws.
  std::string (*problem)();
  // nullptr on failure; *oom says whether the device ran out of memory (the cache is then
  // released and the allocation retried once).
  void* (*raw_alloc)(size_t bytes, bool* oom, std::string* err);
  void (*raw_free)(void* p);
  // Waits for all queued work on the device.
  void (*sync)();
  void (*to_device)(void* dst, const void* src, size_t bytes);
  void (*to_host)(void* dst, const void* src, size_t bytes);
  void (*zero)(void* p, size_t bytes);
};

// nullptr for the CPU, and for CUDA in a build without it.
const DeviceOps* device_ops(Device d);
const DeviceOps* cuda_ops();  // cuda/device.cu, or nullptr without CUDA
// One line about the CUDA runtime and device, or why there is none. Never throws.
std::string cuda_info();
int cuda_device_count();
// CUDA GEMM settings (cuda/gemm.cu): backend 'auto' (cuBLAS when found), 'cublas' or 'own', and
// TF32 tensor cores for float32. Without CUDA the report says so and the setters throw.
void cuda_gemm_backend(const std::string& name);
void cuda_gemm_tf32(bool on);
struct GemmReport {
  std::string backend = "auto", active = "own", cublas = "built without CUDA";
  bool tf32 = false;
};
GemmReport cuda_gemm_report();

// The caching allocator: a freed block goes to a free list keyed by its rounded size and is
// handed out again for the next request of that size class, so steady-state training makes no
// raw allocations. Work on a device runs in order (one stream), so a block may be reused at
// once: later work is ordered after earlier work that used it.
uint64_t device_alloc(Device d, uint64_t bytes);
// Back to the cache; throws unless p is the start of a live block.
void device_release(Device d, uint64_t p);
void device_release_quiet(Device d, uint64_t p);
// Throws unless [p, p + bytes) lies inside one live block (nothing to check when bytes is 0).
void device_check_span(Device d, const Name& who, uint64_t p, uint64_t bytes);
struct DeviceMemory {
  uint64_t live = 0, cached = 0;
};
DeviceMemory device_memory(Device d);
// Gives cached blocks back to the device.
void device_empty_cache(Device d);

// Scratch device memory for one kernel call, back to the cache when it goes out of scope.
class Scratch {
 public:
  Scratch(Device d, uint64_t bytes) : d_(d), p_(device_alloc(d, bytes)) {}
  ~Scratch() { device_release_quiet(d_, p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T> T* as() const { return reinterpret_cast<T*>(static_cast<uintptr_t>(p_)); }
 private:
  Device d_;
  uint64_t p_;
};

}  // namespace flx
