// NCCL loaded at run time (see ../distributed.h): our own declarations of the few entry points
// of nccl.h we call, resolved from libnccl.so.2 with dlopen at initDistributed time. Collectives
// run on the device's one stream (so they are ordered after the kernels that wrote the data) and
// are then polled with cudaStreamQuery and ncclCommGetAsyncError against a deadline; a
// collective that does not finish in time aborts the communicator (ncclCommAbort), which is
// NCCL's way to get out of a collective whose peer is gone.
#include <dlfcn.h>
#include <sched.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "../distributed.h"
#include "../distributed_mpi.h"
#include "../dl_symbols.h"
#include "runtime.cuh"

namespace flx {
namespace dist {
namespace {

// nccl.h, by value (stable since NCCL 2.0).
struct UniqueId {
  char internal[kNcclIdBytes];
};
struct CommStruct;
using Comm = CommStruct*;
enum Result { ncclSuccess = 0, ncclInProgress = 7 };
enum DataType { ncclInt32 = 2, ncclFloat32 = 7, ncclFloat64 = 8 };
enum RedOp { ncclSum = 0, ncclMax = 2, ncclMin = 3 };

struct Api {
  Result (*GetVersion)(int*) = nullptr;
  Result (*GetUniqueId)(UniqueId*) = nullptr;
  Result (*CommInitRank)(Comm*, int, UniqueId, int) = nullptr;
  Result (*CommDestroy)(Comm) = nullptr;
  Result (*CommAbort)(Comm) = nullptr;
  Result (*CommGetAsyncError)(Comm, Result*) = nullptr;
  const char* (*GetErrorString)(Result) = nullptr;
  Result (*AllReduce)(const void*, void*, size_t, DataType, RedOp, Comm, cudaStream_t) = nullptr;
  Result (*Broadcast)(const void*, void*, size_t, DataType, int, Comm, cudaStream_t) = nullptr;
};

struct Loaded {
  Api api;
  bool ok = false;
  std::string report;  // why not, when !ok
};

Loaded& loaded() {
  static Loaded* l = [] {
    auto* r = new Loaded();  // never freed: the library stays loaded
    const char* env = std::getenv("FLUXION_NCCL_LIBRARY");
    const std::string path = env && *env ? env : "libnccl.so.2";
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      r->report = "NCCL not found: " + std::string(e ? e : path) +
                  " (install NCCL 2, e.g. Debian/Ubuntu libnccl2, or set FLUXION_NCCL_LIBRARY to the path of libnccl.so.2)";
      return r;
    }
    DlSymbols sym(lib);
    Api& a = r->api;
    sym.fn(a.GetVersion, "ncclGetVersion");
    sym.fn(a.GetUniqueId, "ncclGetUniqueId");
    sym.fn(a.CommInitRank, "ncclCommInitRank");
    sym.fn(a.CommDestroy, "ncclCommDestroy");
    sym.fn(a.CommAbort, "ncclCommAbort");
    sym.fn(a.CommGetAsyncError, "ncclCommGetAsyncError");
    sym.fn(a.GetErrorString, "ncclGetErrorString");
    sym.fn(a.AllReduce, "ncclAllReduce");
    sym.fn(a.Broadcast, "ncclBroadcast");
    if (!sym.missing().empty()) {
      r->report = path + " lacks " + sym.missing();
      return r;
    }
    r->ok = true;
    return r;
  }();
  return *l;
}

struct State {
  std::mutex mu;
  Comm comm = nullptr;
};
State& state() {
  static State* s = new State();
  return *s;
}

const Api& api(const char* what) {
  Loaded& l = loaded();
  FLX_CHECK(!l.ok, error, std::string(what) + ": " + l.report);
  return l.api;
}

void check(const Api& a, const char* what, Result r) {
  if (r == ncclSuccess || r == ncclInProgress) return;
  fail(ErrorKind::error, std::string("fluxion native: ") + what + ": " + a.GetErrorString(r));
}

Comm comm(const char* what) {
  Comm c = state().comm;
  FLX_CHECK(c == nullptr, error, std::string(what) + ": NCCL is not open (call initDistributed({ backend: 'nccl' }) first)");
  return c;
}

DataType nccl_type(DType dt) {
  switch (dt) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::i32: return ncclInt32;
  }
  return ncclFloat32;
}
RedOp nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return ncclSum;
    case ReduceOp::max: return ncclMax;
    case ReduceOp::min: return ncclMin;
  }
  return ncclSum;
}

// Waits for the stream, watching the communicator for an asynchronous error (a peer gone).
void wait(const Api& a, Comm c, cudaStream_t s, double timeout_s, const char* what) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const bool bounded = timeout_s > 0 && timeout_s < 1e9;
  for (;;) {
    const cudaError_t e = cudaStreamQuery(s);
    if (e == cudaSuccess) return;
    if (e != cudaErrorNotReady) cu::check(what, e);
    Result async = ncclSuccess;
    a.CommGetAsyncError(c, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      a.CommAbort(c);
      state().comm = nullptr;
      fail(ErrorKind::error, std::string("fluxion native: ") + what + ": " + a.GetErrorString(async));
    }
    if (bounded && clock::now() - start > std::chrono::duration<double>(timeout_s)) {
      a.CommAbort(c);
      state().comm = nullptr;
      throw Timeout(std::string(what) + ": timed out");
    }
    sched_yield();
  }
}

}  // namespace

std::string nccl_problem() {
  if (!cu::device_ok()) {
    try {
      cu::stream("initDistributed");
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no CUDA device";
  }
  return loaded().ok ? "" : loaded().report;
}

void nccl_unique_id(uint8_t out[kNcclIdBytes]) {
  const Api& a = api("ncclGetUniqueId");
  UniqueId id;
  check(a, "ncclGetUniqueId", a.GetUniqueId(&id));
  std::memcpy(out, id.internal, kNcclIdBytes);
}

std::string nccl_open(const uint8_t id[kNcclIdBytes], int size, int rank, double timeout_s) {
  const Api& a = api("initDistributed");
  std::lock_guard<std::mutex> lock(state().mu);
  FLX_CHECK(state().comm != nullptr, error, "initDistributed: NCCL is already open in this process");
  cu::stream("initDistributed");  // the device, before NCCL binds to it
  UniqueId u;
  std::memcpy(u.internal, id, kNcclIdBytes);
  Comm c = nullptr;
  check(a, "ncclCommInitRank", a.CommInitRank(&c, size, u, rank));
  state().comm = c;
  (void)timeout_s;  // ncclCommInitRank blocks until every rank joined; MPI's barrier before it bounds that
  int v = 0;
  a.GetVersion(&v);
  return "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

void nccl_all_reduce(void* data, int64_t count, DType dtype, ReduceOp op, double timeout_s) {
  const Api& a = api("allReduce");
  Comm c = comm("allReduce");
  cudaStream_t s = cu::stream("allReduce");
  check(a, "allReduce", a.AllReduce(data, data, size_t(count), nccl_type(dtype), nccl_op(op), c, s));
  wait(a, c, s, timeout_s, "allReduce");
}

void nccl_broadcast(void* data, int64_t count, DType dtype, int root, double timeout_s) {
  const Api& a = api("broadcast");
  Comm c = comm("broadcast");
  cudaStream_t s = cu::stream("broadcast");
  check(a, "broadcast", a.Broadcast(data, data, size_t(count), nccl_type(dtype), root, c, s));
  wait(a, c, s, timeout_s, "broadcast");
}

void nccl_close() {
  if (!loaded().ok) return;
  std::lock_guard<std::mutex> lock(state().mu);
  if (state().comm != nullptr) loaded().api.CommDestroy(state().comm);
  state().comm = nullptr;
}

}  // namespace dist
}  // namespace flx
