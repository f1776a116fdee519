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
  // One N-API call: it fails (napi_invalid_arg) for anything that is not a typed array.
  if (napi_get_typedarray_info(env, v, &t, &len, &data, nullptr, nullptr) != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    throw Napi::TypeError::New(env, std::string("fluxion native: ") + what + " must be a typed array");
  }
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

// The smallest leading dimension BLAS accepts for a row-major operand of rows x cols.
static int64_t min_ld(bool trans, int64_t rows, int64_t cols) {
  int64_t ld = trans ? rows : cols;
  return ld < 1 ? 1 : ld;
}

void check_matrix(const Napi::Env& env, const char* what, bool trans, int64_t rows, int64_t cols, int64_t ld,
                  int64_t offset, int ndim, const int64_t* bshape, const int64_t* bstr, int64_t len) {
  FLX_THROW_IF(ld < min_ld(trans, rows, cols), env, RangeError, std::string(what) + ": leading dimension too small");
  int64_t shape[kMaxDims + 2], strides[kMaxDims + 2];
  for (int d = 0; d < ndim; ++d) { shape[d] = bshape[d]; strides[d] = bstr[d]; }
  shape[ndim] = rows;
  shape[ndim + 1] = cols;
  strides[ndim] = trans ? 1 : ld;
  strides[ndim + 1] = trans ? ld : 1;
  check_bounds(env, what, ndim + 2, shape, offset, strides, len);
}

}  // namespace flx
