// Binary ops over broadcast operands (one template for every op, the functors of
// scalar_ops.h) and `where`: the CUDA twin of cpu/binary.cc.
#include "../ops.def"
#include "../scalar_ops.h"
#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

enum BinaryOp {
#define X(name) kBin_##name,
  FLUXION_BINARY_OPS(X)
#undef X
  kNumBinaryOps
};

// One dim left after coalescing (contiguous, a broadcast scalar, or one stride): a flat loop.
// Otherwise each element finds its offsets from its flat index.
template <class T, class F>
__global__ void binary_kernel(Geo<3> g, int64_t n, T* out, const T* a, const T* b) {
  F f;
  if (g.ndim == 1) {
    const int64_t so = g.str[0][0], sa = g.str[1][0], sb = g.str[2][0];
    T* po = out + g.off[0];
    const T* pa = a + g.off[1];
    const T* pb = b + g.off[2];
    for (int64_t i = grid_first(); i < n; i += grid_step()) po[i * so] = f(pa[i * sa], pb[i * sb]);
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[3];
      g.offsets(i, o);
      out[o[0]] = f(a[o[1]], b[o[2]]);
    }
  }
}

template <class T>
void binary_launch(int op, const Geo<3>& g, int64_t n, cudaStream_t s, T* out, const T* a, const T* b) {
  const unsigned blocks = grid_for(n);
  switch (op) {
#define X(name) \
  case kBin_##name: binary_kernel<T, bin::name><<<blocks, kThreads, 0, s>>>(g, n, out, a, b); break;
    FLUXION_BINARY_OPS(X)
#undef X
  }
}

template <class T>
__global__ void where_kernel(Geo<4> g, int64_t n, T* out, const T* c, const T* a, const T* b) {
  if (g.ndim == 1) {
    const int64_t so = g.str[0][0], sc = g.str[1][0], sa = g.str[2][0], sb = g.str[3][0];
    T* po = out + g.off[0];
    const T* pc = c + g.off[1];
    const T* pa = a + g.off[2];
    const T* pb = b + g.off[3];
    for (int64_t i = grid_first(); i < n; i += grid_step()) po[i * so] = pc[i * sc] != T(0) ? pa[i * sa] : pb[i * sb];
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[4];
      g.offsets(i, o);
      out[o[0]] = c[o[1]] != T(0) ? a[o[2]] : b[o[3]];
    }
  }
}

}  // namespace
}  // namespace cu

// binary(out, a, b, op): as binary_cpu.
void binary_cuda(Call& c) {
  using namespace cu;
  static const char* names[3] = {"out", "a", "b"};
  const Buf bufs[3] = {c.buf(0, "out"), c.buf(1, "a"), c.buf(2, "b")};
  const int op = c.op(3, kNumBinary);
  FLX_CHECK(bufs[1].dtype != bufs[0].dtype || bufs[2].dtype != bufs[0].dtype, type, "binary: operands must share one dtype");
  Strided<3> it = read_strided_meta<3>(c, bufs, names);
  cudaStream_t s = stream("binary");
  const int64_t n = it.numel();
  if (n == 0) return;
  it.coalesce();
  const Geo<3> g = geo(it);
  with_dtype(bufs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    binary_launch<T>(op, g, n, s, bufs[0].as<T>(), bufs[1].as<T>(), bufs[2].as<T>());
  });
  check_launch("binary");
}

// where(out, cond, a, b): as where_cpu.
void where_cuda(Call& c) {
  using namespace cu;
  static const char* names[4] = {"out", "cond", "a", "b"};
  const Buf bufs[4] = {c.buf(0, "out"), c.buf(1, "cond"), c.buf(2, "a"), c.buf(3, "b")};
  for (int k = 1; k < 4; ++k) FLX_CHECK(bufs[k].dtype != bufs[0].dtype, type, "where: operands must share one dtype");
  Strided<4> it = read_strided_meta<4>(c, bufs, names);
  cudaStream_t s = stream("where");
  const int64_t n = it.numel();
  if (n == 0) return;
  it.coalesce();
  const Geo<4> g = geo(it);
  with_dtype(bufs[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    where_kernel<T><<<grid_for(n), kThreads, 0, s>>>(g, n, bufs[0].as<T>(), bufs[1].as<T>(), bufs[2].as<T>(), bufs[3].as<T>());
  });
  check_launch("where");
}

}  // namespace flx
