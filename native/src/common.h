// Shared plumbing of the native addon: reading typed arrays, the metadata buffer
// that TypeScript fills before each call, and the one error macro.
//
// TypeScript validates every argument before it calls in; the checks here are a
// second line that turns any inconsistency into a JS exception instead of a crash.
#pragma once
#include <napi.h>
#include <cstdint>
#include <string>

namespace flx {

constexpr int kMaxDims = 16;

enum class DType { f32, f64, i32 };

// A typed array as seen from C++: its data pointer already includes the byte offset.
struct Arr {
  void* data = nullptr;
  int64_t len = 0;
  DType dtype = DType::f32;
  template <class T> T* as() const { return static_cast<T*>(data); }
};

#define FLX_THROW_IF(cond, env, Kind, msg)                                   \
  do {                                                                       \
    if (cond) throw Napi::Kind::New((env), std::string("fluxion native: ") + (msg)); \
  } while (0)

Arr arr(const Napi::CallbackInfo& info, size_t i, const char* what);

// The metadata buffer (a Float64Array owned by JS, registered once by `init`).
// Integers up to 2^53 are exact, which covers every index and stride.
class Meta {
 public:
  explicit Meta(const Napi::Env& env);
  int64_t i(int k) { return int64_t(base_[pos_ + k]); }
  int64_t next() { return int64_t(base_[pos_++]); }
  double nextf() { return base_[pos_++]; }
 private:
  const double* base_;
  int pos_ = 0;
};
void set_meta(const double* data, size_t len);
size_t meta_len();

// A strided view read from the metadata: ndim, shape[ndim], offset, strides[ndim].
struct View {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t offset = 0;
  int64_t strides[kMaxDims];
  int64_t numel() const { int64_t n = 1; for (int d = 0; d < ndim; ++d) n *= shape[d]; return n; }
};
int read_ndim(Meta& m, const Napi::Env& env);
void read_shape(Meta& m, int ndim, int64_t* shape);
void read_strides(Meta& m, int ndim, int64_t* offset, int64_t* strides);
// Throws unless every element the view addresses lies inside an array of length `len`.
void check_bounds(const Napi::Env& env, const char* what, int ndim, const int64_t* shape, int64_t offset,
                  const int64_t* strides, int64_t len);

// Bounds of one matrix operand of a batched matmul: rows x cols stored with leading dimension ld
// (transposed or not), repeated over the batch dims. Also refuses an ld smaller than BLAS accepts.
void check_matrix(const Napi::Env& env, const char* what, bool trans, int64_t rows, int64_t cols, int64_t ld,
                  int64_t offset, int ndim, const int64_t* bshape, const int64_t* bstr, int64_t len);

const char* dtype_name(DType t);

// Calls f(T{}) with T the C++ element type of `t`: the one dtype switch of every kernel.
template <class F>
void with_dtype(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(float{}); break;
    case DType::f64: f(double{}); break;
    case DType::i32: f(int32_t{}); break;
  }
}

// The same for kernels defined on floats only; int32 is refused with the kernel's name.
template <class F>
void with_float_dtype(const Napi::Env& env, const char* op, DType t, F&& f) {
  FLX_THROW_IF(t == DType::i32, env, TypeError, std::string(op) + ": int32 is not supported");
  if (t == DType::f32) f(float{});
  else f(double{});
}

}  // namespace flx
