// Collectives across processes for data-parallel training: MPI (Open MPI's libmpi.so.40 or
// MPICH's libmpich.so.12) on host memory, NCCL (libnccl.so.2) on CUDA memory. Both libraries
// are loaded with dlopen when a program asks for them; nothing of either is needed to build or
// to load the addon. Our own declarations of the few entry points stand in for their headers.
//
// Every collective is started non-blocking and polled against a deadline, so a rank that died
// or never arrives turns into an error after a bounded time instead of a hang. A collective that
// timed out cannot be cancelled (neither library can), so the engine is then marked broken and
// every later call fails at once.
//
// MPI is one per process by its own definition (MPI_Init once, from one thread), so this state
// is process-wide, unlike the rest of the addon: the first copy of the library to open it owns
// it, later copies share it (counted), and only the thread that opened it may call it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common.h"

namespace flx {
namespace dist {

// Reduction codes shared with TypeScript (ts/distributed/native.ts).
enum class ReduceOp : int { sum = 0, max = 1, min = 2 };

// ---- NCCL (cuda/nccl.cu; without CUDA every call throws "built without CUDA")
constexpr size_t kNcclIdBytes = 128;
// Why NCCL cannot be used here ("" when it can): library missing, no CUDA device, no CUDA build.
std::string nccl_problem();
// ncclGetUniqueId, for rank 0 to broadcast.
void nccl_unique_id(uint8_t out[kNcclIdBytes]);
// ncclCommInitRank; returns the library's version line.
std::string nccl_open(const uint8_t id[kNcclIdBytes], int size, int rank, double timeout_s);
// In place on device memory; dtype as DType. Waits for completion, bounded by timeout_s.
void nccl_all_reduce(void* data, int64_t count, DType dtype, ReduceOp op, double timeout_s);
void nccl_broadcast(void* data, int64_t count, DType dtype, int root, double timeout_s);
void nccl_close();

}  // namespace dist
}  // namespace flx

#include "napi_util.h"

namespace flx {
namespace dist {
// The addon's entry points for the above (distributed.cc), added to every context by addon.cc.
extern const napi::NamedFn kFns[];
extern const size_t kNumFns;
}  // namespace dist
}  // namespace flx
