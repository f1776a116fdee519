// Reductions over any set of dims (sum, max, min; mean = sum with a scale), argmax,
// and softmax / logsoftmax along one dim.
#include <cmath>
#include <limits>
#include <vector>

#include "../scalar_ops.h"
#include "../kernels.h"
#include "simd.h"
#include "strided.h"

namespace flx {
namespace {

enum ReduceOp {
#define X(name) kRed_##name,
  FLUXION_REDUCE_OPS(X)
#undef X
};

// Accumulation runs in double for floats (and int32), which keeps long float32 sums accurate.
struct SumAcc {
  static double init() { return 0.0; }
  static double step(double acc, double v) { return acc + v; }
};
struct MaxAcc {
  static double init() { return -std::numeric_limits<double>::infinity(); }
  static double step(double acc, double v) { return bin::maximum()(acc, v); }
};
struct MinAcc {
  static double init() { return std::numeric_limits<double>::infinity(); }
  static double step(double acc, double v) { return bin::minimum()(acc, v); }
};

struct ReduceArgs {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t xoff;
  int64_t xstr[kMaxDims];
  bool reduced[kMaxDims];
};

// A contiguous run folded into one accumulator. Sums use eight independent lanes, lane j
// taking elements j, j+8, ...: one chain of dependent double adds is limited by the add
// latency (~4 cycles per element), while eight lanes are one vector register the compiler
// can add to at once (the order differs from a left fold only by reassociation of partial
// sums, all in double). Max and min keep the left fold: which of two tied elements wins
// (+0 or -0) depends on the order.
template <class T, class Acc>
FLX_MULTIVERSION double run_contiguous(const T* __restrict p, int64_t n) {
  if constexpr (!std::is_same_v<Acc, SumAcc>) {
    double acc = Acc::init();
    for (int64_t i = 0; i < n; ++i) acc = Acc::step(acc, double(p[i]));
    return acc;
  }
  constexpr int kLanes = 8;
  double lane[kLanes];
  for (int j = 0; j < kLanes; ++j) lane[j] = Acc::init();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] = Acc::step(lane[j], double(p[i + j]));
  for (; i < n; ++i) lane[0] = Acc::step(lane[0], double(p[i]));
  double acc = lane[0];
  for (int j = 1; j < kLanes; ++j) acc = Acc::step(acc, lane[j]);
  return acc;
}

// A row of x added into a row of accumulators (a sum over the batch dim).
template <class T, class Acc>
FLX_MULTIVERSION void accumulate_row(int64_t n, double* __restrict acc, const T* __restrict x) {
  for (int64_t i = 0; i < n; ++i) acc[i] = Acc::step(acc[i], double(x[i]));
}

// Case A: every reduced dim comes after every kept dim, so each output reads one block.
template <class T, class Acc>
void reduce_inner(const ReduceArgs& r, int nkept, T* out, const T* x, double scale) {
  Strided<1> outer, inner;
  outer.ndim = nkept;
  outer.offset[0] = r.xoff;
  for (int d = 0; d < nkept; ++d) { outer.shape[d] = r.shape[d]; outer.strides[0][d] = r.xstr[d]; }
  inner.ndim = r.ndim - nkept;
  inner.offset[0] = 0;
  for (int d = nkept; d < r.ndim; ++d) { inner.shape[d - nkept] = r.shape[d]; inner.strides[0][d - nkept] = r.xstr[d]; }
  if (outer.ndim == 0) { outer.ndim = 1; outer.shape[0] = 1; outer.strides[0][0] = 0; }
  outer.coalesce();
  inner.coalesce();
  const int64_t nout = outer.numel(), nin = inner.numel();
  auto block = [&](int64_t base, int64_t b, int64_t e) {
    double acc = Acc::init();
    inner.for_range(b, e, [&](const int64_t* o, int64_t n, const int64_t* s) {
      const T* p = x + base + o[0];
      if (s[0] == 1) acc = Acc::step(acc, run_contiguous<T, Acc>(p, n));
      else for (int64_t i = 0; i < n; ++i) acc = Acc::step(acc, double(p[i * s[0]]));
    });
    return acc;
  };
  if (nout == 1) {
    // One output: split the block over the threads and combine the partials.
    std::vector<double> part(size_t(num_threads()) + 1, Acc::init());
    int64_t chunks = std::min<int64_t>(num_threads(), std::max<int64_t>(1, nin / kGrainCheap));
    parallel_tasks(chunks, [&](int64_t c) {
      part[size_t(c)] = block(r.xoff, nin * c / chunks, nin * (c + 1) / chunks);
    });
    double acc = Acc::init();
    for (int64_t c = 0; c < chunks; ++c) acc = Acc::step(acc, part[size_t(c)]);
    out[0] = from_sum<T>(acc * scale);
    return;
  }
  parallel_for(nout, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(nin, 1)), [&](int64_t b, int64_t e) {
    int64_t k = b;
    outer.for_range(b, e, [&](const int64_t* o, int64_t n, const int64_t* s) {
      for (int64_t i = 0; i < n; ++i, ++k) out[k] = from_sum<T>(block(o[0] + i * s[0], 0, nin) * scale);
    });
  });
}

// How many threads a reduction into several accumulators splits the largest kept dim over.
// Each thread then reads a slice of x along that dim; where the slices are narrow (a sum over
// the rows of [8192, 512] gives each of two threads 256-element pieces of every row) two
// threads ran slower than one (1.5 ms against 0.33 ms), so the split needs each thread's
// pieces to be a few thousand elements long.
int64_t split_parts(int64_t total, int64_t size, int64_t run) {
  if (total < 2 * kGrainCheap) return 1;
  const int64_t parts = std::min<int64_t>(num_threads(), size);
  return parts > 1 && size / parts * run >= 4096 ? parts : 1;
}

// Case B: reduced dims interleave with kept ones. Walk x in memory order and accumulate into
// a double buffer; split over the largest kept dim so threads never share an output.
template <class T, class Acc>
void reduce_general(const ReduceArgs& r, int64_t nout, T* out, const T* x, double scale) {
  std::vector<double> acc(size_t(nout), Acc::init());
  int64_t ostr[kMaxDims];
  int64_t stride = 1;
  for (int d = r.ndim - 1; d >= 0; --d) {
    ostr[d] = r.reduced[d] ? 0 : stride;
    if (!r.reduced[d]) stride *= r.shape[d];
  }
  int split = -1;
  for (int d = 0; d < r.ndim; ++d)
    if (!r.reduced[d] && (split < 0 || r.shape[d] > r.shape[split])) split = d;
  int64_t total = 1;
  for (int d = 0; d < r.ndim; ++d) total *= r.shape[d];
  int64_t parts = 1;
  if (split >= 0) {
    int64_t run = 1;  // elements of x after the split dim: each thread reads runs of shape[split] / threads of these
    for (int d = split + 1; d < r.ndim; ++d) run *= r.shape[d];
    parts = split_parts(total, r.shape[split], run);
  }
  parallel_tasks(parts, [&](int64_t p) {
    Strided<2> it;
    it.ndim = r.ndim;
    it.offset[0] = 0;
    it.offset[1] = r.xoff;
    for (int d = 0; d < r.ndim; ++d) {
      it.shape[d] = r.shape[d];
      it.strides[0][d] = ostr[d];
      it.strides[1][d] = r.xstr[d];
    }
    if (parts > 1) {
      int64_t b = r.shape[split] * p / parts, e = r.shape[split] * (p + 1) / parts;
      it.shape[split] = e - b;
      it.offset[0] += b * ostr[split];
      it.offset[1] += b * r.xstr[split];
    }
    it.coalesce();
    double* pa = acc.data();
    it.for_range(0, it.numel(), [&](const int64_t* o, int64_t n, const int64_t* s) {
      if (s[0] == 1 && s[1] == 1) {
        accumulate_row<T, Acc>(n, pa + o[0], x + o[1]);
      } else if (s[0] == 0 && s[1] == 1) {
        // a contiguous run into one accumulator (the sum over N and H·W of a bias gradient
        // [N, C, H·W]): folded in lanes first, rather than one dependent add per element
        pa[o[0]] = Acc::step(pa[o[0]], run_contiguous<T, Acc>(x + o[1], n));
      } else {
        for (int64_t i = 0; i < n; ++i) pa[o[0] + i * s[0]] = Acc::step(pa[o[0] + i * s[0]], double(x[o[1] + i * s[1]]));
      }
    });
  });
  for (int64_t i = 0; i < nout; ++i) out[i] = from_sum<T>(acc[size_t(i)] * scale);
}

template <class T, class Acc>
void reduce_typed(const ReduceArgs& r, int64_t nout, T* out, const T* x, double scale) {
  int nkept = 0, last_kept = -1, first_reduced = r.ndim;
  for (int d = 0; d < r.ndim; ++d) {
    if (r.reduced[d]) { if (first_reduced == r.ndim) first_reduced = d; }
    else { ++nkept; last_kept = d; }
  }
  if (last_kept < first_reduced) reduce_inner<T, Acc>(r, nkept, out, x, scale);
  else reduce_general<T, Acc>(r, nout, out, x, scale);
}

template <class T>
void reduce_dispatch(int op, const ReduceArgs& r, int64_t nout, T* out, const T* x, double scale) {
  switch (op) {
    case kRed_sum: return reduce_typed<T, SumAcc>(r, nout, out, x, scale);
    case kRed_max: return reduce_typed<T, MaxAcc>(r, nout, out, x, scale);
    case kRed_min: return reduce_typed<T, MinAcc>(r, nout, out, x, scale);
  }
}

template <class T>
void argmax_typed(const ReduceArgs& r, int dim, int32_t* out, const T* x) {
  Strided<1> outer;
  outer.ndim = 0;
  outer.offset[0] = r.xoff;
  for (int d = 0; d < r.ndim; ++d) {
    if (d == dim) continue;
    outer.shape[outer.ndim] = r.shape[d];
    outer.strides[0][outer.ndim++] = r.xstr[d];
  }
  if (outer.ndim == 0) { outer.ndim = 1; outer.shape[0] = 1; outer.strides[0][0] = 0; }
  outer.coalesce();
  const int64_t n = r.shape[dim], s = r.xstr[dim];
  parallel_for(outer.numel(), std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    int64_t k = b;
    outer.for_range(b, e, [&](const int64_t* o, int64_t cnt, const int64_t* os) {
      for (int64_t i = 0; i < cnt; ++i, ++k) {
        const T* p = x + o[0] + i * os[0];
        int64_t best = 0;
        T bv = p[0];
        for (int64_t j = 1; j < n; ++j) {
          T v = p[j * s];
          if (bv != bv) break;                // NaN wins, like max()
          if (v > bv || v != v) { bv = v; best = j; }
        }
        out[k] = int32_t(best);
      }
    });
  });
}

// e^{p − mx} along a contiguous row, and a row scaled: SIMD loops (fm::exp is branch-free
// for float32, vecmath.h); the sums over the row stay in double, in order, outside them.
template <class T>
FLX_MULTIVERSION void exp_shifted_row(int64_t n, T* __restrict q, const T* __restrict p, T mx) {
  for (int64_t j = 0; j < n; ++j) q[j] = fm::exp(T(p[j] - mx));
}
template <class T>
FLX_MULTIVERSION void scale_row(int64_t n, T* __restrict q, T s) {
  for (int64_t j = 0; j < n; ++j) q[j] *= s;
}
template <class T>
FLX_MULTIVERSION void log_shifted_row(int64_t n, T* __restrict q, const T* __restrict p, T mx, T lse) {
  for (int64_t j = 0; j < n; ++j) q[j] = T(T(p[j] - mx) - lse);
}

// Numerically stable: subtract the max before exponentiating; sums in double.
template <class T>
void softmax_typed(bool log, int64_t outer, int64_t n, int64_t inner, T* out, const T* x) {
  parallel_for(outer * inner, std::max<int64_t>(1, kGrainCostly / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t base = (r / inner) * n * inner + (r % inner);
      const T* p = x + base;
      T* q = out + base;
      T mx = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) mx = bin::maximum()(mx, p[j * inner]);
      if (std::isinf(mx) && mx < 0) mx = 0;  // a row of -inf stays finite in the shift
      double sum = 0;
      if (inner == 1) {  // the usual case, a softmax over the last dim: unit-stride rows
        exp_shifted_row<T>(n, q, p, mx);
        for (int64_t j = 0; j < n; ++j) sum += double(q[j]);
        if (log) log_shifted_row<T>(n, q, p, mx, T(std::log(sum)));
        else scale_row<T>(n, q, T(1.0 / sum));
      } else if (log) {
        for (int64_t j = 0; j < n; ++j) sum += double(fm::exp(T(p[j * inner] - mx)));
        const T lse = T(std::log(sum));
        for (int64_t j = 0; j < n; ++j) q[j * inner] = p[j * inner] - mx - lse;
      } else {
        for (int64_t j = 0; j < n; ++j) { T v = fm::exp(T(p[j * inner] - mx)); q[j * inner] = v; sum += v; }
        const T inv = T(1.0 / sum);
        for (int64_t j = 0; j < n; ++j) q[j * inner] *= inv;
      }
    }
  });
}

// Running sums along the middle dim of [outer, n, inner]: each (outer, inner) lane runs on its
// own, in order (reverse: from the end), accumulating in double (int32: exact int64, wrapped).
template <class T>
void cumsum_typed(int64_t outer, int64_t n, int64_t inner, bool reverse, T* out, const T* x) {
  using A = std::conditional_t<std::is_integral_v<T>, int64_t, double>;
  parallel_for(outer, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(n * inner, 1)), [&](int64_t b, int64_t e) {
    std::vector<A> acc{};
    acc.resize(size_t(inner));
    for (int64_t o = b; o < e; ++o) {
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t s = 0; s < n; ++s) {
        const int64_t j = reverse ? n - 1 - s : s;
        const T* px = x + (o * n + j) * inner;
        T* po = out + (o * n + j) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          acc[size_t(i)] += A(px[i]);
          if constexpr (std::is_integral_v<T>) po[i] = T(uint32_t(uint64_t(acc[size_t(i)])));
          else po[i] = T(acc[size_t(i)]);
        }
      }
    }
  });
}

}  // namespace

// cumsum(out, x, outer, n, inner, reverse): contiguous x and out viewed as [outer, n, inner].
void cumsum_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  const int64_t outer = c.count(2, "outer"), n = c.count(3, "n"), inner = c.count(4, "inner");
  const bool reverse = c.flag(5, "reverse");
  FLX_CHECK(x.len != mul_size(mul_size(outer, n, "cumsum"), inner, "cumsum") || out.len != x.len, range, "cumsum: lengths differ");
  FLX_CHECK(x.dtype != out.dtype, type, "cumsum: dtypes differ");
  if (x.len == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    cumsum_typed<T>(outer, n, inner, reverse, out.as<T>(), x.as<T>());
  });
}

// reduce(out, x, op, scale); meta: ndim, shape, x offset+strides, reduced flag per dim.
void reduce_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  const int op = c.op(2, kNumReduce);
  const double scale = c.num(3, "scale");
  FLX_CHECK(x.dtype != out.dtype, type, "reduce: x and out must share one dtype");
  Meta m = c.meta();
  ReduceArgs r;
  r.ndim = read_ndim(m, "reduce");
  read_shape(m, r.ndim, r.shape, "reduce");
  read_strides(m, r.ndim, &r.xoff, r.xstr);
  check_bounds(c.name("x"), r.ndim, r.shape, r.xoff, r.xstr, x.len);
  int64_t nout = 1, nred = 1;
  for (int d = 0; d < r.ndim; ++d) {
    r.reduced[d] = m.next() != 0;
    // checked: broadcast (stride-0) dims pass the bounds check at any size, so the products may not fit
    int64_t& n = r.reduced[d] ? nred : nout;
    n = mul_size(n, r.shape[d], "reduce");
  }
  mul_size(nout, nred, "reduce");
  FLX_CHECK(out.len != nout, range, "reduce: out has the wrong length");
  FLX_CHECK(nred == 0 && op != kRed_sum, range, "reduce: max/min of an empty dimension");
  if (nout == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    reduce_dispatch<T>(op, r, nout, out.as<T>(), x.as<T>(), scale);
  });
}

// argmax(out, x, dim); meta: ndim, shape, x offset+strides. out: Int32Array, dim removed.
void argmax_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  FLX_CHECK(out.dtype != DType::i32, type, "argmax: out must be an Int32Array");
  Meta m = c.meta();
  ReduceArgs r;
  r.ndim = read_ndim(m, "argmax");
  read_shape(m, r.ndim, r.shape, "argmax");
  read_strides(m, r.ndim, &r.xoff, r.xstr);
  check_bounds(c.name("x"), r.ndim, r.shape, r.xoff, r.xstr, x.len);
  const int dim = int(c.integer(2, "dim", 0, kMaxDims - 1));
  FLX_CHECK(dim >= r.ndim, range, "argmax: dim out of range");
  FLX_CHECK(r.shape[dim] == 0, range, "argmax: empty dimension");
  int64_t nout = 1;
  for (int d = 0; d < r.ndim; ++d) nout = mul_size(nout, d != dim ? r.shape[d] : 1, "argmax");  // checked, as reduce
  FLX_CHECK(out.len != nout, range, "argmax: out has the wrong length");
  if (nout == 0) return;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    argmax_typed<T>(r, dim, out.as<int32_t>(), x.as<T>());
  });
}

// softmax(out, x, log, outer, n, inner): contiguous x viewed as [outer, n, inner].
void softmax_cpu(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  const bool log = c.flag(2, "log");
  const int64_t outer = c.count(3, "outer"), n = c.count(4, "n"), inner = c.count(5, "inner");
  FLX_CHECK(x.len != mul_size(mul_size(outer, n, "softmax"), inner, "softmax") || out.len != x.len, range,
            "softmax: lengths differ");
  FLX_CHECK(x.dtype != out.dtype, type, "softmax: dtypes differ");
  if (x.len == 0) return;
  with_float_dtype("softmax", x.dtype, [&](auto tag) {
    using T = decltype(tag);
    softmax_typed<T>(log, outer, n, inner, out.as<T>(), x.as<T>());
  });
}

}  // namespace flx
