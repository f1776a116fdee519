#include "common.h"

namespace flx {

static const double* g_meta = nullptr;
static size_t g_meta_len = 0;

void set_meta(const double* data, size_t len) { g_meta = data; g_meta_len = len; }
size_t meta_len() { return g_meta_len; }

Meta::Meta(const Napi::Env& env) : base_(g_meta) {
  FLX_THROW_IF(g_meta == nullptr, env, Error, "init() was not called");
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
  }
  return "?";
}

Arr arr(const Napi::CallbackInfo& info, size_t i, const char* what) {
  napi_env env = info.Env();
  napi_value v = info[i];
  napi_typedarray_type t;
  size_t len = 0;
  void* data = nullptr;
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta)
    throw Napi::TypeError::New(env, std::string("fluxion native: ") + what + " must be a typed array");
  napi_get_typedarray_info(env, v, &t, &len, &data, nullptr, nullptr);
  Arr a;
  a.data = data;
  a.len = int64_t(len);
  switch (t) {
    case napi_float32_array: a.dtype = DType::f32; break;
    case napi_float64_array: a.dtype = DType::f64; break;
    case napi_int32_array: a.dtype = DType::i32; break;
    default:
      throw Napi::TypeError::New(env, std::string("fluxion native: ") + what +
                                          " must be a Float32Array, Float64Array or Int32Array");
  }
  return a;
}

int read_ndim(Meta& m, const Napi::Env& env) {
  int64_t nd = m.next();
  FLX_THROW_IF(nd < 0 || nd > kMaxDims, env, RangeError, "rank out of range");
  return int(nd);
}

void read_shape(Meta& m, int ndim, int64_t* shape) {
  for (int d = 0; d < ndim; ++d) shape[d] = m.next();
}

void read_strides(Meta& m, int ndim, int64_t* offset, int64_t* strides) {
  *offset = m.next();
  for (int d = 0; d < ndim; ++d) strides[d] = m.next();
}

void check_bounds(const Napi::Env& env, const char* what, int ndim, const int64_t* shape, int64_t offset,
                  const int64_t* strides, int64_t len) {
  int64_t lo = offset, hi = offset, n = 1;
  for (int d = 0; d < ndim; ++d) {
    FLX_THROW_IF(shape[d] < 0, env, RangeError, std::string(what) + ": negative dimension");
    n *= shape[d];
    if (shape[d] == 0) continue;
    int64_t span = (shape[d] - 1) * strides[d];
    if (span < 0) lo += span; else hi += span;
  }
  if (n == 0) return;
  FLX_THROW_IF(lo < 0 || hi >= len, env, RangeError,
               std::string(what) + ": view reaches outside its storage");
}

}  // namespace flx
