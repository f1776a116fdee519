// Data movement: strided copy with dtype conversion, and gather / scatter-add along one dim:
// the CUDA twin of cpu/movement.cc.
#include <type_traits>

#include "../kernels.h"
#include "../scalar_ops.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

template <class D, class S>
__global__ void copy_kernel(Geo<2> g, int64_t n, D* dst, const S* src) {
  if (g.ndim == 1) {
    const int64_t sd = g.str[0][0], ss = g.str[1][0];
    D* pd = dst + g.off[0];
    const S* ps = src + g.off[1];
    for (int64_t i = grid_first(); i < n; i += grid_step()) pd[i * sd] = to<D>(ps[i * ss]);
  } else {
    for (int64_t i = grid_first(); i < n; i += grid_step()) {
      int64_t o[2];
      g.offsets(i, o);
      dst[o[0]] = to<D>(src[o[1]]);
    }
  }
}

struct IndexArgs {
  int64_t outer, n, inner, k;
};

IndexArgs read_index_args(Call& c, size_t first) {
  IndexArgs a;
  a.outer = c.count(first, "outer");
  a.n = c.count(first + 1, "n");
  a.inner = c.count(first + 2, "inner");
  a.k = c.count(first + 3, "k");
  FLX_CHECK(a.n > INT32_MAX, range, std::string(c.kernel()) + ": n beyond int32 indices");
  return a;
}

int64_t volume(const IndexArgs& a, int64_t m, const char* kernel) {
  return mul_size(mul_size(a.outer, m, kernel), a.inner, kernel);
}

// k shared positions or one per element (as cpu/movement.cc); the values were validated by
// TypeScript, and the kernels skip any out of range rather than read outside x.
bool index_form(const Buf& idx, const IndexArgs& a, int64_t each, const char* kernel) {
  FLX_CHECK(idx.dtype != DType::i32 || (idx.len != a.k && idx.len != each), type,
            std::string(kernel) + ": indices must be an Int32Array of k or outer·k·inner positions");
  return idx.len != a.k;
}

// out [outer, k, inner] = x [outer, n, inner] at idx; an out-of-range index (TypeScript has
// validated them already) reads as 0 instead of reading outside x.
// `each`: one index per element (PyTorch's gather) instead of k shared ones.
template <class T>
__global__ void gather_kernel(IndexArgs a, bool each, int64_t total, const int32_t* idx, T* out, const T* x) {
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t r = e / a.inner, i = e - r * a.inner;
    const int64_t o = r / a.k, j = r - o * a.k;
    const int32_t id = each ? idx[e] : idx[j];
    out[e] = (id >= 0 && id < a.n) ? x[(o * a.n + id) * a.inner + i] : T(0);
  }
}

// out [outer, n, inner] += g [outer, k, inner] at idx, with atomics (indices may repeat).
// Out-of-range indices are skipped.
template <class T>
__global__ void scatter_add_kernel(IndexArgs a, bool each, int64_t total, const int32_t* idx, T* out, const T* g) {
  for (int64_t e = grid_first(); e < total; e += grid_step()) {
    const int64_t r = e / a.inner, i = e - r * a.inner;
    const int64_t o = r / a.k, j = r - o * a.k;
    const int32_t id = each ? idx[e] : idx[j];
    if (id >= 0 && id < a.n) atomicAdd(out + (o * a.n + id) * a.inner + i, g[e]);
  }
}

}  // namespace
}  // namespace cu

// copy(dst, src): as copy_cpu (a copy between dtypes is a cast).
void copy_cuda(Call& c) {
  using namespace cu;
  static const char* names[2] = {"dst", "src"};
  const Buf bufs[2] = {c.buf(0, "dst"), c.buf(1, "src")};
  Strided<2> it = read_strided_meta<2>(c, bufs, names);
  cudaStream_t s = stream("copy");
  const int64_t n = it.numel();
  if (n == 0) return;
  it.coalesce();
  const DType ddt = bufs[0].dtype, sdt = bufs[1].dtype;
  if (ddt == sdt && it.ndim == 1 && it.strides[0][0] == 1 && it.strides[1][0] == 1) {
    const size_t es = dtype_size(ddt);
    check("copy", cudaMemcpyAsync(static_cast<char*>(bufs[0].data) + it.offset[0] * int64_t(es),
                                  static_cast<const char*>(bufs[1].data) + it.offset[1] * int64_t(es), size_t(n) * es,
                                  cudaMemcpyDeviceToDevice, s));
    return;
  }
  const Geo<2> g = geo(it);
  with_dtype(ddt, [&](auto dtag) {
    with_dtype(sdt, [&](auto stag) {
      using D = decltype(dtag);
      using S = decltype(stag);
      copy_kernel<D, S><<<grid_for(n), kThreads, 0, s>>>(g, n, bufs[0].as<D>(), bufs[1].as<S>());
    });
  });
  check_launch("copy");
}

// gather(out, x, idx, outer, n, inner, k): as gather_cpu; idx is a device Int32 buffer.
void gather_cuda(Call& c) {
  using namespace cu;
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x"), idx = c.buf(2, "idx");
  const IndexArgs a = read_index_args(c, 3);
  FLX_CHECK(x.len != volume(a, a.n, "gather") || out.len != volume(a, a.k, "gather"), range,
            "gather: lengths do not match the sizes");
  FLX_CHECK(x.dtype != out.dtype, type, "gather: dtypes differ");
  const bool each = index_form(idx, a, out.len, "gather");
  cudaStream_t s = stream("gather");
  if (out.len == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    gather_kernel<T><<<grid_for(out.len), kThreads, 0, s>>>(a, each, out.len, idx.as<int32_t>(), out.as<T>(), x.as<T>());
  });
  check_launch("gather");
}

// scatterAdd(out, g, idx, outer, n, inner, k): as scatterAdd_cpu; out is pre-zeroed by the caller.
void scatterAdd_cuda(Call& c) {
  using namespace cu;
  const Buf out = c.buf(0, "out"), g = c.buf(1, "g"), idx = c.buf(2, "idx");
  const IndexArgs a = read_index_args(c, 3);
  FLX_CHECK(out.len != volume(a, a.n, "scatterAdd") || g.len != volume(a, a.k, "scatterAdd"), range,
            "scatterAdd: lengths do not match the sizes");
  FLX_CHECK(g.dtype != out.dtype, type, "scatterAdd: dtypes differ");
  const bool each = index_form(idx, a, g.len, "scatterAdd");
  cudaStream_t s = stream("scatterAdd");
  if (g.len == 0) return;
  with_dtype(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    scatter_add_kernel<T><<<grid_for(g.len), kThreads, 0, s>>>(a, each, g.len, idx.as<int32_t>(), out.as<T>(), g.as<T>());
  });
  check_launch("scatterAdd");
}

}  // namespace flx
