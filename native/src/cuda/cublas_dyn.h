// cuBLAS without its headers: our own declarations of the few entry points we call, loaded with
// dlopen at first use (libcublas.so.13, else .12). Nothing of cuBLAS is needed at build time;
// without it the own GEMM kernels run.
//
// A wrong hand-written signature would be silent undefined behaviour, so check_decls.cc (not
// part of the build) compiles these types against the real cublas_v2.h: it asserts that every
// function type below, with our types mapped to cuBLAS's, is exactly the real function's type,
// and that every enum value matches. Run it wherever the real header exists.
#pragma once
#include <cuda_runtime_api.h>  // cudaStream_t
#include <library_types.h>     // cudaDataType_t (CUDA_R_32F = 0, CUDA_R_64F = 1)

#include <string>

namespace flx {
namespace cublas {

struct Context;  // cuBLAS's opaque struct cublasContext
using Handle = Context*;

// cublasStatus_t
enum Status {
  STATUS_SUCCESS = 0,
  STATUS_NOT_INITIALIZED = 1,
  STATUS_ALLOC_FAILED = 3,
  STATUS_INVALID_VALUE = 7,
  STATUS_ARCH_MISMATCH = 8,
  STATUS_MAPPING_ERROR = 11,
  STATUS_EXECUTION_FAILED = 13,
  STATUS_INTERNAL_ERROR = 14,
  STATUS_NOT_SUPPORTED = 15,
  STATUS_LICENSE_ERROR = 16
};
// cublasOperation_t
enum Operation { OP_N = 0, OP_T = 1, OP_C = 2 };
// cublasMath_t
enum Math { DEFAULT_MATH = 0, TENSOR_OP_MATH = 1, PEDANTIC_MATH = 2, TF32_TENSOR_OP_MATH = 3 };
// cublasComputeType_t
enum ComputeType {
  COMPUTE_16F = 64,
  COMPUTE_32F = 68,
  COMPUTE_32F_PEDANTIC = 69,
  COMPUTE_64F = 70,
  COMPUTE_32F_FAST_16F = 74,
  COMPUTE_32F_FAST_16BF = 75,
  COMPUTE_32F_FAST_TF32 = 77
};
// cublasGemmAlgo_t
enum GemmAlgo { GEMM_DEFAULT = -1 };

// The exported symbols (cublas_v2.h maps the un-suffixed names to the _v2 ones).
using CreateFn = Status (*)(Handle*);                                   // cublasCreate_v2
using DestroyFn = Status (*)(Handle);                                   // cublasDestroy_v2
using GetVersionFn = Status (*)(Handle, int*);                          // cublasGetVersion_v2
using SetStreamFn = Status (*)(Handle, cudaStream_t);                   // cublasSetStream_v2
using SetMathModeFn = Status (*)(Handle, Math);                         // cublasSetMathMode
using SgemmFn = Status (*)(Handle, Operation, Operation, int, int, int, const float*, const float*, int,
                           const float*, int, const float*, float*, int);  // cublasSgemm_v2
using DgemmFn = Status (*)(Handle, Operation, Operation, int, int, int, const double*, const double*, int,
                           const double*, int, const double*, double*, int);  // cublasDgemm_v2
using SgemmStridedBatchedFn = Status (*)(Handle, Operation, Operation, int, int, int, const float*, const float*, int,
                                         long long, const float*, int, long long, const float*, float*, int, long long,
                                         int);  // cublasSgemmStridedBatched
using DgemmStridedBatchedFn = Status (*)(Handle, Operation, Operation, int, int, int, const double*, const double*,
                                         int, long long, const double*, int, long long, const double*, double*, int,
                                         long long, int);  // cublasDgemmStridedBatched
using GemmExFn = Status (*)(Handle, Operation, Operation, int, int, int, const void*, const void*, cudaDataType_t, int,
                            const void*, cudaDataType_t, int, const void*, void*, cudaDataType_t, int, ComputeType,
                            GemmAlgo);  // cublasGemmEx

struct Api {
  void* lib = nullptr;
  std::string soname;  // e.g. "libcublas.so.13"
  std::string path;    // what dlopen was given
  CreateFn Create = nullptr;
  DestroyFn Destroy = nullptr;
  GetVersionFn GetVersion = nullptr;
  SetStreamFn SetStream = nullptr;
  SetMathModeFn SetMathMode = nullptr;
  SgemmFn Sgemm = nullptr;
  DgemmFn Dgemm = nullptr;
  SgemmStridedBatchedFn SgemmStridedBatched = nullptr;
  DgemmStridedBatchedFn DgemmStridedBatched = nullptr;
  GemmExFn GemmEx = nullptr;
};

// The loaded library, or nullptr when none was found; loads once (thread-safe), at first call.
// Search: $FLUXION_CUBLAS_DIR, the default loader path, /usr/local/cuda/lib64,
// /usr/local/cuda-13.0/lib64, /usr/local/cuda/targets/x86_64-linux/lib, /usr/lib/x86_64-linux-gnu;
// soname 13 in all of them first, then 12. In each directory libcublasLt.so.N is opened first
// (RTLD_GLOBAL) so libcublas.so.N finds it even when the directory is not on the loader path.
const Api* api();
// Why api() is null ("cuBLAS not found: ..."), or the soname that was loaded.
const std::string& load_report();
const char* status_name(Status s);

}  // namespace cublas
}  // namespace flx
