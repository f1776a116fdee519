// The device, its one stream, the caching allocator, host <-> device copies, and the
// argument readers every CUDA entry point shares.
//
// Allocator: a freed block goes to a free list keyed by its rounded size and is handed out
// again for the next request of that size class, so steady-state training makes no
// cudaMalloc/cudaFree calls. Sizes up to 1 MiB round up to 512 B; above that to a quarter of
// the power of two below (at most 25% slack). When cudaMalloc runs out of memory, the cache is
// released and the allocation retried once.
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>

#include "device.h"
#include "runtime.cuh"

namespace flx {
namespace cu {

// ---------------------------------------------------------------- errors

static std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
}

void check(const Napi::Env& env, const char* what, cudaError_t e) {
  if (e == cudaSuccess) return;
  throw Napi::Error::New(env, std::string("fluxion native: ") + what + ": " + error_text(e));
}

// ---------------------------------------------------------------- device

namespace {

struct DeviceState {
  bool ok = false;
  std::string reason;
  cudaStream_t stream = nullptr;
  int sms = 1;
  int cc_major = 0;
};

// Probed once (thread-safe static); never freed: CUDA calls in static destructors at process
// exit are unsafe, and the driver reclaims everything then.
DeviceState& state() {
  static DeviceState* s = [] {
    auto* d = new DeviceState();
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      cudaGetLastError();
      d->reason = "no CUDA device (" + std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e) + ")";
      return d;
    }
    if (count == 0) {
      d->reason = "no CUDA device (0 devices)";
      return d;
    }
    e = cudaSetDevice(0);
    if (e == cudaSuccess) e = cudaStreamCreate(&d->stream);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&d->sms, cudaDevAttrMultiProcessorCount, 0);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&d->cc_major, cudaDevAttrComputeCapabilityMajor, 0);
    if (e != cudaSuccess) {
      cudaGetLastError();
      d->reason = "CUDA device 0 is not usable (" + std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e) + ")";
      return d;
    }
    if (d->sms < 1) d->sms = 1;
    d->ok = true;
    return d;
  }();
  return *s;
}

}  // namespace

cudaStream_t stream(const Napi::Env& env, const char* what) {
  DeviceState& s = state();
  if (!s.ok) throw Napi::Error::New(env, std::string("fluxion native: ") + what + ": " + s.reason);
  // A kernel launched on another host thread (worker) uses that thread's current device: 0 by default.
  return s.stream;
}

bool device_ok() { return state().ok; }

int sm_count() { return state().sms; }

int cc_major() { return state().ok ? state().cc_major : 0; }

// ---------------------------------------------------------------- arguments

double num_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("fluxion native: ") + what + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

static constexpr double kTwo53 = 9007199254740992.0;

int64_t count_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  const double d = num_arg(info, i, what);
  FLX_THROW_IF(!(d >= 0 && d <= kTwo53) || std::floor(d) != d, info.Env(), RangeError,
               std::string(what) + " must be an integer in [0, 2^53]");
  return int64_t(d);
}

int int_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  const double d = num_arg(info, i, what);
  FLX_THROW_IF(!(d >= -2147483648.0 && d <= 2147483647.0) || std::floor(d) != d, info.Env(), RangeError,
               std::string(what) + " must be a 32-bit integer");
  return int(d);
}

uint32_t u32_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  const double d = num_arg(info, i, what);
  FLX_THROW_IF(!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d, info.Env(), RangeError,
               std::string(what) + " must be an integer in [0, 2^32)");
  return uint32_t(d);
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) throw Napi::TypeError::New(info.Env(), std::string("fluxion native: ") + what + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

DType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  const int c = int_arg(info, i, what);
  FLX_THROW_IF(c < 0 || c > 2, info.Env(), TypeError,
               std::string(what) + " must be a dtype code (0 = float32, 1 = float64, 2 = int32)");
  return c == 0 ? DType::f32 : c == 1 ? DType::f64 : DType::i32;
}

size_t dtype_size(DType t) { return t == DType::f64 ? 8 : 4; }

int64_t mul_checked(const Napi::Env& env, const char* what, int64_t a, int64_t b) {
  int64_t r = 0;
  FLX_THROW_IF(__builtin_mul_overflow(a, b, &r) || r > int64_t(kTwo53), env, RangeError,
               std::string(what) + ": size overflows");
  return r;
}

Dev dev_arg(const Napi::CallbackInfo& info, size_t ptr_i, int64_t len, DType dtype, const char* what) {
  Dev d;
  d.p = uint64_t(count_arg(info, ptr_i, what));
  d.len = len;
  d.dtype = dtype;
  return d;
}

// ---------------------------------------------------------------- allocator

namespace {

struct Block {
  uint64_t size;       // rounded: what cudaMalloc gave
  uint64_t requested;  // what the caller asked for: the bound of check_span
};

struct Cache {
  std::mutex mu;
  std::map<uint64_t, Block> live;                                // base -> block
  std::unordered_map<uint64_t, std::vector<uint64_t>> free_lists;  // rounded size -> bases
  uint64_t live_bytes = 0, cached_bytes = 0;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed (see state())
  return *c;
}

uint64_t round_size(uint64_t n) {
  if (n <= (uint64_t(1) << 20)) return n <= 512 ? 512 : (n + 511) & ~uint64_t(511);
  const uint64_t top = uint64_t(1) << (63 - __builtin_clzll(n));
  const uint64_t step = top / 4;
  return (n + step - 1) / step * step;
}

// Frees every cached block; the caller holds the lock. Waits for the stream first so no queued
// kernel still uses a block that goes back to the driver.
void release_cached(Cache& c) {
  if (c.cached_bytes == 0) return;
  if (state().ok) cudaStreamSynchronize(state().stream);
  for (auto& kv : c.free_lists)
    for (uint64_t p : kv.second) cudaFree(reinterpret_cast<void*>(static_cast<uintptr_t>(p)));
  c.free_lists.clear();
  c.cached_bytes = 0;
  cudaGetLastError();
}

}  // namespace

uint64_t device_alloc(const Napi::Env& env, const char* what, uint64_t bytes) {
  Cache& c = cache();
  const uint64_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(c.mu);
  uint64_t p = 0;
  auto it = c.free_lists.find(size);
  if (it != c.free_lists.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    c.cached_bytes -= size;
  } else {
    void* raw = nullptr;
    cudaError_t e = cudaMalloc(&raw, size_t(size));
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      release_cached(c);
      e = cudaMalloc(&raw, size_t(size));
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw Napi::Error::New(env, std::string("fluxion native: ") + what + ": " + error_text(e) + " allocating " +
                                      std::to_string(bytes) + " bytes (live " + std::to_string(c.live_bytes) +
                                      ", cached " + std::to_string(c.cached_bytes) + ")");
    }
    p = uint64_t(reinterpret_cast<uintptr_t>(raw));
    if (p >= uint64_t(kTwo53)) {  // cannot travel as a JS number; never seen on Linux x86-64
      cudaFree(raw);
      throw Napi::Error::New(env, std::string("fluxion native: ") + what + ": device address beyond 2^53");
    }
  }
  c.live[p] = Block{size, bytes};
  c.live_bytes += size;
  return p;
}

static bool release_locked(Cache& c, uint64_t p) {
  auto it = c.live.find(p);
  if (it == c.live.end()) return false;
  const uint64_t size = it->second.size;
  c.live.erase(it);
  c.live_bytes -= size;
  c.free_lists[size].push_back(p);
  c.cached_bytes += size;
  return true;
}

void device_release(const Napi::Env& env, const char* what, uint64_t p) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  FLX_THROW_IF(!release_locked(c, p), env, RangeError, std::string(what) + ": not a live CUDA allocation");
}

void device_release_quiet(uint64_t p) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  release_locked(c, p);
}

void check_span(const Napi::Env& env, const char* what, uint64_t p, uint64_t bytes) {
  if (bytes == 0) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.live.upper_bound(p);  // first block starting after p
  bool ok = it != c.live.begin();
  if (ok) {
    --it;
    ok = p - it->first <= it->second.requested && bytes <= it->second.requested - (p - it->first);
  }
  FLX_THROW_IF(!ok, env, RangeError,
               std::string(what) + ": " + std::to_string(bytes) + " bytes at this address are not inside a live CUDA allocation");
}

// ---------------------------------------------------------------- entry points

namespace {

// cudaDeviceCount() -> number: 0 when there is no driver or no device; never throws.
Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    n = 0;
  }
  return Napi::Number::New(info.Env(), n);
}

// cudaAlloc(bytes) -> ptr
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t bytes = count_arg(info, 0, "cudaAlloc: bytes");
  stream(env, "cudaAlloc");
  return Napi::Number::New(env, double(device_alloc(env, "cudaAlloc", uint64_t(bytes))));
}

// cudaFree(ptr): the block goes back to the cache.
Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t p = uint64_t(count_arg(info, 0, "cudaFree: ptr"));
  stream(env, "cudaFree");
  device_release(env, "cudaFree", p);
  return env.Undefined();
}

// cudaMemory() -> { live, cached } bytes held (rounded sizes). Never needs a device.
Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  Napi::Object o = Napi::Object::New(env);
  o.Set("live", Napi::Number::New(env, double(c.live_bytes)));
  o.Set("cached", Napi::Number::New(env, double(c.cached_bytes)));
  return o;
}

// cudaEmptyCache(): gives cached blocks back to the driver (nothing to do without a device).
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  release_cached(c);
  return info.Env().Undefined();
}

// Any typed array's bytes.
struct HostBytes {
  void* data = nullptr;
  uint64_t bytes = 0;
};

HostBytes host_bytes(const Napi::CallbackInfo& info, size_t i, const char* what) {
  napi_env env = info.Env();
  napi_value v = info[i];
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta)
    throw Napi::TypeError::New(env, std::string("fluxion native: ") + what + " must be a typed array");
  napi_typedarray_type t;
  size_t len = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, v, &t, &len, &data, nullptr, nullptr);
  size_t elem = 1;
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: elem = 1; break;
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    default: elem = 8; break;  // float64, bigint64, biguint64
  }
  return HostBytes{data, uint64_t(len) * elem};
}

// cudaUpload(ptr, typedArray): synchronous host -> device copy of the array's bytes.
Napi::Value Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t p = uint64_t(count_arg(info, 0, "cudaUpload: ptr"));
  HostBytes h = host_bytes(info, 1, "cudaUpload: data");
  cudaStream_t s = stream(env, "cudaUpload");
  check_span(env, "cudaUpload: ptr", p, h.bytes);
  if (h.bytes == 0) return env.Undefined();
  check(env, "cudaUpload",
        cudaMemcpyAsync(reinterpret_cast<void*>(static_cast<uintptr_t>(p)), h.data, size_t(h.bytes), cudaMemcpyHostToDevice, s));
  check(env, "cudaUpload", cudaStreamSynchronize(s));
  return env.Undefined();
}

// cudaDownload(ptr, typedArray): synchronous device -> host copy into the array (waits for queued work).
Napi::Value Download(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t p = uint64_t(count_arg(info, 0, "cudaDownload: ptr"));
  HostBytes h = host_bytes(info, 1, "cudaDownload: data");
  cudaStream_t s = stream(env, "cudaDownload");
  check_span(env, "cudaDownload: ptr", p, h.bytes);
  if (h.bytes == 0) return env.Undefined();
  check(env, "cudaDownload",
        cudaMemcpyAsync(h.data, reinterpret_cast<const void*>(static_cast<uintptr_t>(p)), size_t(h.bytes), cudaMemcpyDeviceToHost, s));
  check(env, "cudaDownload", cudaStreamSynchronize(s));
  return env.Undefined();
}

// cudaSync(): waits for all queued work; reports any asynchronous failure.
Napi::Value Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cudaStream_t s = stream(env, "cudaSync");
  check(env, "cudaSync", cudaStreamSynchronize(s));
  return env.Undefined();
}

}  // namespace

void register_memory(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaDeviceCount", Napi::Function::New(env, DeviceCount, "cudaDeviceCount"));
  exports.Set("cudaAlloc", Napi::Function::New(env, Alloc, "cudaAlloc"));
  exports.Set("cudaFree", Napi::Function::New(env, Free, "cudaFree"));
  exports.Set("cudaMemory", Napi::Function::New(env, Memory, "cudaMemory"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, EmptyCache, "cudaEmptyCache"));
  exports.Set("cudaUpload", Napi::Function::New(env, Upload, "cudaUpload"));
  exports.Set("cudaDownload", Napi::Function::New(env, Download, "cudaDownload"));
  exports.Set("cudaSync", Napi::Function::New(env, Sync, "cudaSync"));
}

}  // namespace cu
}  // namespace flx
