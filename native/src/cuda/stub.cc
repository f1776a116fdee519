// The CUDA half of the addon in a build without CUDA: the same entry points, so TypeScript
// sees one binding shape. cudaDeviceCount answers 0, the reports answer "none", and every
// other entry throws "built without CUDA".
#include "device.h"

namespace flx {

bool cuda_compiled() { return false; }
std::string cuda_info() { return "built without CUDA"; }

namespace {

// info.Data() is the entry's name.
Napi::Value Unavailable(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), std::string("fluxion native: ") + static_cast<const char*>(info.Data()) +
                                         ": built without CUDA");
}

Napi::Value DeviceCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), 0); }

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("live", Napi::Number::New(info.Env(), 0));
  o.Set("cached", Napi::Number::New(info.Env(), 0));
  return o;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Value GemmInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", "auto");
  o.Set("active", "own");
  o.Set("cublas", "built without CUDA");
  o.Set("tf32", Napi::Boolean::New(env, false));
  return o;
}

}  // namespace

Napi::Object cuda_kernels(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  for (const char* f : {"binary", "unary", "unaryGrad", "reduce", "other"}) o.Set(f, Napi::Array::New(env, 0));
  return o;
}

void register_cuda(Napi::Env env, Napi::Object exports) {
#define X(name) \
  exports.Set(#name, Napi::Function::New(env, Unavailable, #name, const_cast<char*>(#name)));
  FLUXION_CUDA_ENTRIES(X)
#undef X
  exports.Set("cudaDeviceCount", Napi::Function::New(env, DeviceCount, "cudaDeviceCount"));
  exports.Set("cudaMemory", Napi::Function::New(env, Memory, "cudaMemory"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, EmptyCache, "cudaEmptyCache"));
  exports.Set("cudaGemmInfo", Napi::Function::New(env, GemmInfo, "cudaGemmInfo"));
}

}  // namespace flx
