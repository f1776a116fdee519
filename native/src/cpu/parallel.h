// A small fixed thread pool for elementwise work. The calling (JS) thread takes part,
// so a pool of size 1 runs everything inline.
#pragma once
#include <cstdint>
#include <functional>

namespace flx {

int num_threads();
void set_num_threads(int n);
// How many jobs have been split over more than one thread so far (diagnostics and tests).
int64_t split_jobs();

// How many elements a thread must get before splitting work pays. Waking a pool worker
// costs about 10-15 µs (a condition variable and a context switch; more while OpenBLAS's
// own threads spin between GEMMs), so a split must save more than that. Measured on a
// 2-core AVX-512 machine (bench/README.md): memory-bound kernels (+ - * copy, relu, the
// SGD step) run at ~0.1 ns per float32 element and only gain from a second thread at
// about a million elements; transcendental ones (exp, tanh, pow, gelu) cost 1-2 ns per
// element and gain from 16K on.
constexpr int64_t kGrainCheap = int64_t(1) << 19;
constexpr int64_t kGrainCostly = int64_t(1) << 13;

// Runs fn(task) for task in [0, ntasks), spread over the pool; returns when all are done.
void parallel_tasks(int64_t ntasks, const std::function<void(int64_t)>& fn);

// Splits [0, n) into contiguous chunks of at least `grain` items and runs fn(begin, end) on each.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace flx
