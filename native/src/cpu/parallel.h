// A small fixed thread pool for elementwise work. The calling (JS) thread takes part,
// so a pool of size 1 runs everything inline.
#pragma once
#include <cstdint>
#include <functional>

namespace flx {

int num_threads();
void set_num_threads(int n);

// Runs fn(task) for task in [0, ntasks), spread over the pool; returns when all are done.
void parallel_tasks(int64_t ntasks, const std::function<void(int64_t)>& fn);

// Splits [0, n) into contiguous chunks of at least `grain` items and runs fn(begin, end) on each.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace flx
