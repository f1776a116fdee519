// The export list of the addon, nothing else: each kernel family registers itself.
#include <napi.h>

#include "common.h"
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "cuda/device.h"

namespace flx {
namespace {

// init(meta: Float64Array): the metadata buffer every kernel call reads its shapes from.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr m = arr(info, 0, "init: meta");
  FLX_THROW_IF(m.dtype != DType::f64 || m.len < 256, env, TypeError, "init: meta must be a Float64Array(>=256)");
  // Keep the array alive for the life of the process.
  static Napi::Reference<Napi::Value>* keep = nullptr;
  if (keep) keep->Reset();
  keep = new Napi::Reference<Napi::Value>(Napi::Persistent(info[0]));
  set_meta(m.as<double>(), size_t(m.len));
  return env.Undefined();
}

Napi::Array names(Napi::Env env, std::initializer_list<const char*> list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  uint32_t i = 0;
  for (const char* s : list) a.Set(i++, Napi::String::New(env, s));
  return a;
}

// kernels(): the op list compiled into this build, by family (order = op code).
Napi::Value Kernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#define X(name) #name,
  o.Set("binary", names(env, {FLUXION_BINARY_OPS(X)}));
  o.Set("unary", names(env, {FLUXION_UNARY_OPS(X)}));
  o.Set("unaryGrad", names(env, {FLUXION_UNARY_GRAD_OPS(X)}));
  o.Set("reduce", names(env, {FLUXION_REDUCE_OPS(X)}));
  o.Set("other", names(env, {FLUXION_OTHER_KERNELS(X)}));
#undef X
  o.Set("cuda", Napi::Boolean::New(env, cuda_compiled()));
  // The CUDA kernels compiled in, same families (empty lists in a build without CUDA).
  o.Set("cudaKernels", cuda_kernels(env));
  return o;
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  FLX_THROW_IF(n < 1, info.Env(), RangeError, "setNumThreads: need at least 1");
  set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value SplitJobs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(split_jobs())); }

Napi::Value CudaInfo(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cuda_info()); }

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("kernels", Napi::Function::New(env, Kernels, "kernels"));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads, "numThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo, "cudaInfo"));
  exports.Set("splitJobs", Napi::Function::New(env, SplitJobs, "splitJobs"));
  register_binary(env, exports);
  register_unary(env, exports);
  register_reduce(env, exports);
  register_gemm(env, exports);
  register_movement(env, exports);
  register_random(env, exports);
  register_optim(env, exports);
  register_fused(env, exports);
  register_cuda(env, exports);  // cuda* entry points (cuda/*.cu, or cuda/stub.cc without CUDA)
  return exports;
}

}  // namespace
}  // namespace flx

static Napi::Object InitFluxion(Napi::Env env, Napi::Object exports) { return flx::Register(env, exports); }
NODE_API_MODULE(fluxion, InitFluxion)
