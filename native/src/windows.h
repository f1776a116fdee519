// The geometry of a grid's windows, shared by the im2col / col2im kernels of every device
// (cpu/conv.cc, cuda/conv.cu). See cpu/conv.cc for what the kernels compute.
#pragma once
#include <string>

#include "common.h"

#if defined(__CUDACC__)
#define FLX_WINDOW_HD __host__ __device__ __forceinline__
#else
#define FLX_WINDOW_HD inline
#endif

namespace flx {

struct Geometry {
  int nd;
  // Column layout. 0: [N, C, K..., O...] (PyTorch's unfold); 1: [C, K..., N, O...], the batch
  // inside each row, so that a convolution over the whole batch is one GEMM with N·L columns.
  int layout;
  int64_t N, C;
  int64_t S[3], K[3], O[3], stride[3], pad[3], dil[3];
  FLX_WINDOW_HD int64_t plane() const { return S[0] * (nd > 1 ? S[1] : 1) * (nd > 2 ? S[2] : 1); }
  FLX_WINDOW_HD int64_t window() const { return K[0] * (nd > 1 ? K[1] : 1) * (nd > 2 ? K[2] : 1); }
  FLX_WINDOW_HD int64_t outputs() const { return O[0] * (nd > 1 ? O[1] : 1) * (nd > 2 ? O[2] : 1); }
  // Where the column entries of plane (n, c) start, and the distance from one window offset's
  // row of outputs to the next.
  FLX_WINDOW_HD int64_t col_start(int64_t n, int64_t c) const {
    const int64_t KL = window() * outputs();
    return layout == 0 ? (n * C + c) * KL : c * KL * N + n * outputs();
  }
  FLX_WINDOW_HD int64_t k_step() const { return layout == 0 ? outputs() : N * outputs(); }
};

// Reads and checks the geometry against the buffers: x holds N·C·S, col N·C·K·O elements.
// Metadata: nd, layout, N, C, then per dim S, K, O, stride, padLo, dilation.
inline Geometry read_geometry(Call& c, int64_t xlen, int64_t collen) {
  Meta m = c.meta();
  Geometry g{};
  const int64_t nd = m.next();
  FLX_CHECK(nd < 1 || nd > 3, range, std::string(c.kernel()) + ": 1 to 3 spatial dims");
  g.nd = int(nd);
  const int64_t layout = m.next();
  FLX_CHECK(layout != 0 && layout != 1, range, std::string(c.kernel()) + ": layout 0 or 1");
  g.layout = int(layout);
  g.N = m.next();
  g.C = m.next();
  FLX_CHECK(g.N < 0 || g.C < 0, range, std::string(c.kernel()) + ": negative size");
  for (int d = 0; d < g.nd; ++d) {
    g.S[d] = m.next();
    g.K[d] = m.next();
    g.O[d] = m.next();
    g.stride[d] = m.next();
    g.pad[d] = m.next();
    g.dil[d] = m.next();
    FLX_CHECK(g.S[d] < 0 || g.K[d] < 1 || g.O[d] < 0 || g.stride[d] < 1 || g.dil[d] < 1 || g.pad[d] < 0, range,
              std::string(c.kernel()) + ": bad window geometry");
    // every source index o·stride − pad + k·dilation must be computable without overflow
    add_size(mul_size(g.O[d] > 0 ? g.O[d] - 1 : 0, g.stride[d], c.kernel()), mul_size(g.K[d] - 1, g.dil[d], c.kernel()), c.kernel());
  }
  const int64_t nc = mul_size(g.N, g.C, c.kernel());
  int64_t xs = nc, cs = nc;
  for (int d = 0; d < g.nd; ++d) {
    xs = mul_size(xs, g.S[d], c.kernel());
    cs = mul_size(mul_size(cs, g.K[d], c.kernel()), g.O[d], c.kernel());
  }
  FLX_CHECK(xs != xlen, range, std::string(c.kernel()) + ": x does not hold N·C·S elements");
  FLX_CHECK(cs != collen, range, std::string(c.kernel()) + ": col does not hold N·C·K·O elements");
  return g;
}

// The input row a window row reads: for output index o and kernel index k along one dim.
FLX_WINDOW_HD int64_t source(const Geometry& g, int d, int64_t o, int64_t k) { return o * g.stride[d] - g.pad[d] + k * g.dil[d]; }

}  // namespace flx
