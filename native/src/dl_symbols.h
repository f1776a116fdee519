// The symbols of a library opened with dlopen (MPI, NCCL: loaded at run time, so the build
// needs neither), each resolved by name, with the names the library lacks collected for one
// error message that lists them all.
#pragma once
#include <dlfcn.h>

#include <string>

namespace flx {

class DlSymbols {
 public:
  explicit DlSymbols(void* lib) : lib_(lib) {}
  // A function: `out` gets the symbol as its own pointer type (nullptr when missing).
  template <class F>
  void fn(F& out, const char* name) {
    out = reinterpret_cast<F>(get(name));
  }
  // An object (a predefined handle, e.g. Open MPI's ompi_mpi_comm_world).
  void obj(void*& out, const char* name) { out = get(name); }
  // The missing names, comma-separated; empty when every symbol was found.
  const std::string& missing() const { return missing_; }

 private:
  void* get(const char* name) {
    void* p = dlsym(lib_, name);
    if (p == nullptr) missing_ += std::string(missing_.empty() ? "" : ", ") + name;
    return p;
  }
  void* lib_;
  std::string missing_;
};

}  // namespace flx
