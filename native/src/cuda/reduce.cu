// Reductions over any set of dims (sum, max, min; mean = sum with a scale), argmax, and
// softmax / logsoftmax along one dim: the CUDA twin of cpu/reduce.cc. Accumulation runs in
// double for every dtype, like the CPU, so only the order of a sum differs between devices.
//
// reduce: the reduced dims and the kept dims are coalesced separately. When the reduced dims
// coalesce to one contiguous run (each output reads one block of x) and that run is long, a
// block of threads reduces each output (split over several blocks plus a finishing pass when
// there are few outputs); otherwise one thread per output walks its elements (split over
// several threads plus the same finishing pass when there are few outputs), which is correct
// for every mask and coalesced across threads when a leading dim is reduced.
#include "../ops.def"
#include "../scalar_ops.h"
#include "../kernels.h"
#include "runtime.cuh"

namespace flx {
namespace cu {
namespace {

enum ReduceOp {
#define X(name) kRed_##name,
  FLUXION_REDUCE_OPS(X)
#undef X
  kNumReduceOps
};


// The same accumulators as the CPU (cpu/reduce.cc), in double.
struct SumAcc {
  static __device__ __forceinline__ double init() { return 0.0; }
  static __device__ __forceinline__ double step(double acc, double v) { return acc + v; }
};
struct MaxAcc {
  static __device__ __forceinline__ double init() { return -double(INFINITY); }
  static __device__ __forceinline__ double step(double acc, double v) { return bin::maximum()(acc, v); }
};
struct MinAcc {
  static __device__ __forceinline__ double init() { return double(INFINITY); }
  static __device__ __forceinline__ double step(double acc, double v) { return bin::minimum()(acc, v); }
};

// Reduces v over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in
// thread 0. Every thread of the block must call it; `sh` holds 32 doubles.
template <class Acc>
__device__ double block_reduce(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v = Acc::step(v, __shfl_down_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < nwarps ? sh[lane] : Acc::init();
    for (int o = 16; o > 0; o >>= 1) v = Acc::step(v, __shfl_down_sync(0xffffffffu, v, o));
  }
  __syncthreads();  // sh may be reused right after
  return v;
}

// One thread per (output, part): kept holds the kept dims (offset = x's offset), red the reduced
// dims (offset 0), walked in flat order as rows of `inner` elements along red's last dim. Part
// `part` covers reduced elements [part * chunk, (part + 1) * chunk). Task t = part * nout + o, so
// neighbouring threads take neighbouring outputs (coalesced when a leading dim is reduced). With
// parts == 1 the thread writes the output, else a double partial at partial[o * parts + part].
template <class T, class Acc>
__global__ void reduce_general(Geo<1> kept, Geo<1> red, int64_t nout, int64_t nred, int64_t chunk, int64_t parts,
                               T* out, double* partial, const T* x, double scale) {
  const int last = red.ndim - 1;
  const int64_t inner = red.shape[last], s = red.str[0][last];
  const int64_t tasks = nout * parts;
  for (int64_t t = grid_first(); t < tasks; t += grid_step()) {
    const int64_t part = t / nout, o = t - part * nout;
    int64_t base;
    kept.offsets(o, &base);
    double acc = Acc::init();
    int64_t f = part * chunk;
    const int64_t e = f + chunk < nred ? f + chunk : nred;
    while (f < e) {
      const int64_t r = f / inner, j0 = f - r * inner;
      const int64_t cnt = inner - j0 < e - f ? inner - j0 : e - f;
      int64_t off = base, q = r;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t qd = q / red.shape[d];
        off += (q - qd * red.shape[d]) * red.str[0][d];
        q = qd;
      }
      const T* p = x + off + j0 * s;
#pragma unroll 8
      for (int64_t j = 0; j < cnt; ++j) acc = Acc::step(acc, double(p[j * s]));
      f += cnt;
    }
    if (parts == 1) out[o] = from_sum<T>(acc * scale);
    else partial[o * parts + part] = acc;
  }
}

// Each output reads x[base(o) + j], j < nred, split into `parts` chunks of `chunk`: one block
// per (output, part). With parts == 1 the block writes the output, else a double partial.
template <class T, class Acc>
__global__ void __launch_bounds__(kThreads) reduce_rows(Geo<1> kept, int64_t nout, int64_t nred, int64_t chunk,
                                                        int64_t parts, T* out, double* partial, const T* x,
                                                        double scale) {
  __shared__ double sh[32];
  const int64_t tasks = nout * parts;
  for (int64_t task = blockIdx.x; task < tasks; task += gridDim.x) {
    const int64_t o = task / parts, part = task - o * parts;
    int64_t base;
    kept.offsets(o, &base);
    const int64_t b = part * chunk, e = b + chunk < nred ? b + chunk : nred;
    double acc = Acc::init();
    for (int64_t j = b + threadIdx.x; j < e; j += blockDim.x) acc = Acc::step(acc, double(x[base + j]));
    acc = block_reduce<Acc>(acc, sh);
    if (threadIdx.x == 0) {
      if (parts == 1) out[o] = from_sum<T>(acc * scale);
      else partial[task] = acc;
    }
  }
}

// Combines the parts of each output.
template <class T, class Acc>
__global__ void __launch_bounds__(kThreads) reduce_finish(int64_t nout, int64_t parts, const double* partial, T* out,
                                                          double scale) {
  __shared__ double sh[32];
  for (int64_t o = blockIdx.x; o < nout; o += gridDim.x) {
    double acc = Acc::init();
    for (int64_t j = threadIdx.x; j < parts; j += blockDim.x) acc = Acc::step(acc, partial[o * parts + j]);
    acc = block_reduce<Acc>(acc, sh);
    if (threadIdx.x == 0) out[o] = from_sum<T>(acc * scale);
  }
}

struct ReducePlan {
  Geo<1> kept, red;
  int64_t nout, nred;
};

template <class T, class Acc>
void reduce_run(Device dev, const ReducePlan& p, cudaStream_t s, T* out, const T* x, double scale) {
  const Geo<1>& red = p.red;
  const bool contiguous = red.ndim == 1 && (red.str[0][0] == 1 || red.shape[0] == 1);
  if (contiguous && p.nred >= 64) {
    const int64_t target = int64_t(sm_count()) * 8;  // blocks that keep the device busy
    int64_t parts = 1;
    if (p.nout < target) {
      const int64_t by_size = (p.nred + 2047) / 2048;  // at least 2048 elements per block
      const int64_t by_need = (target + p.nout - 1) / p.nout;
      parts = by_size < by_need ? by_size : by_need;
      if (parts < 1) parts = 1;
    }
    const int64_t chunk = (p.nred + parts - 1) / parts;
    parts = (p.nred + chunk - 1) / chunk;
    if (parts == 1) {
      reduce_rows<T, Acc><<<grid_for(p.nout, 1), kThreads, 0, s>>>(p.kept, p.nout, p.nred, chunk, 1, out, nullptr, x,
                                                                    scale);
      return;
    }
    const int64_t tasks = mul_size(p.nout, parts, "reduce");
    Scratch partial(dev, uint64_t(tasks) * sizeof(double));
    reduce_rows<T, Acc><<<grid_for(tasks, 1), kThreads, 0, s>>>(p.kept, p.nout, p.nred, chunk, parts, out,
                                                                 partial.as<double>(), x, scale);
    check_launch("reduce");
    reduce_finish<T, Acc><<<grid_for(p.nout, 1), kThreads, 0, s>>>(p.nout, parts, partial.as<double>(), out, scale);
    return;
  }
  // One thread per output, or per (output, part) when there are too few outputs to fill the
  // device: at least 256 elements per thread, then a finishing pass over the partials.
  const int64_t target = int64_t(sm_count()) * 1024;
  int64_t parts = 1;
  if (p.nout < target && p.nred > 512) {
    const int64_t by_size = (p.nred + 255) / 256, by_need = (target + p.nout - 1) / p.nout;
    parts = by_size < by_need ? by_size : by_need;
  }
  const int64_t chunk = parts == 1 ? p.nred : (p.nred + parts - 1) / parts;
  if (parts > 1) parts = (p.nred + chunk - 1) / chunk;
  if (parts == 1) {
    reduce_general<T, Acc><<<grid_for(p.nout), kThreads, 0, s>>>(p.kept, red, p.nout, p.nred, chunk, 1, out, nullptr,
                                                                  x, scale);
    return;
  }
  const int64_t tasks = mul_size(p.nout, parts, "reduce");
  Scratch partial(dev, uint64_t(tasks) * sizeof(double));
  reduce_general<T, Acc><<<grid_for(tasks), kThreads, 0, s>>>(p.kept, red, p.nout, p.nred, chunk, parts, out,
                                                               partial.as<double>(), x, scale);
  check_launch("reduce");
  reduce_finish<T, Acc><<<grid_for(p.nout, 1), kThreads, 0, s>>>(p.nout, parts, partial.as<double>(), out, scale);
}

// reduce(out, x, op, scale): as reduce_cpu. out is contiguous over the kept dims, in order.
void reduce_entry(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  const int op = c.op(2, kNumReduceOps);
  const double scale = c.num(3, "scale");
  FLX_CHECK(x.dtype != out.dtype, type, "reduce: x and out must share one dtype");
  Meta m = c.meta();
  int ndim = read_ndim(m, "reduce");
  int64_t shape[kMaxDims], xstr[kMaxDims], xoff = 0;
  read_shape(m, ndim, shape, "reduce");
  read_strides(m, ndim, &xoff, xstr);
  check_bounds(c.name("x"), ndim, shape, xoff, xstr, x.len);
  Strided<1> kept, red;
  kept.ndim = 0;
  kept.offset[0] = xoff;
  red.ndim = 0;
  red.offset[0] = 0;
  int64_t nout = 1, nred = 1;
  for (int d = 0; d < ndim; ++d) {
    const bool reduced = m.next() != 0;
    Strided<1>& s = reduced ? red : kept;
    s.shape[s.ndim] = shape[d];
    s.strides[0][s.ndim] = xstr[d];
    ++s.ndim;
    int64_t& n = reduced ? nred : nout;
    n = mul_size(n, shape[d], "reduce");  // checked: stride-0 dims pass the bounds check at any size
  }
  mul_size(nout, nred, "reduce");
  FLX_CHECK(out.len != nout, range, "reduce: out has the wrong length");
  FLX_CHECK(nred == 0 && op != kRed_sum, range, "reduce: max/min of an empty dimension");
  cudaStream_t s = stream("reduce");
  if (nout == 0) return;
  kept.coalesce();  // no kept dims: one output at offset xoff
  red.coalesce();   // no reduced dims: one element per output
  const ReducePlan plan{geo(kept), geo(red), nout, nred};
  with_dtype(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case kRed_sum: reduce_run<T, SumAcc>(c.device(), plan, s, out.as<T>(), x.as<T>(), scale); break;
      case kRed_max: reduce_run<T, MaxAcc>(c.device(), plan, s, out.as<T>(), x.as<T>(), scale); break;
      case kRed_min: reduce_run<T, MinAcc>(c.device(), plan, s, out.as<T>(), x.as<T>(), scale); break;
    }
  });
  check_launch("reduce");
}

// ---------------------------------------------------------------- argmax

// The CPU rule (cpu/reduce.cc): the first NaN wins; otherwise the first maximum.
template <class T>
__device__ __forceinline__ int64_t argmax_seq(const T* p, int64_t n, int64_t s) {
  int64_t best = 0;
  T bv = p[0];
  for (int64_t j = 1; j < n; ++j) {
    const T v = p[j * s];
    if (bv != bv) break;
    if (v > bv || v != v) {
      bv = v;
      best = j;
    }
  }
  return best;
}

// The same rule as a combine of (value, index) candidates (index -1 = none): associative and
// commutative, so any split of the row gives the sequential answer.
template <class T>
__device__ __forceinline__ bool argmax_better(T v, int64_t i, T bv, int64_t bi) {
  if (i < 0) return false;
  if (bi < 0) return true;
  const bool vn = v != v, bn = bv != bv;
  if (vn || bn) return vn && (!bn || i < bi);
  return v > bv || (v == bv && i < bi);
}

template <class T>
__global__ void argmax_thread(Geo<1> outer, int64_t nout, int64_t n, int64_t s, int32_t* out, const T* x) {
  for (int64_t o = grid_first(); o < nout; o += grid_step()) {
    int64_t base;
    outer.offsets(o, &base);
    out[o] = int32_t(argmax_seq(x + base, n, s));
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) argmax_block(Geo<1> outer, int64_t nout, int64_t n, int64_t s,
                                                         int32_t* out, const T* x) {
  __shared__ T shv[32];
  __shared__ int64_t shi[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (int64_t o = blockIdx.x; o < nout; o += gridDim.x) {
    int64_t base;
    outer.offsets(o, &base);
    T bv = T(0);
    int64_t bi = -1;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const T v = x[base + j * s];
      if (argmax_better(v, j, bv, bi)) {
        bv = v;
        bi = j;
      }
    }
    for (int off = 16; off > 0; off >>= 1) {
      const T v = __shfl_down_sync(0xffffffffu, bv, off);
      const int64_t i = __shfl_down_sync(0xffffffffu, bi, off);
      if (argmax_better(v, i, bv, bi)) {
        bv = v;
        bi = i;
      }
    }
    if (lane == 0) {
      shv[warp] = bv;
      shi[warp] = bi;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (int w = 1; w < nwarps; ++w)
        if (argmax_better(shv[w], shi[w], bv, bi)) {
          bv = shv[w];
          bi = shi[w];
        }
      out[o] = int32_t(bi);
    }
    __syncthreads();
  }
}

// argmax(out, x, dim): as argmax_cpu. out: int32, dim removed, contiguous.
void argmax_entry(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  FLX_CHECK(out.dtype != DType::i32, type, "argmax: out must be an Int32Array");
  Meta m = c.meta();
  int ndim = read_ndim(m, "argmax");
  int64_t shape[kMaxDims], xstr[kMaxDims], xoff = 0;
  read_shape(m, ndim, shape, "argmax");
  read_strides(m, ndim, &xoff, xstr);
  check_bounds(c.name("x"), ndim, shape, xoff, xstr, x.len);
  const int dim = int(c.integer(2, "dim", 0, kMaxDims - 1));
  FLX_CHECK(dim >= ndim, range, "argmax: dim out of range");
  FLX_CHECK(shape[dim] == 0, range, "argmax: empty dimension");
  int64_t nout = 1;
  Strided<1> outer;
  outer.ndim = 0;
  outer.offset[0] = xoff;
  for (int d = 0; d < ndim; ++d) {
    if (d == dim) continue;
    nout = mul_size(nout, shape[d], "argmax");
    outer.shape[outer.ndim] = shape[d];
    outer.strides[0][outer.ndim++] = xstr[d];
  }
  FLX_CHECK(out.len != nout, range, "argmax: out has the wrong length");
  cudaStream_t s = stream("argmax");
  if (nout == 0) return;
  outer.coalesce();
  const Geo<1> g = geo(outer);
  const int64_t n = shape[dim], st = xstr[dim];
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (n >= 512 && nout < int64_t(sm_count()) * 64)
      argmax_block<T><<<grid_for(nout, 1), kThreads, 0, s>>>(g, nout, n, st, out.as<int32_t>(), x.as<T>());
    else
      argmax_thread<T><<<grid_for(nout), kThreads, 0, s>>>(g, nout, n, st, out.as<int32_t>(), x.as<T>());
  });
  check_launch("argmax");
}

// ---------------------------------------------------------------- softmax

template <class T>
__device__ __forceinline__ T neg_inf() { return T(-INFINITY); }

// A row of n contiguous elements per warp (inner == 1). Same arithmetic as the CPU: the max in T
// (NaN propagates), a row of -inf shifts by 0, exponentials summed in double.
template <class T>
__global__ void softmax_warp(bool log, int64_t rows, int64_t n, T* out, const T* x) {
  const int lane = threadIdx.x & 31;
  const int64_t first = grid_first() >> 5, step = grid_step() >> 5;
  for (int64_t r = first; r < rows; r += step) {
    const T* p = x + r * n;
    T* q = out + r * n;
    T mx = neg_inf<T>();
    for (int64_t j = lane; j < n; j += 32) mx = bin::maximum()(mx, p[j]);
    for (int o = 16; o > 0; o >>= 1) mx = bin::maximum()(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    if (mx == neg_inf<T>()) mx = T(0);
    double sum = 0;
    if (log) {
      for (int64_t j = lane; j < n; j += 32) sum += std::exp(double(p[j] - mx));
      for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
      const T lse = T(std::log(sum));
      for (int64_t j = lane; j < n; j += 32) q[j] = p[j] - mx - lse;
    } else {
      for (int64_t j = lane; j < n; j += 32) sum += double(T(std::exp(p[j] - mx)));
      for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
      const T inv = T(1.0 / sum);
      for (int64_t j = lane; j < n; j += 32) q[j] = T(std::exp(p[j] - mx)) * inv;
    }
  }
}

// One thread per (outer, inner) row, stepping by `inner`: adjacent threads read adjacent
// elements. The CPU loop as is.
template <class T>
__global__ void softmax_strided(bool log, int64_t rows, int64_t n, int64_t inner, T* out, const T* x) {
  for (int64_t r = grid_first(); r < rows; r += grid_step()) {
    const int64_t base = (r / inner) * n * inner + (r % inner);
    const T* p = x + base;
    T* q = out + base;
    T mx = neg_inf<T>();
    for (int64_t j = 0; j < n; ++j) mx = bin::maximum()(mx, p[j * inner]);
    if (mx == neg_inf<T>()) mx = T(0);
    double sum = 0;
    if (log) {
      for (int64_t j = 0; j < n; ++j) sum += std::exp(double(p[j * inner] - mx));
      const T lse = T(std::log(sum));
      for (int64_t j = 0; j < n; ++j) q[j * inner] = p[j * inner] - mx - lse;
    } else {
      for (int64_t j = 0; j < n; ++j) {
        const T v = std::exp(p[j * inner] - mx);
        q[j * inner] = v;
        sum += v;
      }
      const T inv = T(1.0 / sum);
      for (int64_t j = 0; j < n; ++j) q[j * inner] *= inv;
    }
  }
}

// softmax(out, x, log, outer, n, inner): as softmax_cpu.
void softmax_entry(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  const bool log = c.flag(2, "log");
  const int64_t outer = c.count(3, "outer"), n = c.count(4, "n"), inner = c.count(5, "inner");
  const int64_t len = mul_size(mul_size(outer, n, "softmax"), inner, "softmax");
  FLX_CHECK(x.len != len || out.len != len, range, "softmax: lengths differ");
  FLX_CHECK(x.dtype != out.dtype, type, "softmax: dtypes differ");
  with_float_dtype("softmax", x.dtype, [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = stream("softmax");
    if (len == 0) return;
    if (inner == 1)
      softmax_warp<T><<<grid_for(outer, kThreads / 32), kThreads, 0, s>>>(log, outer, n, out.as<T>(), x.as<T>());
    else
      softmax_strided<T><<<grid_for(outer * inner), kThreads, 0, s>>>(log, outer * inner, n, inner, out.as<T>(),
                                                                       x.as<T>());
    check_launch("softmax");
  });
}

// ---------------------------------------------------------------- cumsum

// One thread per (outer, inner) lane, in order along n: the CPU's sums, in the same order.
template <class T>
__global__ void cumsum_kernel(int64_t lanes, int64_t n, int64_t inner, bool reverse, T* out, const T* x) {
  using A = typename std::conditional<std::is_integral<T>::value, long long, double>::type;
  for (int64_t r = grid_first(); r < lanes; r += grid_step()) {
    const int64_t o = r / inner, i = r - o * inner;
    A acc = 0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t k = (o * n + (reverse ? n - 1 - s : s)) * inner + i;
      acc += A(x[k]);
      if constexpr (std::is_integral<T>::value) out[k] = T(uint32_t((unsigned long long)acc));
      else out[k] = T(acc);
    }
  }
}

// cumsum(out, x, outer, n, inner, reverse): as cumsum_cpu.
void cumsum_entry(Call& c) {
  const Buf out = c.buf(0, "out"), x = c.buf(1, "x");
  const int64_t outer = c.count(2, "outer"), n = c.count(3, "n"), inner = c.count(4, "inner");
  const bool reverse = c.flag(5, "reverse");
  FLX_CHECK(x.len != mul_size(mul_size(outer, n, "cumsum"), inner, "cumsum") || out.len != x.len, range, "cumsum: lengths differ");
  FLX_CHECK(x.dtype != out.dtype, type, "cumsum: dtypes differ");
  cudaStream_t s = stream("cumsum");
  if (x.len == 0) return;
  const int64_t lanes = outer * inner;
  with_dtype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    cumsum_kernel<T><<<grid_for(lanes), kThreads, 0, s>>>(lanes, n, inner, reverse, out.as<T>(), x.as<T>());
  });
  check_launch("cumsum");
}

}  // namespace
}  // namespace cu

void reduce_cuda(Call& c) { cu::reduce_entry(c); }
void cumsum_cuda(Call& c) { cu::cumsum_entry(c); }
void argmax_cuda(Call& c) { cu::argmax_entry(c); }
void softmax_cuda(Call& c) { cu::softmax_entry(c); }

}  // namespace flx
