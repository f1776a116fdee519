// Windows of a grid as columns, and back: the two adjoint kernels convolution, transposed
// convolution and pooling are built from (ts/ops/conv.ts). For x [N, C, S...] (1 to 3 spatial
// dims) and a window of K... positions with stride, low padding and dilation per dim,
//   im2col: col[n, c, k..., o...] = x[n, c, o·stride − padLo + k·dilation]   (padValue outside)
//   col2im: x[n, c, p...] += col[n, c, k..., o...] for every (k, o) that reads p   (the adjoint)
// so that a convolution is one GEMM over the columns, and the gradient of each is the other.
// The columns come in two layouts (windows.h): [N, C, K..., O...] and [C, K..., N, O...].
// Geometry in the metadata: nd, layout, N, C, then per dim S, K, O, stride, padLo, dilation.
#include <algorithm>

#include "../kernels.h"
#include "../scalar_ops.h"
#include "../windows.h"
#include "parallel.h"

namespace flx {
namespace {

// The outputs o in [lo, hi) of one row whose source o·stride + first lies inside [0, S).
inline void inside_range(int64_t first, int64_t stride, int64_t S, int64_t O, int64_t& lo, int64_t& hi) {
  lo = first >= 0 ? 0 : std::min<int64_t>(O, (-first + stride - 1) / stride);
  hi = first >= S ? 0 : std::min<int64_t>(O, (S - first + stride - 1) / stride);
  if (hi < lo) hi = lo;
}

// One row of outputs along the innermost spatial dim: padding outside [lo, hi), the source run
// inside it (contiguous when the stride is 1, so the copy or the sum vectorises). The range
// depends only on the window offset, so the caller computes it once per offset: two integer
// divisions per row of 14 outputs cost more than the copy.
template <class T, bool Scatter>
inline void row(T* src, T* dst, int64_t O, int64_t first, int64_t stride, int64_t lo, int64_t hi, T pad_value) {
  if constexpr (Scatter) {
    if (stride == 1) {
      T* p = src + first;
      for (int64_t o = lo; o < hi; ++o) p[o] = wrap_add(p[o], dst[o]);
    } else {
      for (int64_t o = lo; o < hi; ++o) src[o * stride + first] = wrap_add(src[o * stride + first], dst[o]);
    }
  } else {
    for (int64_t o = 0; o < lo; ++o) dst[o] = pad_value;
    if (stride == 1) {
      const T* p = src + first;
      for (int64_t o = lo; o < hi; ++o) dst[o] = p[o];
    } else {
      for (int64_t o = lo; o < hi; ++o) dst[o] = src[o * stride + first];
    }
    for (int64_t o = hi; o < O; ++o) dst[o] = pad_value;
  }
}

// One (n, c) plane: x points at the plane, col at its first column entry; consecutive window
// offsets are k_step apart, and within one the rows of outputs are contiguous.
template <class T, bool Scatter>
void plane(const Geometry& g, T* x, T* col, T pad_value) {
  const int nd = g.nd;
  // pad every geometry to three dims, the missing outer ones of size 1
  const int sh = 3 - nd;
  int64_t S[3] = {1, 1, 1}, K[3] = {1, 1, 1}, O[3] = {1, 1, 1}, st[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, dil[3] = {1, 1, 1};
  for (int d = 0; d < nd; ++d) {
    S[d + sh] = g.S[d], K[d + sh] = g.K[d], O[d + sh] = g.O[d];
    st[d + sh] = g.stride[d], pad[d + sh] = g.pad[d], dil[d + sh] = g.dil[d];
  }
  const int64_t kstep = g.k_step();
  int64_t kk = 0;
  for (int64_t k0 = 0; k0 < K[0]; ++k0)
    for (int64_t k1 = 0; k1 < K[1]; ++k1)
      for (int64_t k2 = 0; k2 < K[2]; ++k2, ++kk) {
        T* out = col + kk * kstep;
        const int64_t first = k2 * dil[2] - pad[2];
        int64_t lo, hi;
        inside_range(first, st[2], S[2], O[2], lo, hi);
        for (int64_t o0 = 0; o0 < O[0]; ++o0) {
          const int64_t p0 = o0 * st[0] - pad[0] + k0 * dil[0];
          const bool in0 = p0 >= 0 && p0 < S[0];
          for (int64_t o1 = 0; o1 < O[1]; ++o1, out += O[2]) {
            const int64_t p1 = o1 * st[1] - pad[1] + k1 * dil[1];
            if (!(in0 && p1 >= 0 && p1 < S[1])) {
              if constexpr (!Scatter) std::fill(out, out + O[2], pad_value);
              continue;
            }
            row<T, Scatter>(x + (p0 * S[1] + p1) * S[2], out, O[2], first, st[2], lo, hi, pad_value);
          }
        }
      }
}

template <class T, bool Scatter>
void run(const Geometry& g, T* x, T* col, T pad_value) {
  const int64_t planes = g.N * g.C, S = g.plane(), KL = g.window() * g.outputs();
  // each (n, c) plane is one task: planes never share memory, so col2im's sums need no locks
  parallel_for(planes, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(KL, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t n = i / g.C, c = i - n * g.C;
      plane<T, Scatter>(g, x + i * S, col + g.col_start(n, c), pad_value);
    }
  });
}

}  // namespace

// im2col(col, x, padValue): col [N, C, K..., O...] (or layout 1) from x [N, C, S...], both contiguous.
void im2col_cpu(Call& c) {
  const Buf col = c.buf(0, "col"), x = c.buf(1, "x");
  const double pad_value = c.num(2, "padValue");
  FLX_CHECK(col.dtype != x.dtype, type, "im2col: dtypes differ");
  const Geometry g = read_geometry(c, x.len, col.len);
  if (col.len == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    run<T, false>(g, x.as<T>(), col.as<T>(), to<T>(pad_value));
  });
}

// col2im(x, col): x [N, C, S...] += every column entry at the position it was read from.
void col2im_cpu(Call& c) {
  const Buf x = c.buf(0, "x"), col = c.buf(1, "col");
  FLX_CHECK(col.dtype != x.dtype, type, "col2im: dtypes differ");
  const Geometry g = read_geometry(c, x.len, col.len);
  if (col.len == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    run<T, true>(g, x.as<T>(), col.as<T>(), T(0));
  });
}

}  // namespace flx
