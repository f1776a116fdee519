// CUDA device discovery and the registration of the CUDA half of the addon. The runtime is
// linked statically, so this file loads on a machine without a driver and reports why no
// device is usable instead of failing.
#include <cuda_runtime.h>

#include <string>

#include "../ops.def"
#include "device.h"
#include "runtime.cuh"

namespace flx {

bool cuda_compiled() { return true; }

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

namespace cu {
KernelList& kernel_list() {
  static KernelList* l = new KernelList();
  return *l;
}
}  // namespace cu

namespace {

Napi::Array to_array(Napi::Env env, const std::vector<std::string>& names) {
  Napi::Array a = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); ++i) a.Set(i, Napi::String::New(env, names[i]));
  return a;
}

// info.Data() is the entry's name.
Napi::Value NotRegistered(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), std::string("fluxion native: ") + static_cast<const char*>(info.Data()) +
                                         ": missing from this CUDA build");
}

}  // namespace

Napi::Object cuda_kernels(Napi::Env env) {
  const cu::KernelList& l = cu::kernel_list();
  // 'other' in the order of ops.def, whatever order the files registered in.
  std::vector<std::string> other;
#define X(name) \
  for (const std::string& n : l.other) if (n == #name) { other.push_back(n); break; }
  FLUXION_OTHER_KERNELS(X)
#undef X
  Napi::Object o = Napi::Object::New(env);
  o.Set("binary", to_array(env, l.binary));
  o.Set("unary", to_array(env, l.unary));
  o.Set("unaryGrad", to_array(env, l.unaryGrad));
  o.Set("reduce", to_array(env, l.reduce));
  o.Set("other", to_array(env, other));
  return o;
}

void register_cuda(Napi::Env env, Napi::Object exports) {
  cu::register_memory(env, exports);
  cu::register_binary(env, exports);
  cu::register_unary(env, exports);
  cu::register_reduce(env, exports);
  cu::register_gemm(env, exports);
  cu::register_movement(env, exports);
  cu::register_random(env, exports);
  cu::register_optim(env, exports);
  // Same binding shape in every build: anything not registered above still exists and throws.
#define X(name) \
  if (!exports.Has(#name)) exports.Set(#name, Napi::Function::New(env, NotRegistered, #name, const_cast<char*>(#name)));
  FLUXION_CUDA_ENTRIES(X)
#undef X
}

}  // namespace flx
