// Binary ops over broadcast operands (one template for every op) and `where`.
#include "../ops.def"
#include "../scalar_ops.h"
#include "../kernels.h"
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

// Reads the out shape and the views of N operands (inputs already broadcast to the out shape).
template <int N>
Strided<N> read_broadcast(Call& c, const Buf* bufs, const char* const* names) {
  Strided<N> it = read_strided_meta<N>(c, bufs, names);
  it.coalesce();
  return it;
}

template <class T>
void where_typed(const Strided<4>& it, T* out, const T* c, const T* a, const T* b) {
  it.run([&](const int64_t* o, int64_t n, const int64_t* s) {
    for (int64_t i = 0; i < n; ++i)
      out[o[0] + i * s[0]] = c[o[1] + i * s[1]] != T(0) ? a[o[2] + i * s[2]] : b[o[3] + i * s[3]];
  }, kGrainCheap);
}

}  // namespace

// binary(out, a, b, op); meta: ndim, shape, out offset+strides, a offset+strides, b offset+strides
void binary_cpu(Call& c) {
  static const char* names[3] = {"out", "a", "b"};
  const Buf bufs[3] = {c.buf(0, "out"), c.buf(1, "a"), c.buf(2, "b")};
  const int op = int(c.op(3, kNumBinary));
  FLX_CHECK(bufs[1].dtype != bufs[0].dtype || bufs[2].dtype != bufs[0].dtype, type, "binary: operands must share one dtype");
  Strided<3> it = read_broadcast<3>(c, bufs, names);
  with_dtype(bufs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    binary_typed<T>(op, it, bufs[0].as<T>(), bufs[1].as<T>(), bufs[2].as<T>());
  });
}

// where(out, cond, a, b): cond is 0/1 in the same dtype; meta as for binary with 4 operands.
void where_cpu(Call& c) {
  static const char* names[4] = {"out", "cond", "a", "b"};
  const Buf bufs[4] = {c.buf(0, "out"), c.buf(1, "cond"), c.buf(2, "a"), c.buf(3, "b")};
  for (int k = 1; k < 4; ++k) FLX_CHECK(bufs[k].dtype != bufs[0].dtype, type, "where: operands must share one dtype");
  Strided<4> it = read_broadcast<4>(c, bufs, names);
  with_dtype(bufs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    where_typed<T>(it, bufs[0].as<T>(), bufs[1].as<T>(), bufs[2].as<T>(), bufs[3].as<T>());
  });
}

}  // namespace flx
