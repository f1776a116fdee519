// The CUDA device: discovery, its one stream, and what it provides beneath the caching
// allocator (device.cc). The runtime is linked statically, so this loads on a machine without a
// driver and reports why no device is usable instead of failing.
#include <cuda_runtime.h>

#include <string>

#include "runtime.cuh"

namespace flx {
namespace cu {

static std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
}

void check(const char* what, cudaError_t e) {
  if (e == cudaSuccess) return;
  fail(ErrorKind::error, std::string("fluxion native: ") + what + ": " + error_text(e));
}

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
    // Work from every host thread goes to this one stream, in order.
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

// The device is per host thread in the CUDA runtime: a worker thread starts on device 0 too,
// but say so explicitly before work from a thread that has not touched CUDA yet.
void bind_thread() {
  thread_local bool bound = false;
  if (!bound) {
    cudaSetDevice(0);
    bound = true;
  }
}

// ---- beneath the allocator

std::string problem() { return state().ok ? "" : state().reason; }

void* raw_alloc(size_t bytes, bool* oom, std::string* err) {
  bind_thread();
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaSuccess) return p;
  cudaGetLastError();
  *oom = e == cudaErrorMemoryAllocation;
  *err = error_text(e);
  return nullptr;
}

void raw_free(void* p) {
  cudaFree(p);
  cudaGetLastError();
}

void sync() {
  if (state().ok) cudaStreamSynchronize(state().stream);
}

void to_device(void* dst, const void* src, size_t bytes) {
  cudaStream_t s = stream("deviceUpload");
  check("deviceUpload", cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
  check("deviceUpload", cudaStreamSynchronize(s));
}

void to_host(void* dst, const void* src, size_t bytes) {
  cudaStream_t s = stream("deviceDownload");
  check("deviceDownload", cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
  check("deviceDownload", cudaStreamSynchronize(s));
}

void zero(void* p, size_t bytes) { check("deviceAlloc", cudaMemsetAsync(p, 0, bytes, stream("deviceAlloc"))); }

const DeviceOps kCuda{problem, raw_alloc, raw_free, sync, to_device, to_host, zero};

}  // namespace

cudaStream_t stream(const char* what) {
  DeviceState& s = state();
  FLX_CHECK(!s.ok, error, std::string(what) + ": " + s.reason);
  bind_thread();
  return s.stream;
}

bool device_ok() { return state().ok; }
int sm_count() { return state().sms; }
int cc_major() { return state().ok ? state().cc_major : 0; }

}  // namespace cu

const DeviceOps* cuda_ops() { return &cu::kCuda; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    n = 0;
  }
  return n;
}

std::string cuda_info() {
  int runtime = 0, driver = 0, count = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  std::string head = "runtime=" + std::to_string(runtime) + " driver=" + std::to_string(driver) + " ";
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return head + "no CUDA device (" + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ")";
  }
  if (count == 0) return head + "no CUDA device (0 devices)";
  cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) {
    cudaGetLastError();
    return head + "device 0 unreadable";
  }
  return head + "devices=" + std::to_string(count) + " name=" + p.name + " sm_" + std::to_string(p.major) +
         std::to_string(p.minor);
}

}  // namespace flx
