#include "common.h"

#include <cmath>

#include "device.h"

namespace flx {

void fail(ErrorKind kind, const std::string& msg) { throw Error(kind, msg); }

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
  }
  return "?";
}

const char* device_name(Device d) {
  switch (d) {
    case Device::cpu: return "cpu";
    case Device::cuda: return "cuda";
    case Device::emulated: return "emulated device";
  }
  return "?";
}

size_t dtype_size(DType t) { return t == DType::f64 ? 8 : 4; }

int64_t mul_size(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  FLX_CHECK(__builtin_mul_overflow(a, b, &r), range, std::string(what) + ": size overflows");
  return r;
}

int64_t add_size(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  FLX_CHECK(__builtin_add_overflow(a, b, &r), range, std::string(what) + ": size overflows");
  return r;
}

// ---------------------------------------------------------------- metadata

int64_t Meta::next() {
  FLX_CHECK(pos_ >= len_, range, "the metadata does not fit its buffer");
  const double v = base_[pos_++];
  // NaN fails the range test too
  // (a truncation and back instead of floor: floor is a library call on baseline x86-64)
  FLX_CHECK(!(v >= -kTwo53 && v <= kTwo53) || double(int64_t(v)) != v, range,
            "metadata value " + std::to_string(v) + " is not an integer within ±2^53");
  return int64_t(v);
}

double Meta::nextf() {
  FLX_CHECK(pos_ >= len_, range, "the metadata does not fit its buffer");
  return base_[pos_++];
}

int read_ndim(Meta& m, const char* kernel) {
  const int64_t nd = m.next();
  FLX_CHECK(nd < 0 || nd > kMaxDims, range, std::string(kernel) + ": rank out of range");
  return int(nd);
}

void read_shape(Meta& m, int ndim, int64_t* shape, const char* kernel) {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) {
    shape[d] = m.next();
    FLX_CHECK(shape[d] < 0, range, std::string(kernel) + ": negative dimension");
    // the element count must be a number every kernel can index with
    n = mul_size(n, shape[d], kernel);
  }
}

void read_strides(Meta& m, int ndim, int64_t* offset, int64_t* strides) {
  *offset = m.next();
  for (int d = 0; d < ndim; ++d) strides[d] = m.next();
}

void check_bounds(const Name& who, int ndim, const int64_t* shape, int64_t offset, const int64_t* strides,
                  int64_t len) {
  for (int d = 0; d < ndim; ++d) {
    FLX_CHECK(shape[d] < 0, range, who.str() + ": negative dimension");
    if (shape[d] == 0) return;  // addresses nothing
  }
  int64_t lo = offset, hi = offset;
  bool overflow = false;
  for (int d = 0; d < ndim; ++d) {
    int64_t span = 0;
    // (shape - 1) * stride may not fit: a stride of 2^61 used to wrap to 0 and pass
    overflow |= __builtin_mul_overflow(shape[d] - 1, strides[d], &span);
    overflow |= span < 0 ? __builtin_add_overflow(lo, span, &lo) : __builtin_add_overflow(hi, span, &hi);
  }
  FLX_CHECK(overflow || lo < 0 || hi >= len, range, who.str() + ": view reaches outside its storage");
}

// The smallest leading dimension BLAS accepts for a row-major operand of rows x cols.
static int64_t min_ld(bool trans, int64_t rows, int64_t cols) {
  int64_t ld = trans ? rows : cols;
  return ld < 1 ? 1 : ld;
}

void check_matrix(const Name& who, bool trans, int64_t rows, int64_t cols, int64_t ld, int64_t offset, int ndim,
                  const int64_t* bshape, const int64_t* bstr, int64_t len) {
  FLX_CHECK(ld < min_ld(trans, rows, cols), range, who.str() + ": leading dimension too small");
  int64_t shape[kMaxDims + 2], strides[kMaxDims + 2];
  for (int d = 0; d < ndim; ++d) {
    shape[d] = bshape[d];
    strides[d] = bstr[d];
  }
  shape[ndim] = rows;
  shape[ndim + 1] = cols;
  strides[ndim] = trans ? 1 : ld;
  strides[ndim + 1] = trans ? ld : 1;
  check_bounds(who, ndim + 2, shape, offset, strides, len);
}

// ---------------------------------------------------------------- arguments

Call::Call(napi_env env, napi_value* args, size_t argc, const Context* ctx, const char* kernel)
    : env_(env), args_(args), argc_(argc), ctx_(ctx), kernel_(kernel) {
  // A bad first buffer is reported by the kernel's own buf(0, name), which names it properly.
  try {
    first_ = read_buf(0, "out");
    device_ = first_.device;
  } catch (const Error&) {
    first_.present = false;
  }
}

std::string Call::where(const char* what) const { return std::string(kernel_) + ": " + what; }

Buf Call::read_buf(size_t i, const char* what) {
  if (i >= argc_) FLX_CHECK(true, type, where(what) + " is missing");
  napi_typedarray_type t;
  size_t len = 0;
  void* data = nullptr;
  // One call for both kinds of buffer; it fails (without throwing) for anything else.
  if (napi_get_typedarray_info(env_, args_[i], &t, &len, &data, nullptr, nullptr) != napi_ok)
    FLX_CHECK(true, type, where(what) + " must be a typed array or a device buffer");
  Buf b;
  b.present = true;
  b.data = data;
  b.len = int64_t(len);
  switch (t) {
    case napi_float32_array: b.dtype = DType::f32; return b;
    case napi_float64_array: b.dtype = DType::f64; return b;
    case napi_int32_array: b.dtype = DType::i32; return b;
    case napi_biguint64_array: break;
    default: FLX_CHECK(true, type, where(what) + " must be a Float32Array, Float64Array or Int32Array");
  }
  // a device handle: [address, elements, dtype, device]; device 0 marks a freed buffer
  FLX_CHECK(len != 4, type, std::string(kernel_) + ": " + what + " is not a device buffer");
  const uint64_t* h = static_cast<const uint64_t*>(data);
  FLX_CHECK(h[3] == 0, range, std::string(kernel_) + ": " + what + ": the device buffer was freed");
  FLX_CHECK(h[3] != uint64_t(Device::cuda) && h[3] != uint64_t(Device::emulated), type,
            std::string(kernel_) + ": " + what + " names no device");
  FLX_CHECK(h[2] > 2 || h[1] > uint64_t(kTwo53), type, std::string(kernel_) + ": " + what + " is not a device buffer");
  b.device = Device(h[3]);
  b.dtype = DType(h[2]);
  b.len = int64_t(h[1]);
  b.data = reinterpret_cast<void*>(static_cast<uintptr_t>(h[0]));
  // the allocator knows every live block: a stale or forged handle is refused here
  device_check_span(b.device, name(what), h[0], uint64_t(b.len) * dtype_size(b.dtype));
  return b;
}

Buf Call::buf(size_t i, const char* what) {
  if (i == 0) return first_.present ? first_ : read_buf(0, what);
  Buf b = read_buf(i, what);
  FLX_CHECK(b.device != device_, type,
            std::string(kernel_) + ": " + what + " is on " + device_name(b.device) + " but out is on " + device_name(device_));
  return b;
}

Buf Call::opt_buf(size_t i, const char* what) {
  if (i >= argc_) return Buf{};
  napi_valuetype t;
  if (napi_typeof(env_, args_[i], &t) == napi_ok && (t == napi_null || t == napi_undefined)) return Buf{};
  return buf(i, what);
}

double Call::num(size_t i, const char* what) {
  double v = 0;
  if (i >= argc_ || napi_get_value_double(env_, args_[i], &v) != napi_ok)
    FLX_CHECK(true, type, where(what) + " must be a number");
  return v;
}

int64_t integer_in(double v, int64_t lo, int64_t hi, const char* kernel, const char* what) {
  FLX_CHECK(!(v >= double(lo) && v <= double(hi)) || double(int64_t(v)) != v, range,
            (kernel ? std::string(kernel) + ": " : std::string()) + what + " must be an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return int64_t(v);
}

int64_t Call::integer(size_t i, const char* what, int64_t lo, int64_t hi) { return integer_in(num(i, what), lo, hi, kernel_, what); }

int Call::op(size_t i, int count) {
  const double v = num(i, "op");
  FLX_CHECK(!(v >= 0 && v < count) || double(int(v)) != v, range, std::string(kernel_) + ": unknown op " + std::to_string(v));
  return int(v);
}

bool Call::flag(size_t i, const char* what) {
  bool v = false;
  if (i >= argc_ || napi_get_value_bool(env_, args_[i], &v) != napi_ok)
    FLX_CHECK(true, type, where(what) + " must be a boolean");
  return v;
}

}  // namespace flx
