// Windows of a grid as columns, and back: the two adjoint kernels convolution, transposed
// convolution and pooling are built from (ts/ops/conv.ts). For x [N, C, S...] (1 to 3 spatial
// dims) and a window of K... positions with stride, low padding and dilation per dim,
//   im2col: col[n, c, k..., o...] = x[n, c, o·stride − padLo + k·dilation]   (padValue outside)
//   col2im: x[n, c, p...] += col[n, c, k..., o...] for every (k, o) that reads p   (the adjoint)
// so that a convolution is one GEMM over the columns, and the gradient of each is the other.
// Geometry in the metadata: nd, N, C, then per dim S, K, O, stride, padLo, dilation.
#include <algorithm>

#include "../kernels.h"
#include "../scalar_ops.h"
#include "../windows.h"
#include "parallel.h"

namespace flx {
namespace {

// One (n, c) plane. The last dim's loop is the inner one: a contiguous run of the output row.
template <class T, bool Scatter>
void plane(const Geometry& g, T* x, T* col, T pad_value) {
  const int nd = g.nd;
  const int64_t K1 = nd > 1 ? g.K[1] : 1, K2 = nd > 2 ? g.K[2] : 1;
  const int64_t O1 = nd > 1 ? g.O[1] : 1;
  const int64_t S1 = nd > 1 ? g.S[1] : 1, S2 = nd > 2 ? g.S[2] : 1;
  // the innermost spatial dim (nd - 1) runs over o; the others are fixed per row
  const int last = nd - 1;
  const int64_t Olast = g.O[last], Slast = g.S[last];
  T* out = col;
  for (int64_t k0 = 0; k0 < g.K[0]; ++k0)
    for (int64_t k1 = 0; k1 < K1; ++k1)
      for (int64_t k2 = 0; k2 < K2; ++k2) {
        const int64_t klast = nd == 1 ? k0 : nd == 2 ? k1 : k2;
        for (int64_t o0 = 0; o0 < (nd > 1 ? g.O[0] : 1); ++o0)
          for (int64_t o1 = 0; o1 < (nd > 2 ? O1 : 1); ++o1) {
            // the fixed outer source rows
            bool inside = true;
            int64_t base = 0;
            if (nd > 1) {
              const int64_t p0 = source(g, 0, o0, k0);
              inside = inside && p0 >= 0 && p0 < g.S[0];
              base = p0 * S1 * S2;
            }
            if (nd > 2) {
              const int64_t p1 = source(g, 1, o1, k1);
              inside = inside && p1 >= 0 && p1 < S1;
              base += p1 * S2;
            }
            T* row = out;
            out += Olast;
            for (int64_t o = 0; o < Olast; ++o) {
              const int64_t p = source(g, last, o, klast);
              const bool ok = inside && p >= 0 && p < Slast;
              if constexpr (Scatter) {
                if (ok) x[base + p] += row[o];
              } else {
                row[o] = ok ? x[base + p] : pad_value;
              }
            }
          }
      }
}

template <class T, bool Scatter>
void run(const Geometry& g, T* x, T* col, T pad_value) {
  const int64_t planes = g.N * g.C, S = g.plane(), KL = g.window() * g.outputs();
  // each (n, c) plane is one task: planes never share memory, so col2im's sums need no locks
  parallel_for(planes, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(KL, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) plane<T, Scatter>(g, x + i * S, col + i * KL, pad_value);
  });
}

}  // namespace

// im2col(col, x, padValue): col [N, C, K..., O...] from x [N, C, S...], both contiguous.
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
