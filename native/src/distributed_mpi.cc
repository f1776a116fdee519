// MPI without mpi.h (see distributed.h): Open MPI's handles are the addresses of its exported
// predefined objects (ompi_mpi_comm_world, ompi_mpi_float, ...), MPICH's are integer constants
// fixed by its ABI. One template over the handle type serves both, so every function pointer
// has the exact parameter types of the library it calls.
#include <dlfcn.h>
#include <sched.h>

#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <functional>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "distributed_mpi.h"
#include "dl_symbols.h"

namespace flx {
namespace dist {
namespace {

// MPI_THREAD_SERIALIZED: any thread may call MPI, one at a time (the same value in both
// libraries). Collectives then run blocking on a helper thread while the calling thread waits
// with a deadline: the blocking algorithms are the libraries' fastest (Open MPI's non-blocking
// ones, libnbc, are 20-30% slower on large arrays). A library that offers less gets the
// non-blocking calls polled from the calling thread instead.
constexpr int kThreadSerialized = 2;

template <class H>  // void* for Open MPI, int for MPICH
struct Fns {
  int (*Init_thread)(int*, char***, int, int*) = nullptr;
  int (*Initialized)(int*) = nullptr;
  int (*Finalized)(int*) = nullptr;
  int (*Finalize)() = nullptr;
  int (*Comm_rank)(H, int*) = nullptr;
  int (*Comm_size)(H, int*) = nullptr;
  int (*Comm_set_errhandler)(H, H) = nullptr;
  int (*Error_string)(int, char*, int*) = nullptr;
  int (*Get_library_version)(char*, int*) = nullptr;
  int (*Iallreduce)(const void*, void*, int, H, H, H, H*) = nullptr;
  int (*Ibcast)(void*, int, H, int, H, H*) = nullptr;
  int (*Ibarrier)(H, H*) = nullptr;
  int (*Test)(H*, int*, void*) = nullptr;
  int (*Query_thread)(int*) = nullptr;
  int (*Allreduce)(const void*, void*, int, H, H, H) = nullptr;
  int (*Bcast)(void*, int, H, int, H) = nullptr;
  int (*Barrier)(H) = nullptr;
};

// One helper thread that runs a blocking collective while the caller waits with a deadline.
// A collective that misses its deadline keeps the thread (it cannot be interrupted); the
// engine then refuses every later call.
class Helper {
 public:
  Helper() : thread_([this] { loop(); }) { thread_.detach(); }  // lives as long as the process
  // Runs job() on the helper; returns its MPI code, or throws Timeout past the deadline.
  int run(std::function<int()> job, double timeout_s, const char* what) {
    std::unique_lock<std::mutex> lock(mu_);
    if (stuck_) throw Timeout(std::string(what) + ": an earlier collective never completed");
    job_ = std::move(job);
    done_ = false;
    has_job_ = true;
    wake_.notify_one();
    const bool bounded = timeout_s > 0 && timeout_s < 1e9;
    if (!bounded) finished_.wait(lock, [this] { return done_; });
    else if (!finished_.wait_for(lock, std::chrono::duration<double>(timeout_s), [this] { return done_; })) {
      stuck_ = true;
      throw Timeout(std::string(what) + ": timed out");
    }
    return result_;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return has_job_; });
      has_job_ = false;
      std::function<int()> job = std::move(job_);
      lock.unlock();
      const int r = job();
      lock.lock();
      result_ = r;
      done_ = true;
      finished_.notify_one();
    }
  }
  std::mutex mu_;
  std::condition_variable wake_, finished_;
  std::function<int()> job_;
  bool has_job_ = false, done_ = false, stuck_ = false;
  int result_ = 0;
  std::thread thread_;
};

// The predefined handles an engine uses.
template <class H>
struct Handles {
  H comm_world, errors_return, t_float, t_double, t_int, t_byte, op_sum, op_max, op_min;
  void* status_ignore;
};

std::string dl_error() {
  const char* e = dlerror();
  return e ? std::string(e) : std::string("unknown dlopen error");
}

template <class H>
class Engine final : public MpiEngine {
 public:
  Engine(void* lib, std::string flavour, std::string path, Fns<H> f, Handles<H> h)
      : lib_(lib), flavour_(std::move(flavour)), path_(std::move(path)), f_(f), h_(h) {}

  void init() override {
    int already = 0;
    f_.Initialized(&already);
    int provided = 0;
    if (!already) check("MPI_Init_thread", f_.Init_thread(nullptr, nullptr, kThreadSerialized, &provided));
    else f_.Query_thread(&provided);
    if (provided >= kThreadSerialized) helper_ = new Helper();  // never freed: its thread may be stuck in MPI
    // Errors come back as codes (turned into exceptions here), never an abort of the process.
    check("MPI_Comm_set_errhandler", f_.Comm_set_errhandler(h_.comm_world, h_.errors_return));
    check("MPI_Comm_rank", f_.Comm_rank(h_.comm_world, &rank_));
    check("MPI_Comm_size", f_.Comm_size(h_.comm_world, &size_));
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string library() const override { return flavour_ + " (" + path_ + ")"; }
  std::string version() const override {
    std::vector<char> buf(8192, 0);  // at least MPI_MAX_LIBRARY_VERSION_STRING of both libraries
    int len = 0;
    if (f_.Get_library_version(buf.data(), &len) != 0) return "unknown";
    std::string v(buf.data(), std::strlen(buf.data()));
    const size_t nl = v.find('\n');
    return nl == std::string::npos ? v : v.substr(0, nl);
  }

  void all_reduce(void* data, int64_t count, DType dt, ReduceOp op, double timeout_s, const char* what) override {
    // MPI counts are ints: larger arrays go in pieces.
    const int64_t piece = int64_t(1) << 30;
    char* p = static_cast<char*>(data);
    for (int64_t done = 0; done < count || (count == 0 && done == 0); done += piece) {
      const int64_t n = count - done < piece ? count - done : piece;
      void* at = p + done * int64_t(dtype_size(dt));
      if (helper_) {
        const H t = type(dt), o = reduce_op(op), c = h_.comm_world;
        const void* inplace = in_place();
        auto fn = f_.Allreduce;
        check(what, helper_->run([=] { return fn(inplace, at, int(n), t, o, c); }, timeout_s, what));
      } else {
        H req{};
        check(what, f_.Iallreduce(in_place(), at, int(n), type(dt), reduce_op(op), h_.comm_world, &req));
        wait(req, timeout_s, what);
      }
      if (count == 0) break;
    }
  }
  void broadcast(void* data, int64_t bytes, int root, double timeout_s, const char* what) override {
    const int64_t piece = int64_t(1) << 30;
    char* p = static_cast<char*>(data);
    for (int64_t done = 0; done < bytes || (bytes == 0 && done == 0); done += piece) {
      const int64_t n = bytes - done < piece ? bytes - done : piece;
      char* at = p + done;
      if (helper_) {
        const H t = h_.t_byte, c = h_.comm_world;
        auto fn = f_.Bcast;
        check(what, helper_->run([=] { return fn(at, int(n), t, root, c); }, timeout_s, what));
      } else {
        H req{};
        check(what, f_.Ibcast(at, int(n), h_.t_byte, root, h_.comm_world, &req));
        wait(req, timeout_s, what);
      }
      if (bytes == 0) break;
    }
  }
  void barrier(double timeout_s, const char* what) override {
    if (helper_) {
      const H c = h_.comm_world;
      auto fn = f_.Barrier;
      check(what, helper_->run([=] { return fn(c); }, timeout_s, what));
      return;
    }
    H req{};
    check(what, f_.Ibarrier(h_.comm_world, &req));
    wait(req, timeout_s, what);
  }
  void finalize() override {
    int done = 0;
    f_.Finalized(&done);
    if (!done) check("MPI_Finalize", f_.Finalize());
  }

 private:
  // MPI_IN_PLACE: Open MPI's is (void*)1, MPICH's (void*)-1.
  const void* in_place() const { return std::is_pointer<H>::value ? reinterpret_cast<void*>(1) : reinterpret_cast<void*>(-1); }
  H type(DType dt) const {
    switch (dt) {
      case DType::f32: return h_.t_float;
      case DType::f64: return h_.t_double;
      case DType::i32: return h_.t_int;
    }
    return h_.t_float;
  }
  H reduce_op(ReduceOp op) const {
    switch (op) {
      case ReduceOp::sum: return h_.op_sum;
      case ReduceOp::max: return h_.op_max;
      case ReduceOp::min: return h_.op_min;
    }
    return h_.op_sum;
  }
  void check(const char* what, int code) const {
    if (code == 0) return;
    std::vector<char> buf(8192, 0);
    int len = 0;
    std::string text = f_.Error_string(code, buf.data(), &len) == 0 && len > 0 ? std::string(buf.data(), size_t(len))
                                                                               : "error " + std::to_string(code);
    fail(ErrorKind::error, std::string("fluxion native: ") + what + ": " + text);
  }
  // Polls the request until it completes or the deadline passes. Spins first (a collective
  // between ranks in step is over in microseconds), then yields the core to the other ranks.
  void wait(H& req, double timeout_s, const char* what) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const bool bounded = timeout_s > 0 && timeout_s < 1e9;
    const auto deadline = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(bounded ? timeout_s : 0));
    for (uint64_t spins = 0;; ++spins) {
      int flag = 0;
      check(what, f_.Test(&req, &flag, h_.status_ignore));
      if (flag) return;
      if ((spins & 255) == 0) {
        const auto now = clock::now();
        if (bounded && now >= deadline) throw Timeout(std::string(what) + ": timed out");
        if (now - start > std::chrono::milliseconds(2)) sched_yield();
      }
    }
  }

  void* lib_;
  std::string flavour_, path_;
  Fns<H> f_;
  Handles<H> h_;
  int rank_ = 0, size_ = 1;
  Helper* helper_ = nullptr;
};

// The MPI functions both flavours share, by their standard names.
template <class H>
void resolve(DlSymbols& s, Fns<H>& f) {
  s.fn(f.Init_thread, "MPI_Init_thread");
  s.fn(f.Initialized, "MPI_Initialized");
  s.fn(f.Finalized, "MPI_Finalized");
  s.fn(f.Finalize, "MPI_Finalize");
  s.fn(f.Comm_rank, "MPI_Comm_rank");
  s.fn(f.Comm_size, "MPI_Comm_size");
  s.fn(f.Comm_set_errhandler, "MPI_Comm_set_errhandler");
  s.fn(f.Error_string, "MPI_Error_string");
  s.fn(f.Get_library_version, "MPI_Get_library_version");
  s.fn(f.Iallreduce, "MPI_Iallreduce");
  s.fn(f.Ibcast, "MPI_Ibcast");
  s.fn(f.Ibarrier, "MPI_Ibarrier");
  s.fn(f.Test, "MPI_Test");
  s.fn(f.Query_thread, "MPI_Query_thread");
  s.fn(f.Allreduce, "MPI_Allreduce");
  s.fn(f.Bcast, "MPI_Bcast");
  s.fn(f.Barrier, "MPI_Barrier");
}

std::unique_ptr<MpiEngine> open_openmpi(void* lib, const std::string& path, std::string& why) {
  DlSymbols s(lib);
  Fns<void*> f;
  resolve(s, f);
  Handles<void*> h{};
  s.obj(h.comm_world, "ompi_mpi_comm_world");
  s.obj(h.errors_return, "ompi_mpi_errors_return");
  s.obj(h.t_float, "ompi_mpi_float");
  s.obj(h.t_double, "ompi_mpi_double");
  s.obj(h.t_int, "ompi_mpi_int");
  s.obj(h.t_byte, "ompi_mpi_byte");
  s.obj(h.op_sum, "ompi_mpi_op_sum");
  s.obj(h.op_max, "ompi_mpi_op_max");
  s.obj(h.op_min, "ompi_mpi_op_min");
  h.status_ignore = nullptr;  // MPI_STATUS_IGNORE
  if (!s.missing().empty()) {
    why = path + " is not Open MPI's library: it lacks " + s.missing();
    return nullptr;
  }
  return std::make_unique<Engine<void*>>(lib, "Open MPI", path, f, h);
}

std::unique_ptr<MpiEngine> open_mpich(void* lib, const std::string& path, std::string& why) {
  DlSymbols s(lib);
  Fns<int> f;
  resolve(s, f);
  if (!s.missing().empty()) {
    why = path + " lacks " + s.missing();
    return nullptr;
  }
  // mpi.h of MPICH (its ABI since 3.x): handles are these integers.
  Handles<int> h{};
  h.comm_world = 0x44000000;
  h.errors_return = 0x54000001;
  h.t_float = 0x4c00040a;
  h.t_double = 0x4c00080b;
  h.t_int = 0x4c000405;
  h.t_byte = 0x4c00010d;
  h.op_max = 0x58000001;
  h.op_min = 0x58000002;
  h.op_sum = 0x58000003;
  h.status_ignore = reinterpret_cast<void*>(1);  // MPI_STATUS_IGNORE
  return std::make_unique<Engine<int>>(lib, "MPICH", path, f, h);
}

struct World {
  std::mutex mu;
  std::unique_ptr<MpiEngine> engine;
  int users = 0;
  bool finalized = false;
  std::thread::id owner;
};
World& world() {
  static World* w = new World();  // never freed: MPI lives as long as the process
  return *w;
}

}  // namespace

Timeout::Timeout(const std::string& what) : Error(ErrorKind::error, "timeout: " + what) {}

MpiEngine* mpi_open(const std::string& flavour, const std::string& path) {
  World& w = world();
  std::lock_guard<std::mutex> lock(w.mu);
  if (w.engine) {
    FLX_CHECK(w.owner != std::this_thread::get_id(), error,
              "initDistributed: MPI is already open on another thread of this process (MPI allows one)");
    ++w.users;
    return w.engine.get();
  }
  FLX_CHECK(w.finalized, error,
            "initDistributed: MPI was closed in this process and cannot be opened again (an MPI rule): start a new process");
  const bool mpich = flavour == "mpich";
  FLX_CHECK(!mpich && flavour != "openmpi", type, "initDistributed: unknown MPI library " + flavour);
  // UCX (the transport under Debian's MPICH, and Open MPI's on fast networks) patches the
  // process's memory functions (malloc, mmap, brk) during MPI_Init to track freed memory. Node
  // already has threads that allocate (V8's markers and compiler, libuv's pool) while that
  // happens: MPICH jobs crashed in MPI_Init or just after it, with a corrupted heap, about once
  // in 20 starts (none in 40 without the hooks). Without them UCX registers memory for each
  // transfer instead of caching it, which only costs on RDMA networks. A user's setting wins.
  setenv("UCX_MEM_EVENTS", "no", 0);
  // RTLD_GLOBAL: Open MPI's components (plugins it loads itself) resolve their symbols in libmpi.
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  FLX_CHECK(lib == nullptr, error,
            "initDistributed: could not load " + path + " (" + dl_error() + "); install " +
                (mpich ? "MPICH (Debian: apt-get install mpich)" : "Open MPI (Debian: apt-get install openmpi-bin)") +
                " or set FLUXION_MPI_LIBRARY to the library's path");
  std::string why;
  std::unique_ptr<MpiEngine> e = mpich ? open_mpich(lib, path, why) : open_openmpi(lib, path, why);
  FLX_CHECK(!e, error, "initDistributed: " + why);
  e->init();
  w.engine = std::move(e);
  w.users = 1;
  w.owner = std::this_thread::get_id();
  return w.engine.get();
}

MpiEngine* mpi_current(const char* what) {
  World& w = world();
  std::lock_guard<std::mutex> lock(w.mu);
  FLX_CHECK(!w.engine, error, std::string(what) + ": MPI is not open (call initDistributed first)");
  FLX_CHECK(w.owner != std::this_thread::get_id(), error,
            std::string(what) + ": MPI was opened on another thread; only that thread may call it");
  return w.engine.get();
}

void mpi_release(bool finalize) {
  World& w = world();
  std::lock_guard<std::mutex> lock(w.mu);
  if (!w.engine || --w.users > 0) return;
  std::unique_ptr<MpiEngine> e = std::move(w.engine);
  w.finalized = true;
  if (finalize) e->finalize();
}

}  // namespace dist
}  // namespace flx
