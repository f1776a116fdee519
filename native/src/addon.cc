// The addon's surface, generated from the op list: `createContext(meta)` returns an object with
// one entry point per kernel (dispatched to the device of its output buffer), the device
// functions and the reports. Every copy of the JavaScript library creates its own context, so
// nothing here is shared between copies or threads but what is safe to share: the thread pool
// (one job at a time), device memory (locked allocators) and the read-only kernel table.
//
// Plain Node-API (napi_util.h): an exception thrown while a worker thread is being terminated
// must be dropped quietly, never turned into a fatal error.
#include <node_api.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "common.h"
#include "cpu/parallel.h"
#include "device.h"
#include "distributed.h"
#include "kernels.h"
#include "napi_util.h"

namespace flx {

// cpu/gemm.cc
std::string blas_info();
void set_blas_threads(int n);

namespace {

using namespace napi;

using KernelFn = void (*)(Call&);
struct KernelEntry {
  const char* name;
  KernelFn cpu;
  KernelFn cuda;  // nullptr: not implemented on CUDA, or a build without CUDA
};

#ifdef FLUXION_WITH_CUDA
#define FLX_CUDA_FN_CPU_CUDA(name) &name##_cuda
#else
#define FLX_CUDA_FN_CPU_CUDA(name) nullptr
#endif
#define FLX_CUDA_FN_CPU(name) nullptr
#define K(name, devices) KernelEntry{#name, &name##_cpu, FLX_CUDA_FN_##devices(name)},
const KernelEntry kKernels[] = {FLUXION_KERNELS(K)};
#undef K
#define K(name, devices) "" #devices,
const char* const kClaims[] = {FLUXION_KERNELS(K)};
#undef K
constexpr size_t kNumKernels = sizeof(kKernels) / sizeof(kKernels[0]);

bool claims_cuda(size_t k) { return std::strcmp(kClaims[k], "CPU_CUDA") == 0; }

// What each kernel entry point of a context gets as its data.
struct Bound {
  Context* ctx;
  const KernelEntry* entry;
  uint64_t calls;  // diagnostics: how often this context called the kernel (kernelCalls())
};
struct ContextBlock {
  Context ctx;
  Bound bound[kNumKernels];
};

napi_value kernel_entry(napi_env env, napi_callback_info info) {
  size_t argc = kMaxArgs;
  napi_value args[kMaxArgs];
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, &data) != napi_ok) return nullptr;
  if (argc > kMaxArgs) argc = kMaxArgs;
  Bound* b = static_cast<Bound*>(data);
  ++b->calls;
  return guarded(env, [&]() -> napi_value {
    Call c(env, args, argc, b->ctx, b->entry->name);
    KernelFn fn = c.device() == Device::cuda ? b->entry->cuda : b->entry->cpu;  // emulated: the CPU kernels
    FLX_CHECK(fn == nullptr, error, std::string(b->entry->name) + ": no CUDA kernel in this build");
    fn(c);
    return nullptr;
  });
}

// ---------------------------------------------------------------- module-level functions

Device device_arg(const Args& a, size_t i) { return Device(a.integer(i, "device", int64_t(Device::cuda), int64_t(Device::emulated))); }

// kernels(): { kernels: { name: { cpu: true, cuda: bool } }, ops: { binary: [...], ... }, cuda }
// `cuda` under each kernel says whether the CUDA device implements it in this build.
napi_value Kernels(napi_env env, napi_callback_info) {
  napi_value o = object(env), ks = object(env), ops = object(env);
  for (size_t k = 0; k < kNumKernels; ++k) {
    napi_value d = object(env);
    set(env, d, "cpu", boolean(env, true));
    set(env, d, "cuda", boolean(env, kKernels[k].cuda != nullptr));
    set(env, d, "claimsCuda", boolean(env, claims_cuda(k)));
    set(env, ks, kKernels[k].name, d);
  }
#define X(name) #name,
#define L(family, LIST)                                                   \
  {                                                                       \
    const char* names[] = {LIST(X)};                                      \
    napi_value a;                                                         \
    napi_create_array_with_length(env, sizeof(names) / sizeof(*names), &a); \
    for (uint32_t i = 0; i < sizeof(names) / sizeof(*names); ++i) napi_set_element(env, a, i, str(env, names[i])); \
    set(env, ops, #family, a);                                            \
  }
  FLUXION_OP_LISTS(L)
#undef L
#undef X
  set(env, o, "kernels", ks);
  set(env, o, "ops", ops);
#ifdef FLUXION_WITH_CUDA
  set(env, o, "cuda", boolean(env, true));
#else
  set(env, o, "cuda", boolean(env, false));
#endif
  return o;
}

napi_value NumThreads(napi_env env, napi_callback_info) { return num(env, num_threads()); }
napi_value SplitJobs(napi_env env, napi_callback_info) { return num(env, double(split_jobs())); }
napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    set_num_threads(int(a.integer(0, "setNumThreads: n", 1, 1024)));
    return undefined(env);
  });
}
napi_value BlasInfo(napi_env env, napi_callback_info) { return str(env, blas_info()); }
napi_value SetBlasThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    set_blas_threads(int(a.integer(0, "setBlasThreads: n", 1, 1024)));
    return undefined(env);
  });
}
napi_value CudaInfo(napi_env env, napi_callback_info) { return str(env, cuda_info()); }
napi_value CudaDeviceCount(napi_env env, napi_callback_info) { return num(env, cuda_device_count()); }

// deviceProblem(device) -> '' when usable, else why not
napi_value DeviceProblem(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const DeviceOps* o = device_ops(device_arg(a, 0));
    return str(env, o == nullptr ? "this build of Fluxion has no CUDA support (built without CUDA)" : o->problem());
  });
}

// deviceAlloc(device, dtype, n, zero) -> BigUint64Array [address, n, dtype, device]
napi_value DeviceAlloc(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    const Device d = device_arg(a, 0);
    const DType dt = DType(a.integer(1, "deviceAlloc: dtype", 0, 2));
    const int64_t n = a.integer(2, "deviceAlloc: n", 0, int64_t(1) << 50);
    bool zero = false;
    if (a.argc > 3) napi_get_value_bool(env, a.v[3], &zero);
    const uint64_t bytes = uint64_t(n == 0 ? 1 : n) * dtype_size(dt);
    const uint64_t p = device_alloc(d, bytes);
    if (zero && n > 0) device_ops(d)->zero(reinterpret_cast<void*>(static_cast<uintptr_t>(p)), size_t(bytes));
    napi_value ab, h;
    void* raw = nullptr;
    if (napi_create_arraybuffer(env, 32, &raw, &ab) != napi_ok ||
        napi_create_typedarray(env, napi_biguint64_array, 4, ab, 0, &h) != napi_ok) {
      device_release_quiet(d, p);
      return nullptr;
    }
    uint64_t* w = static_cast<uint64_t*>(raw);
    w[0] = p;
    w[1] = uint64_t(n);
    w[2] = uint64_t(dt);
    w[3] = uint64_t(d);
    return h;
  });
}

// deviceFree(handle): back to the cache; the handle is marked freed (a later use throws).
napi_value DeviceFree(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    uint64_t* h = a.handle(0, "deviceFree: buffer");
    if (h[3] != 0) {
      const Device d = Device(h[3]);
      FLX_CHECK(d != Device::cuda && d != Device::emulated, type, "deviceFree: buffer names no device");
      h[3] = 0;
      device_release(d, h[0]);
    }
    return undefined(env);
  });
}

// deviceUpload(handle, typedArray) / deviceDownload(handle, typedArray): synchronous copies of
// the typed array's bytes into / out of the start of the buffer.
napi_value DeviceCopy(napi_env env, napi_callback_info info, bool upload) {
  return guarded(env, [&] {
    Args a(env, info);
    const char* what = upload ? "deviceUpload" : "deviceDownload";
    uint64_t* h = a.handle(0, what);
    size_t bytes = 0;
    void* host = a.bytes(1, what, &bytes);
    FLX_CHECK(h[3] != uint64_t(Device::cuda) && h[3] != uint64_t(Device::emulated), range,
              std::string(what) + ": the device buffer was freed");
    const Device d = Device(h[3]);
    device_check_span(d, Name{what, "buffer"}, h[0], bytes);
    if (bytes > 0) {
      void* dev = reinterpret_cast<void*>(static_cast<uintptr_t>(h[0]));
      const DeviceOps* o = device_ops(d);
      if (upload) o->to_device(dev, host, bytes);
      else o->to_host(host, dev, bytes);
    }
    return undefined(env);
  });
}
napi_value DeviceUpload(napi_env env, napi_callback_info info) { return DeviceCopy(env, info, true); }
napi_value DeviceDownload(napi_env env, napi_callback_info info) { return DeviceCopy(env, info, false); }

napi_value DeviceMemoryInfo(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const DeviceMemory m = device_memory(device_arg(a, 0));
    napi_value o = object(env);
    set(env, o, "live", num(env, double(m.live)));
    set(env, o, "cached", num(env, double(m.cached)));
    return o;
  });
}

napi_value DeviceEmptyCache(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    device_empty_cache(device_arg(a, 0));
    return undefined(env);
  });
}

napi_value DeviceSync(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const DeviceOps* o = device_ops(device_arg(a, 0));
    if (o != nullptr && o->problem().empty()) o->sync();
    return undefined(env);
  });
}

// cudaGemm(backend: 'auto' | 'cublas' | 'own' | null, tf32: boolean | null)
napi_value CudaGemm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    napi_valuetype t;
    if (a.argc > 0 && napi_typeof(env, a.v[0], &t) == napi_ok && t == napi_string) {
      char buf[16];
      size_t n = 0;
      napi_get_value_string_utf8(env, a.v[0], buf, sizeof(buf), &n);
      cuda_gemm_backend(std::string(buf, n));
    }
    if (a.argc > 1 && napi_typeof(env, a.v[1], &t) == napi_ok && t == napi_boolean) {
      bool on = false;
      napi_get_value_bool(env, a.v[1], &on);
      cuda_gemm_tf32(on);
    }
    return undefined(env);
  });
}

napi_value CudaGemmInfo(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    const GemmReport r = cuda_gemm_report();
    napi_value o = object(env);
    set(env, o, "backend", str(env, r.backend));
    set(env, o, "active", str(env, r.active));
    set(env, o, "cublas", str(env, r.cublas));
    set(env, o, "tf32", boolean(env, r.tf32));
    return o;
  });
}

// kernelCalls() -> { name: calls } of this context: which kernels an op really took (tests).
napi_value KernelCalls(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, nullptr, nullptr, &data);
  const auto* block = static_cast<const ContextBlock*>(data);
  napi_value o = object(env);
  for (size_t k = 0; k < kNumKernels; ++k) set(env, o, kKernels[k].name, num(env, double(block->bound[k].calls)));
  return o;
}

const NamedFn kModuleFns[] = {
    {"kernels", Kernels},           {"numThreads", NumThreads},       {"setNumThreads", SetNumThreads},
    {"splitJobs", SplitJobs},       {"blasInfo", BlasInfo},           {"setBlasThreads", SetBlasThreads},
    {"cudaInfo", CudaInfo},         {"cudaDeviceCount", CudaDeviceCount}, {"deviceProblem", DeviceProblem},
    {"deviceAlloc", DeviceAlloc},   {"deviceFree", DeviceFree},       {"deviceUpload", DeviceUpload},
    {"deviceDownload", DeviceDownload}, {"deviceMemory", DeviceMemoryInfo}, {"deviceEmptyCache", DeviceEmptyCache},
    {"deviceSync", DeviceSync},     {"cudaGemm", CudaGemm},           {"cudaGemmInfo", CudaGemmInfo},
};

void add_fn(napi_env env, napi_value o, const char* name, napi_callback cb, void* data) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &f) == napi_ok) set(env, o, name, f);
}

// Frees a context when its environment goes away (a worker thread ending).
void free_context(void* arg) {
  auto* block = static_cast<ContextBlock*>(arg);
  if (block->ctx.meta_ref != nullptr) napi_delete_reference(block->ctx.env, block->ctx.meta_ref);
  delete block;
}

// createContext(meta: Float64Array) -> every kernel and module function, bound to this meta.
napi_value CreateContext(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info);
    napi_typedarray_type t;
    size_t len = 0;
    void* data = a.typed_array(0, "createContext: meta", &len, &t);
    FLX_CHECK(t != napi_float64_array || len < 256, type, "createContext: meta must be a Float64Array of at least 256 elements");
    auto* block = new ContextBlock();
    block->ctx.env = env;
    block->ctx.meta = static_cast<const double*>(data);
    block->ctx.meta_len = len;
    // keeps the metadata array alive as long as the context
    napi_create_reference(env, a.v[0], 1, &block->ctx.meta_ref);
    napi_add_env_cleanup_hook(env, free_context, block);
    napi_value o = object(env);
    for (size_t k = 0; k < kNumKernels; ++k) {
      block->bound[k] = Bound{&block->ctx, &kKernels[k], 0};
      add_fn(env, o, kKernels[k].name, kernel_entry, &block->bound[k]);
    }
    add_fn(env, o, "kernelCalls", KernelCalls, block);
    for (const NamedFn& f : kModuleFns) add_fn(env, o, f.name, f.cb, nullptr);
    for (size_t i = 0; i < dist::kNumFns; ++i) add_fn(env, o, dist::kFns[i].name, dist::kFns[i].cb, nullptr);
    set(env, o, "meta", a.v[0]);
    return o;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  add_fn(env, exports, "createContext", CreateContext, nullptr);
  for (const NamedFn& f : kModuleFns) add_fn(env, exports, f.name, f.cb, nullptr);
  return exports;
}

}  // namespace
}  // namespace flx

NAPI_MODULE(fluxion, flx::Init)
