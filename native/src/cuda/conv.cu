// im2col / col2im on the device: the CUDA twins of cpu/conv.cc over the same geometry and
// column layouts (windows.h). im2col runs a thread per column entry; col2im a thread per grid position,
// which gathers the entries that read it (no atomics: the sums are in a fixed order).
#include "../kernels.h"
#include "../scalar_ops.h"
#include "../windows.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

// Splits a flat index over dims of the given sizes (row-major), innermost last.
__device__ __forceinline__ void unravel(int64_t i, int nd, const int64_t* size, int64_t* idx) {
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = i % size[d];
    i /= size[d];
  }
}

template <class T>
__global__ void im2col_kernel(Geometry g, int64_t total, T* col, const T* x, T pad_value) {
  int64_t K = 1, L = 1, S = 1;
  for (int d = 0; d < g.nd; ++d) {
    K *= g.K[d];
    L *= g.O[d];
    S *= g.S[d];
  }
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t plane = e / (K * L), r = e - plane * K * L;
    int64_t k[3], o[3];
    unravel(r / L, g.nd, g.K, k);
    unravel(r % L, g.nd, g.O, o);
    int64_t pos = 0;
    bool ok = true;
    for (int d = 0; d < g.nd; ++d) {
      const int64_t p = source(g, d, o[d], k[d]);
      ok = ok && p >= 0 && p < g.S[d];
      pos = pos * g.S[d] + p;
    }
    // e runs in layout 0's order; layout 1 puts the same entry elsewhere
    const int64_t n = plane / g.C, c = plane - n * g.C;
    col[g.col_start(n, c) + (r / L) * g.k_step() + r % L] = ok ? x[plane * S + pos] : pad_value;
  }
}

template <class T>
__global__ void col2im_kernel(Geometry g, int64_t total, T* x, const T* col) {
  int64_t K = 1, L = 1, S = 1;
  for (int d = 0; d < g.nd; ++d) {
    K *= g.K[d];
    L *= g.O[d];
    S *= g.S[d];
  }
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t plane = e / S;
    const T* pcol = col + g.col_start(plane / g.C, plane % g.C);
    const int64_t kstep = g.k_step();
    int64_t p[3];
    unravel(e - plane * S, g.nd, g.S, p);
    T acc = T(0);
    for (int64_t kk = 0; kk < K; ++kk) {
      int64_t k[3];
      unravel(kk, g.nd, g.K, k);
      int64_t oflat = 0;
      bool ok = true;
      for (int d = 0; d < g.nd && ok; ++d) {
        const int64_t t = p[d] + g.pad[d] - k[d] * g.dil[d];
        ok = t >= 0 && t % g.stride[d] == 0 && t / g.stride[d] < g.O[d];
        oflat = oflat * g.O[d] + t / g.stride[d];
      }
      if (ok) acc = wrap_add(acc, pcol[kk * kstep + oflat]);
    }
    x[e] = wrap_add(x[e], acc);
  }
}

}  // namespace
}  // namespace cu

// im2col(col, x, padValue): as im2col_cpu.
void im2col_cuda(Call& c) {
  using namespace cu;
  const Buf col = c.buf(0, "col"), x = c.buf(1, "x");
  const double pad_value = c.num(2, "padValue");
  FLX_CHECK(col.dtype != x.dtype, type, "im2col: dtypes differ");
  const Geometry g = read_geometry(c, x.len, col.len);
  cudaStream_t s = stream("im2col");
  if (col.len == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    im2col_kernel<T><<<grid_for(col.len), kThreads, 0, s>>>(g, col.len, col.as<T>(), x.as<T>(), to<T>(pad_value));
  });
  check_launch("im2col");
}

// col2im(x, col): as col2im_cpu.
void col2im_cuda(Call& c) {
  using namespace cu;
  const Buf x = c.buf(0, "x"), col = c.buf(1, "col");
  FLX_CHECK(col.dtype != x.dtype, type, "col2im: dtypes differ");
  const Geometry g = read_geometry(c, x.len, col.len);
  cudaStream_t s = stream("col2im");
  if (col.len == 0 || x.len == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    col2im_kernel<T><<<grid_for(x.len), kThreads, 0, s>>>(g, x.len, x.as<T>(), col.as<T>());
  });
  check_launch("col2im");
}

}  // namespace flx
