// The calling convention every kernel shares, on every device.
//
// A kernel is `void name_<device>(Call& c)`. Its arguments are read from the Call by position:
// buffers (`c.buf(i)`), numbers, and the metadata buffer of shapes and strides that TypeScript
// fills before the call (`c.meta()`). A buffer is a handle that names its device: a typed array
// is CPU memory; a BigUint64Array [address, elements, dtype, device] made by `deviceAlloc` is
// device memory (CUDA, or the emulated device: host memory run by the CPU kernels). Argument 0
// is always a buffer (the output), and it decides the device; every other buffer must be on the
// same one.
//
// Kernel code never touches Node-API: it throws flx::Error, which the entry point (addon.cc)
// turns into a JS exception. TypeScript validates every argument first; the checks here are a
// second line that turns any inconsistency into an exception, never a crash or a wrong read.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "ops.def"

namespace flx {

constexpr int kMaxDims = 16;
constexpr int kMaxArgs = 12;
// Sizes and offsets travel from JavaScript as doubles: every one must be an exact integer.
constexpr double kTwo53 = 9007199254740992.0;

enum class DType : uint8_t { f32 = 0, f64 = 1, i32 = 2 };
enum class Device : uint8_t { cpu = 0, cuda = 1, emulated = 2 };

const char* dtype_name(DType t);
const char* device_name(Device d);
size_t dtype_size(DType t);

enum class ErrorKind { error, type, range };

// What kernels throw; the entry point rethrows it as a JS Error / TypeError / RangeError.
struct Error : std::runtime_error {
  ErrorKind kind;
  Error(ErrorKind k, const std::string& msg) : std::runtime_error(msg), kind(k) {}
};
[[noreturn]] void fail(ErrorKind kind, const std::string& msg);
// v as an integer in [lo, hi]; else a RangeError "fluxion native: [<kernel>: ]<what> must be an
// integer in [lo, hi]" (every entry point reads its integer arguments through this). The names
// are plain pointers so that the message is built only on failure: kernels call this per call.
int64_t integer_in(double v, int64_t lo, int64_t hi, const char* kernel, const char* what);

// Throws `fluxion native: <msg>` of the given kind when cond holds.
#define FLX_CHECK(cond, kind, msg)                                                            \
  do {                                                                                        \
    if (cond) ::flx::fail(::flx::ErrorKind::kind, std::string("fluxion native: ") + (msg)); \
  } while (0)

// Overflow-checked size arithmetic: every size, offset and bounds computation goes through
// these (a wrapped product once let a kernel write outside its array).
int64_t mul_size(int64_t a, int64_t b, const char* what);
int64_t add_size(int64_t a, int64_t b, const char* what);

// Who an error is about, "<kernel>: <what>", built into a string only when there is an error.
struct Name {
  const char* kernel;
  const char* what;
  std::string str() const { return std::string(kernel) + ": " + what; }
};

// A buffer argument: where its elements are, how many, of which dtype, on which device.
struct Buf {
  void* data = nullptr;
  int64_t len = 0;
  DType dtype = DType::f32;
  Device device = Device::cpu;
  bool present = false;  // false for a null optional buffer
  template <class T> T* as() const { return static_cast<T*>(data); }
};

// Per library instance: every copy of the JavaScript library (each worker thread, an ESM and a
// CommonJS build in one process) creates its own context with its own metadata buffer.
struct Context {
  napi_env env = nullptr;
  napi_ref meta_ref = nullptr;
  const double* meta = nullptr;
  size_t meta_len = 0;
};

// Reads the metadata buffer in order. Each value must be an exact integer within ±2^53.
class Meta {
 public:
  Meta(const double* base, size_t len) : base_(base), len_(len) {}
  int64_t next();
  double nextf();
 private:
  const double* base_;
  size_t len_;
  size_t pos_ = 0;
};

class Call {
 public:
  Call(napi_env env, napi_value* args, size_t argc, const Context* ctx, const char* kernel);
  const char* kernel() const { return kernel_; }
  Device device() const { return device_; }
  size_t argc() const { return argc_; }
  // A buffer on this call's device; `what` names it in errors (e.g. "a").
  Buf buf(size_t i, const char* what);
  // The same, or an absent buffer for null / undefined.
  Buf opt_buf(size_t i, const char* what);
  double num(size_t i, const char* what);
  // An integer in [lo, hi].
  int64_t integer(size_t i, const char* what, int64_t lo, int64_t hi);
  // An integer in [0, 2^53].
  int64_t count(size_t i, const char* what) { return integer(i, what, 0, int64_t(kTwo53)); }
  bool flag(size_t i, const char* what);
  // An op code of an elementwise kernel: an integer in [0, count).
  int op(size_t i, int count);
  Meta meta() const { return Meta(ctx_->meta, ctx_->meta_len); }
  // "<kernel>: <what>", for error messages
  std::string where(const char* what) const;
  Name name(const char* what) const { return Name{kernel_, what}; }

 private:
  Buf read_buf(size_t i, const char* what);
  napi_env env_;
  napi_value* args_;
  size_t argc_;
  const Context* ctx_;
  const char* kernel_;
  Device device_ = Device::cpu;
  Buf first_;
};

// Throws unless every element the view addresses lies inside an array of length `len`.
void check_bounds(const Name& who, int ndim, const int64_t* shape, int64_t offset, const int64_t* strides,
                  int64_t len);
// Bounds of one matrix operand of a batched matmul: rows x cols stored with leading dimension ld
// (transposed or not), repeated over the batch dims. Also refuses an ld smaller than BLAS accepts.
void check_matrix(const Name& who, bool trans, int64_t rows, int64_t cols, int64_t ld, int64_t offset, int ndim,
                  const int64_t* bshape, const int64_t* bstr, int64_t len);
int read_ndim(Meta& m, const char* kernel);
void read_shape(Meta& m, int ndim, int64_t* shape, const char* kernel);
void read_strides(Meta& m, int ndim, int64_t* offset, int64_t* strides);

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
void with_float_dtype(const char* op, DType t, F&& f) {
  FLX_CHECK(t == DType::i32, type, std::string(op) + ": int32 is not supported");
  if (t == DType::f32) f(float{});
  else f(double{});
}

#define FLX_COUNT(name) +1
constexpr int kNumBinary = 0 FLUXION_BINARY_OPS(FLX_COUNT);
constexpr int kNumUnary = 0 FLUXION_UNARY_OPS(FLX_COUNT);
constexpr int kNumUnaryGrad = 0 FLUXION_UNARY_GRAD_OPS(FLX_COUNT);
constexpr int kNumReduce = 0 FLUXION_REDUCE_OPS(FLX_COUNT);
#undef FLX_COUNT

}  // namespace flx
