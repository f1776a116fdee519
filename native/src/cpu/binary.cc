// Binary ops over broadcast operands (one template for every op) and `where`.
#include "../ops.def"
#include "../scalar_ops.h"
#include "kernels.h"
#include "strided.h"

namespace flx {
namespace {

enum BinaryOp {
#define X(name) kBin_##name,
  FLUXION_BINARY_OPS(X)
#undef X
};

template <class T, class F>
void binary_loop(const Strided<3>& it, T* out, const T* a, const T* b) {
  F f;
  const int64_t grain = std::is_same_v<F, bin::pow> ? kGrainCostly : kGrainCheap;
  it.run([&](const int64_t* o, int64_t n, const int64_t* s) {
    T* po = out + o[0];
    const T* pa = a + o[1];
    const T* pb = b + o[2];
    // Specialised inner loops the compiler can vectorise; the general one covers the rest.
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
      const T vb = *pb;
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
      const T va = *pa;
      for (int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * s[0]] = f(pa[i * s[1]], pb[i * s[2]]);
    }
  }, grain);
}

template <class T>
void binary_typed(int op, const Strided<3>& it, T* out, const T* a, const T* b) {
  switch (op) {
#define X(name) case kBin_##name: return binary_loop<T, bin::name>(it, out, a, b);
    FLUXION_BINARY_OPS(X)
#undef X
  }
}

// Reads out-shape plus the strides of N operands (inputs already broadcast to the out shape).
template <int N>
Strided<N> read_broadcast(const Napi::Env& env, const Arr* arrs, const char* const* names) {
  int64_t lens[N];
  for (int k = 0; k < N; ++k) lens[k] = arrs[k].len;
  Strided<N> it = read_strided_meta<N>(env, lens, names);
  it.coalesce();
  return it;
}

// binary(op, a, b, out); meta: ndim, shape, out offset+strides, a offset+strides, b offset+strides
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int op = info[0].As<Napi::Number>().Int32Value();
  FLX_THROW_IF(op < 0 || op >= kNumBinary, env, RangeError, "binary: unknown op");
  Arr arrs[3] = {arr(info, 3, "binary: out"), arr(info, 1, "binary: a"), arr(info, 2, "binary: b")};
  FLX_THROW_IF(arrs[1].dtype != arrs[0].dtype || arrs[2].dtype != arrs[0].dtype, env, TypeError,
               "binary: operands must share one dtype");
  static const char* names[3] = {"binary: out", "binary: a", "binary: b"};
  Strided<3> it = read_broadcast<3>(env, arrs, names);
  with_dtype(arrs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    binary_typed<T>(op, it, arrs[0].as<T>(), arrs[1].as<T>(), arrs[2].as<T>());
  });
  return env.Undefined();
}

template <class T>
void where_typed(const Strided<4>& it, T* out, const T* c, const T* a, const T* b) {
  it.run([&](const int64_t* o, int64_t n, const int64_t* s) {
    for (int64_t i = 0; i < n; ++i)
      out[o[0] + i * s[0]] = c[o[1] + i * s[1]] != T(0) ? a[o[2] + i * s[2]] : b[o[3] + i * s[3]];
  }, kGrainCheap);
}

// where(cond, a, b, out): cond is 0/1 in the same dtype; meta as for binary with 4 operands.
Napi::Value Where(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr arrs[4] = {arr(info, 3, "where: out"), arr(info, 0, "where: cond"), arr(info, 1, "where: a"),
                 arr(info, 2, "where: b")};
  for (int k = 1; k < 4; ++k)
    FLX_THROW_IF(arrs[k].dtype != arrs[0].dtype, env, TypeError, "where: operands must share one dtype");
  static const char* names[4] = {"where: out", "where: cond", "where: a", "where: b"};
  Strided<4> it = read_broadcast<4>(env, arrs, names);
  with_dtype(arrs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    where_typed<T>(it, arrs[0].as<T>(), arrs[1].as<T>(), arrs[2].as<T>(), arrs[3].as<T>());
  });
  return env.Undefined();
}

}  // namespace

void register_binary(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
}

}  // namespace flx
