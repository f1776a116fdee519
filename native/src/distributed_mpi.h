// The MPI engine behind distributed.cc: one process-wide MPI world (see distributed.h).
#pragma once
#include <stdexcept>
#include <string>

#include "distributed.h"

namespace flx {
namespace dist {

// A collective that did not complete by its deadline: a JS Error whose message starts with
// "timeout:", so that TypeScript can mark the group broken.
struct Timeout : Error {
  explicit Timeout(const std::string& what);
};

class MpiEngine {
 public:
  virtual ~MpiEngine() = default;
  virtual void init() = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string library() const = 0;
  virtual std::string version() const = 0;
  // In place, on host memory; throws Timeout past the deadline (timeout_s <= 0: none).
  virtual void all_reduce(void* data, int64_t count, DType dt, ReduceOp op, double timeout_s, const char* what) = 0;
  virtual void broadcast(void* data, int64_t bytes, int root, double timeout_s, const char* what) = 0;
  virtual void barrier(double timeout_s, const char* what) = 0;
  virtual void finalize() = 0;
};

// flavour "openmpi" or "mpich"; path what dlopen is given. Opens MPI once per process; later
// calls (another copy of the library) share it.
MpiEngine* mpi_open(const std::string& flavour, const std::string& path);
// The open engine, or an error naming `what`.
MpiEngine* mpi_current(const char* what);
// One user fewer; the last one finalises MPI when `finalize` (not after a timeout, when a
// collective is still pending and MPI_Finalize could wait for it forever).
void mpi_release(bool finalize);

}  // namespace dist
}  // namespace flx
