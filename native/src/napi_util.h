// The small Node-API helpers every entry point of the addon uses: turning a C++ failure into
// a JS exception of the right class, reading arguments, making values. One copy, so that the
// kernel entries, the device functions and the collectives fail the same way.
//
// Plain Node-API, no C++ wrapper: an exception thrown while a worker thread is being
// terminated must be dropped quietly, never turned into a fatal error.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <new>
#include <string>

#include "common.h"

namespace flx {
namespace napi {

// Throws a JS error of `kind`; drops it if the environment cannot take one (a terminating
// worker, or an exception already pending).
inline void throw_js(napi_env env, ErrorKind kind, const char* msg) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  switch (kind) {
    case ErrorKind::type: napi_throw_type_error(env, nullptr, msg); break;
    case ErrorKind::range: napi_throw_range_error(env, nullptr, msg); break;
    case ErrorKind::error: napi_throw_error(env, nullptr, msg); break;
  }
}

// Runs body() and turns what it throws into a JS exception; returns its value or nullptr.
template <class F>
napi_value guarded(napi_env env, F&& body) {
  try {
    return body();
  } catch (const Error& e) {
    throw_js(env, e.kind, e.what());
  } catch (const std::bad_alloc&) {
    throw_js(env, ErrorKind::range, "fluxion native: out of memory");
  } catch (const std::exception& e) {
    throw_js(env, ErrorKind::error, (std::string("fluxion native: ") + e.what()).c_str());
  }
  return nullptr;
}

inline napi_value str(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}
inline napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}
inline napi_value boolean(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}
inline napi_value object(napi_env env) {
  napi_value v;
  napi_create_object(env, &v);
  return v;
}
inline void set(napi_env env, napi_value o, const char* key, napi_value v) { napi_set_named_property(env, o, key, v); }
inline napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// An entry point of the addon under its JavaScript name.
struct NamedFn {
  const char* name;
  napi_callback cb;
};

// The arguments of a call. TypeScript has validated them; these checks keep a wrong call from
// JavaScript (or a fuzzer) a clear error instead of a crash.
struct Args {
  static constexpr size_t kMax = 8;
  napi_env env;
  size_t argc = kMax;
  napi_value v[kMax];
  Args(napi_env e, napi_callback_info info) : env(e) {
    napi_get_cb_info(env, info, &argc, v, nullptr, nullptr);
    if (argc > kMax) argc = kMax;
  }
  double number(size_t i, const char* what) const {
    double d = 0;
    FLX_CHECK(i >= argc || napi_get_value_double(env, v[i], &d) != napi_ok, type, std::string(what) + " must be a number");
    return d;
  }
  int64_t integer(size_t i, const char* what, int64_t lo, int64_t hi) const { return integer_in(number(i, what), lo, hi, nullptr, what); }
  std::string string(size_t i, const char* what) const {
    size_t n = 0;
    FLX_CHECK(i >= argc || napi_get_value_string_utf8(env, v[i], nullptr, 0, &n) != napi_ok, type,
              std::string(what) + " must be a string");
    std::string s(n, '\0');
    napi_get_value_string_utf8(env, v[i], s.data(), n + 1, &n);
    return s;
  }
  bool flag(size_t i) const {
    bool b = false;
    if (i < argc) napi_get_value_bool(env, v[i], &b);
    return b;
  }
  // A typed array: its data, its length in elements and its type.
  void* typed_array(size_t i, const char* what, size_t* length, napi_typedarray_type* array_type) const {
    size_t len = 0;
    void* data = nullptr;
    FLX_CHECK(i >= argc || napi_get_typedarray_info(env, v[i], array_type, &len, &data, nullptr, nullptr) != napi_ok, type,
              std::string(what) + " must be a typed array");
    *length = len;
    return data;
  }
  // Any typed array's bytes.
  void* bytes(size_t i, const char* what, size_t* n) const {
    napi_typedarray_type t;
    size_t len = 0;
    void* data = typed_array(i, what, &len, &t);
    size_t elem = 8;
    switch (t) {
      case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: elem = 1; break;
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      default: break;
    }
    *n = len * elem;
    return data;
  }
  // A device handle [address, elements, dtype, device] made by deviceAlloc.
  uint64_t* handle(size_t i, const char* what) const {
    napi_typedarray_type t;
    size_t len = 0;
    void* data = nullptr;
    FLX_CHECK(i >= argc || napi_get_typedarray_info(env, v[i], &t, &len, &data, nullptr, nullptr) != napi_ok ||
                  t != napi_biguint64_array || len != 4,
              type, std::string(what) + " must be a device buffer");
    return static_cast<uint64_t*>(data);
  }
};

}  // namespace napi
}  // namespace flx
