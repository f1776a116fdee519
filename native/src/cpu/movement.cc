// Data movement: strided copy with dtype conversion (contiguous(), concat, cast, slice
// assignment), and gather / scatter-add along one dim (indexing and its gradient).
#include <cstring>

#include "../kernels.h"
#include "../scalar_ops.h"
#include "strided.h"

namespace flx {
namespace {

template <class D, class S>
void copy_typed(const Strided<2>& it, D* dst, const S* src) {
  it.run([&](const int64_t* o, int64_t n, const int64_t* s) {
    D* pd = dst + o[0];
    const S* ps = src + o[1];
    if (s[0] == 1 && s[1] == 1) {
      if constexpr (std::is_same_v<D, S>) std::memcpy(pd, ps, sizeof(D) * size_t(n));
      else for (int64_t i = 0; i < n; ++i) pd[i] = to<D>(ps[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) pd[i * s[0]] = to<D>(ps[i * s[1]]);
    }
  }, kGrainCheap);
}

struct IndexArgs { int64_t outer, n, inner, k; };

IndexArgs read_index_args(Call& c, size_t first) {
  IndexArgs a;
  a.outer = c.count(first, "outer");
  a.n = c.count(first + 1, "n");
  a.inner = c.count(first + 2, "inner");
  a.k = c.count(first + 3, "k");
  return a;
}

// The element count of [outer, m, inner], overflow-checked (a wrapped product once passed the
// length check and let scatterAdd write outside its array).
int64_t volume(const IndexArgs& a, int64_t m, const char* kernel) {
  return mul_size(mul_size(a.outer, m, kernel), a.inner, kernel);
}

// Two forms of index: k positions shared by every (outer, inner) column (index_select), or one
// position per element of [outer, k, inner] (PyTorch's gather / scatter_add). The length tells
// which; when outer·inner is 1 the two are the same thing.
bool per_element(const Buf& idx, const IndexArgs& a, const char* kernel) {
  FLX_CHECK(idx.dtype != DType::i32, type, std::string(kernel) + ": indices must be an Int32Array");
  const int64_t each = volume(a, a.k, kernel);
  FLX_CHECK(idx.len != a.k && idx.len != each, range,
            std::string(kernel) + ": indices must hold k or outer·k·inner positions");
  const int32_t* p = idx.as<int32_t>();
  for (int64_t i = 0; i < idx.len; ++i) FLX_CHECK(p[i] < 0 || p[i] >= a.n, range, "index: index out of range");
  return idx.len != a.k;
}

template <class T>
void gather_typed(const IndexArgs& a, bool each, const int32_t* idx, T* out, const T* x) {
  parallel_for(a.outer * a.k, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(a.inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / a.k, j = r % a.k;
      if (!each) {
        std::memcpy(out + r * a.inner, x + (o * a.n + idx[j]) * a.inner, sizeof(T) * size_t(a.inner));
        continue;
      }
      const int32_t* ids = idx + r * a.inner;
      const T* base = x + o * a.n * a.inner;
      for (int64_t i = 0; i < a.inner; ++i) out[r * a.inner + i] = base[ids[i] * a.inner + i];
    }
  });
}

template <class T>
void scatter_add_typed(const IndexArgs& a, bool each, const int32_t* idx, T* out, const T* g) {
  // Split over `outer` only: repeated indices inside one outer slice stay on one thread.
  parallel_for(a.outer, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(a.k * a.inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (int64_t j = 0; j < a.k; ++j) {
        const T* src = g + (o * a.k + j) * a.inner;
        if (!each) {
          T* dst = out + (o * a.n + idx[j]) * a.inner;
          for (int64_t i = 0; i < a.inner; ++i) dst[i] = wrap_add(dst[i], src[i]);
          continue;
        }
        const int32_t* ids = idx + (o * a.k + j) * a.inner;
        T* base = out + o * a.n * a.inner;
        for (int64_t i = 0; i < a.inner; ++i) base[ids[i] * a.inner + i] = wrap_add(base[ids[i] * a.inner + i], src[i]);
      }
  });
}

}  // namespace

// copy(dst, src); meta: ndim, shape, dst offset+strides, src offset+strides (src may broadcast).
// Between dtypes it is a cast (scalar_ops.h: cast).
void copy_cpu(Call& c) {
  static const char* names[2] = {"dst", "src"};
  const Buf bufs[2] = {c.buf(0, "dst"), c.buf(1, "src")};
  Strided<2> it = read_strided_meta<2>(c, bufs, names);
  if (it.numel() == 0) return;
  it.coalesce();
  with_dtype(bufs[0].dtype, [&](auto dtag) {
    with_dtype(bufs[1].dtype, [&](auto stag) {
      using D = decltype(dtag);
      using S = decltype(stag);
      copy_typed<D, S>(it, bufs[0].as<D>(), bufs[1].as<S>());
    });
  });
}

// gather(out, x, idx, outer, n, inner, k): x [outer, n, inner] contiguous -> out [outer, k, inner];
// idx holds k positions along n, or one per output element.
void gather_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x"), idx = c.buf(2, "idx");
  const IndexArgs a = read_index_args(c, 3);
  FLX_CHECK(x.len != volume(a, a.n, "gather") || out.len != volume(a, a.k, "gather"), range,
            "gather: lengths do not match the sizes");
  FLX_CHECK(x.dtype != out.dtype, type, "gather: dtypes differ");
  const bool each = per_element(idx, a, "gather");
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    gather_typed<T>(a, each, idx.as<int32_t>(), out.as<T>(), x.as<T>());
  });
}

// scatterAdd(out, g, idx, outer, n, inner, k): out [outer, n, inner] += g [outer, k, inner] at idx
// (k positions along n, or one per element of g).
void scatterAdd_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), g = c.buf(1, "g"), idx = c.buf(2, "idx");
  const IndexArgs a = read_index_args(c, 3);
  FLX_CHECK(out.len != volume(a, a.n, "scatterAdd") || g.len != volume(a, a.k, "scatterAdd"), range,
            "scatterAdd: lengths do not match the sizes");
  FLX_CHECK(g.dtype != out.dtype, type, "scatterAdd: dtypes differ");
  const bool each = per_element(idx, a, "scatterAdd");
  with_dtype(g.dtype, [&](auto tag) {
    using T = decltype(tag);
    scatter_add_typed<T>(a, each, idx.as<int32_t>(), out.as<T>(), g.as<T>());
  });
}

}  // namespace flx
