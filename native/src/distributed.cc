// The addon's entry points for collectives (see distributed.h). Thin: TypeScript
// (ts/distributed/) validates every argument and keeps the state of each Distributed; this file
// reads the arguments, runs the collective and turns failures into JS errors (napi_util.h). A
// timeout is an Error whose message starts with "timeout:" (distributed_mpi.h).
#include <node_api.h>

#include <cstring>
#include <new>
#include <string>

#include "distributed.h"
#include "distributed_mpi.h"

namespace flx {
namespace dist {
namespace {

using namespace napi;

// A typed array of collective data: its bytes, and its dtype when it is float32/float64/int32
// (else *numeric = false: raw bytes, for broadcast).
void* data_array(const Args& a, size_t i, const char* what, size_t* bytes, size_t* length, DType* dt, bool* numeric) {
  napi_typedarray_type t;
  void* data = a.typed_array(i, what, length, &t);
  *numeric = true;
  size_t elem = 1;
  switch (t) {
    case napi_float32_array: *dt = DType::f32; elem = 4; break;
    case napi_float64_array: *dt = DType::f64; elem = 8; break;
    case napi_int32_array: *dt = DType::i32; elem = 4; break;
    case napi_uint8_array: *numeric = false; elem = 1; break;
    default: fail(ErrorKind::type, std::string("fluxion native: ") + what + " must be a Float32Array, Float64Array, Int32Array or Uint8Array");
  }
  *bytes = *length * elem;
  return data;
}

ReduceOp reduce_op(const Args& a, size_t i) { return ReduceOp(a.integer(i, "op", 0, 2)); }

// mpiOpen(flavour, path) -> { rank, size, library, version }
napi_value MpiOpen(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    MpiEngine* e = mpi_open(a.string(0, "mpiOpen: flavour"), a.string(1, "mpiOpen: path"));
    napi_value o;
    napi_create_object(env, &o);
    set(env, o, "rank", num(env, e->rank()));
    set(env, o, "size", num(env, e->size()));
    set(env, o, "library", str(env, e->library()));
    set(env, o, "version", str(env, e->version()));
    return o;
  });
}

// mpiAllReduce(array, op, timeoutSeconds): in place; float32, float64 or int32.
napi_value MpiAllReduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    size_t bytes = 0, len = 0;
    DType dt = DType::f32;
    bool numeric = false;
    void* data = data_array(a, 0, "allReduce: array", &bytes, &len, &dt, &numeric);
    FLX_CHECK(!numeric, type, "allReduce: array must be float32, float64 or int32");
    const ReduceOp op = reduce_op(a, 1);
    const double timeout = a.number(2, "allReduce: timeout");
    mpi_current("allReduce")->all_reduce(data, int64_t(len), dt, op, timeout, "allReduce");
    return undefined(env);
  });
}

// mpiBroadcast(array, root, timeoutSeconds): the root's bytes into every rank's array.
napi_value MpiBroadcast(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    size_t bytes = 0, len = 0;
    DType dt = DType::f32;
    bool numeric = false;
    void* data = data_array(a, 0, "broadcast: array", &bytes, &len, &dt, &numeric);
    MpiEngine* e = mpi_current("broadcast");
    const int root = int(a.integer(1, "broadcast: root", 0, e->size() - 1));
    e->broadcast(data, int64_t(bytes), root, a.number(2, "broadcast: timeout"), "broadcast");
    return undefined(env);
  });
}

napi_value MpiBarrier(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    mpi_current("barrier")->barrier(a.number(0, "barrier: timeout"), "barrier");
    return undefined(env);
  });
}

// mpiClose(finalize): this copy of the library lets go of MPI.
napi_value MpiClose(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    mpi_release(a.flag(0));
    return undefined(env);
  });
}

napi_value NcclProblem(napi_env env, napi_callback_info) {
  return guarded(env, [&] { return str(env, nccl_problem()); });
}

// ncclUniqueId() -> Uint8Array(128)
napi_value NcclUniqueId(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    uint8_t id[kNcclIdBytes];
    nccl_unique_id(id);
    napi_value ab, out;
    void* raw = nullptr;
    if (napi_create_arraybuffer(env, kNcclIdBytes, &raw, &ab) != napi_ok ||
        napi_create_typedarray(env, napi_uint8_array, kNcclIdBytes, ab, 0, &out) != napi_ok)
      return nullptr;
    std::memcpy(raw, id, kNcclIdBytes);
    return out;
  });
}

// ncclOpen(id: Uint8Array(128), size, rank, timeout) -> version line
napi_value NcclOpen(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    size_t bytes = 0, len = 0;
    DType dt = DType::f32;
    bool numeric = false;
    const void* id = data_array(a, 0, "ncclOpen: id", &bytes, &len, &dt, &numeric);
    FLX_CHECK(numeric || bytes != kNcclIdBytes, type, "ncclOpen: id must be a Uint8Array of 128 bytes");
    const int size = int(a.integer(1, "ncclOpen: size", 1, 1 << 20));
    const int rank = int(a.integer(2, "ncclOpen: rank", 0, size - 1));
    return str(env, nccl_open(static_cast<const uint8_t*>(id), size, rank, a.number(3, "ncclOpen: timeout")));
  });
}

// The CUDA memory of handle elements [offset, offset + count).
void* device_span(const Args& a, const char* what, int64_t offset, int64_t count, DType* dt) {
  uint64_t* h = a.handle(0, what);
  FLX_CHECK(h[3] != uint64_t(Device::cuda), type, std::string(what) + ": the buffer is not CUDA memory (or was freed)");
  FLX_CHECK(offset < 0 || count < 0 || uint64_t(offset + count) > h[1], range,
            std::string(what) + ": elements [" + std::to_string(offset) + ", " + std::to_string(offset + count) +
                ") lie outside the buffer of " + std::to_string(h[1]));
  *dt = DType(h[2]);
  return reinterpret_cast<char*>(static_cast<uintptr_t>(h[0])) + offset * int64_t(dtype_size(*dt));
}

// ncclAllReduce(handle, offset, count, op, timeout)
napi_value NcclAllReduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const int64_t offset = a.integer(1, "allReduce: offset", 0, int64_t(1) << 50);
    const int64_t count = a.integer(2, "allReduce: count", 0, int64_t(1) << 50);
    DType dt;
    void* p = device_span(a, "allReduce", offset, count, &dt);
    nccl_all_reduce(p, count, dt, reduce_op(a, 3), a.number(4, "allReduce: timeout"));
    return undefined(env);
  });
}

// ncclBroadcast(handle, offset, count, root, timeout)
napi_value NcclBroadcast(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const int64_t offset = a.integer(1, "broadcast: offset", 0, int64_t(1) << 50);
    const int64_t count = a.integer(2, "broadcast: count", 0, int64_t(1) << 50);
    DType dt;
    void* p = device_span(a, "broadcast", offset, count, &dt);
    nccl_broadcast(p, count, dt, int(a.integer(3, "broadcast: root", 0, 1 << 20)), a.number(4, "broadcast: timeout"));
    return undefined(env);
  });
}

napi_value NcclClose(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    nccl_close();
    return undefined(env);
  });
}

}  // namespace

const napi::NamedFn kFns[] = {
    {"mpiOpen", MpiOpen},           {"mpiAllReduce", MpiAllReduce},   {"mpiBroadcast", MpiBroadcast},
    {"mpiBarrier", MpiBarrier},     {"mpiClose", MpiClose},
    {"ncclProblem", NcclProblem},   {"ncclUniqueId", NcclUniqueId},   {"ncclOpen", NcclOpen},
    {"ncclAllReduce", NcclAllReduce}, {"ncclBroadcast", NcclBroadcast}, {"ncclClose", NcclClose},
};
const size_t kNumFns = sizeof(kFns) / sizeof(kFns[0]);

#ifndef FLUXION_WITH_CUDA
// NCCL runs on CUDA memory only: a build without CUDA says so.
namespace {
[[noreturn]] void no_cuda(const char* what) {
  fail(ErrorKind::error, std::string("fluxion native: ") + what + ": NCCL needs CUDA, and this build of Fluxion has none (built without CUDA)");
}
}  // namespace
std::string nccl_problem() { return "this build of Fluxion has no CUDA support (built without CUDA)"; }
void nccl_unique_id(uint8_t*) { no_cuda("ncclGetUniqueId"); }
std::string nccl_open(const uint8_t*, int, int, double) { no_cuda("initDistributed"); }
void nccl_all_reduce(void*, int64_t, DType, ReduceOp, double) { no_cuda("allReduce"); }
void nccl_broadcast(void*, int64_t, DType, int, double) { no_cuda("broadcast"); }
void nccl_close() {}
#endif

}  // namespace dist
}  // namespace flx
