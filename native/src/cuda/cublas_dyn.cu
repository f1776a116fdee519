// Loads cuBLAS at run time (see cublas_dyn.h). Host code only.
#include <dlfcn.h>

#include <cstdlib>
#include <vector>

#include "../dl_symbols.h"
#include "cublas_dyn.h"

namespace flx {
namespace cublas {
namespace {

struct Loaded {
  Api api;
  bool ok = false;
  std::string report;
};

std::string dl_error() {
  const char* e = dlerror();
  return e ? std::string(e) : std::string("unknown dlopen error");
}

// Opens libcublasLt.so.N then libcublas.so.N from `dir` ("" = the default loader path) and
// resolves every entry point. On failure closes what it opened and says why.
bool try_load(const std::string& dir, int major, Api& api, std::string& why) {
  const std::string prefix = dir.empty() ? std::string() : dir + "/";
  const std::string lt = prefix + "libcublasLt.so." + std::to_string(major);
  const std::string main = prefix + "libcublas.so." + std::to_string(major);
  // Lt first and global, so libcublas's NEEDED libcublasLt.so.N matches an already loaded soname.
  void* lt_lib = dlopen(lt.c_str(), RTLD_NOW | RTLD_GLOBAL);
  void* lib = dlopen(main.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    why = dl_error();
    if (lt_lib) dlclose(lt_lib);
    return false;
  }
  // Lt stays loaded for the life of the process (libcublas needs it); nothing to keep here.
  (void)lt_lib;
  Api a;
  a.lib = lib;
  a.soname = "libcublas.so." + std::to_string(major);
  a.path = main;
  DlSymbols sym(lib);
  sym.fn(a.Create, "cublasCreate_v2");
  sym.fn(a.Destroy, "cublasDestroy_v2");
  sym.fn(a.GetVersion, "cublasGetVersion_v2");
  sym.fn(a.SetStream, "cublasSetStream_v2");
  sym.fn(a.SetMathMode, "cublasSetMathMode");
  sym.fn(a.Sgemm, "cublasSgemm_v2");
  sym.fn(a.Dgemm, "cublasDgemm_v2");
  sym.fn(a.SgemmStridedBatched, "cublasSgemmStridedBatched");
  sym.fn(a.DgemmStridedBatched, "cublasDgemmStridedBatched");
  sym.fn(a.GemmEx, "cublasGemmEx");
  if (!sym.missing().empty()) {
    why = main + " lacks " + sym.missing();
    dlclose(lib);
    if (lt_lib) dlclose(lt_lib);
    return false;
  }
  api = a;
  return true;
}

Loaded* load() {
  auto* l = new Loaded();  // never freed: the library stays loaded for the life of the process
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FLUXION_CUBLAS_DIR"); env && *env) dirs.push_back(env);
  dirs.push_back("");
  for (const char* d : {"/usr/local/cuda/lib64", "/usr/local/cuda-13.0/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
                        "/usr/lib/x86_64-linux-gnu"})
    dirs.push_back(d);
  std::string first_error;
  for (int major : {13, 12}) {
    for (const std::string& dir : dirs) {
      std::string why;
      if (try_load(dir, major, l->api, why)) {
        l->ok = true;
        l->report = l->api.soname;
        return l;
      }
      if (first_error.empty()) first_error = why;
    }
  }
  l->report = "cuBLAS not found: " + first_error + " (also tried libcublas.so.12 and " + std::to_string(dirs.size() - 1) +
              " directories; set FLUXION_CUBLAS_DIR to the folder holding libcublas.so.13)";
  return l;
}

Loaded& loaded() {
  static Loaded* l = load();
  return *l;
}

}  // namespace

const Api* api() { return loaded().ok ? &loaded().api : nullptr; }

const std::string& load_report() { return loaded().report; }

const char* status_name(Status s) {
  switch (s) {
    case STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

}  // namespace cublas
}  // namespace flx
