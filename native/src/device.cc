#include "device.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace flx {

// ---------------------------------------------------------------- the emulated device

namespace {

std::string emu_problem() { return ""; }
void* emu_alloc(size_t bytes, bool* oom, std::string* err) {
  // 64-byte aligned like device memory, so vector loads in the CPU kernels behave as on the CPU
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == nullptr) {
    *oom = true;
    *err = "out of host memory";
  }
  return p;
}
void emu_free(void* p) { std::free(p); }
void emu_sync() {}
void emu_copy(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void emu_zero(void* p, size_t bytes) { std::memset(p, 0, bytes); }

const DeviceOps kEmulated{emu_problem, emu_alloc, emu_free, emu_sync, emu_copy, emu_copy, emu_zero};

}  // namespace

#ifndef FLUXION_WITH_CUDA
const DeviceOps* cuda_ops() { return nullptr; }
std::string cuda_info() { return "built without CUDA"; }
int cuda_device_count() { return 0; }
void cuda_gemm_backend(const std::string&) { fail(ErrorKind::error, "fluxion native: cudaGemm: built without CUDA"); }
void cuda_gemm_tf32(bool) { fail(ErrorKind::error, "fluxion native: cudaGemm: built without CUDA"); }
GemmReport cuda_gemm_report() { return GemmReport{}; }
#endif

const DeviceOps* device_ops(Device d) {
  switch (d) {
    case Device::cuda: return cuda_ops();
    case Device::emulated: return &kEmulated;
    case Device::cpu: return nullptr;
  }
  return nullptr;
}

// ---------------------------------------------------------------- the caching allocator

namespace {

struct Block {
  uint64_t size;       // rounded: what the device gave
  uint64_t requested;  // what the caller asked for: the bound of device_check_span
};

struct Cache {
  std::mutex mu;
  std::map<uint64_t, Block> live;                                  // base -> block
  std::unordered_map<uint64_t, std::vector<uint64_t>> free_lists;  // rounded size -> bases
  uint64_t live_bytes = 0, cached_bytes = 0;
};

// Never destroyed: device calls in static destructors at process exit are unsafe, and the
// driver reclaims everything then.
Cache& cache(Device d) {
  static Cache* caches = new Cache[3];
  return caches[int(d)];
}

const DeviceOps& ops_of(Device d) {
  const DeviceOps* o = device_ops(d);
  FLX_CHECK(o == nullptr, error, std::string(device_name(d)) + ": this build has no such device");
  return *o;
}

// Sizes up to 1 MiB round up to 512 B; above that to a quarter of the power of two below (at
// most 25% slack).
uint64_t round_size(uint64_t n) {
  if (n <= (uint64_t(1) << 20)) return n <= 512 ? 512 : (n + 511) & ~uint64_t(511);
  const uint64_t top = uint64_t(1) << (63 - __builtin_clzll(n));
  const uint64_t step = top / 4;
  return (n + step - 1) / step * step;
}

// The caller holds the lock. Waits for queued work first: no kernel may still use a block that
// goes back to the device.
void release_cached(const DeviceOps& o, Cache& c) {
  if (c.cached_bytes == 0) return;
  o.sync();
  for (auto& kv : c.free_lists)
    for (uint64_t p : kv.second) o.raw_free(reinterpret_cast<void*>(static_cast<uintptr_t>(p)));
  c.free_lists.clear();
  c.cached_bytes = 0;
}

bool release_locked(Cache& c, uint64_t p) {
  auto it = c.live.find(p);
  if (it == c.live.end()) return false;
  const uint64_t size = it->second.size;
  c.live.erase(it);
  c.live_bytes -= size;
  c.free_lists[size].push_back(p);
  c.cached_bytes += size;
  return true;
}

}  // namespace

uint64_t device_alloc(Device d, uint64_t bytes) {
  const DeviceOps& o = ops_of(d);
  const std::string why = o.problem();
  FLX_CHECK(!why.empty(), error, std::string(device_name(d)) + ": " + why);
  FLX_CHECK(bytes > (uint64_t(1) << 52), range, std::string(device_name(d)) + ": cannot allocate " + std::to_string(bytes) + " bytes");
  Cache& c = cache(d);
  const uint64_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(c.mu);
  uint64_t p = 0;
  auto it = c.free_lists.find(size);
  if (it != c.free_lists.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    c.cached_bytes -= size;
  } else {
    bool oom = false;
    std::string err;
    void* raw = o.raw_alloc(size_t(size), &oom, &err);
    if (raw == nullptr && oom) {
      release_cached(o, c);
      err.clear();
      raw = o.raw_alloc(size_t(size), &oom, &err);
    }
    FLX_CHECK(raw == nullptr, error,
              std::string(device_name(d)) + ": " + err + " allocating " + std::to_string(bytes) + " bytes (live " +
                  std::to_string(c.live_bytes) + ", cached " + std::to_string(c.cached_bytes) + ")");
    p = uint64_t(reinterpret_cast<uintptr_t>(raw));
  }
  c.live[p] = Block{size, bytes};
  c.live_bytes += size;
  return p;
}

void device_release(Device d, uint64_t p) {
  Cache& c = cache(d);
  std::lock_guard<std::mutex> lock(c.mu);
  FLX_CHECK(!release_locked(c, p), range, std::string(device_name(d)) + ": deviceFree: not a live allocation");
}

void device_release_quiet(Device d, uint64_t p) {
  Cache& c = cache(d);
  std::lock_guard<std::mutex> lock(c.mu);
  release_locked(c, p);
}

void device_check_span(Device d, const Name& who, uint64_t p, uint64_t bytes) {
  if (bytes == 0) return;
  Cache& c = cache(d);
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.live.upper_bound(p);  // first block starting after p
  bool ok = it != c.live.begin();
  if (ok) {
    --it;
    ok = p - it->first <= it->second.requested && bytes <= it->second.requested - (p - it->first);
  }
  FLX_CHECK(!ok, range, who.str() + ": " + std::to_string(bytes) + " bytes at this address are not inside a live " +
                            device_name(d) + " allocation");
}

DeviceMemory device_memory(Device d) {
  Cache& c = cache(d);
  std::lock_guard<std::mutex> lock(c.mu);
  return DeviceMemory{c.live_bytes, c.cached_bytes};
}

void device_empty_cache(Device d) {
  const DeviceOps* o = device_ops(d);
  if (o == nullptr) return;
  Cache& c = cache(d);
  std::lock_guard<std::mutex> lock(c.mu);
  release_cached(*o, c);
}

}  // namespace flx
