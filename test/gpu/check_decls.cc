// Compile-time guard for the hand-written cuBLAS declarations of cublas_dyn.h. NOT part of the
// build: the development machines have no cuBLAS headers. Compile it wherever the real
// cublas_v2.h exists (the GPU machine's CUDA toolkit, or pip's nvidia-cublas), from the
// repository root:
//
//   g++ -std=c++17 -fsyntax-only -I/usr/local/cuda/include -Inative/src test/gpu/check_decls.cc && echo "cuBLAS declarations OK"
//
// (or -I/usr/local/cuda-13.0/targets/x86_64-linux/include). It produces nothing; any mismatch is
// a compile error naming the entry point or enum value. Each of our function-pointer types, with
// our types mapped to cuBLAS's, must accept the real function (a function pointer converts to
// no other type), and every enum value we use must equal cuBLAS's.
#include <cublas_v2.h>

#include <type_traits>

#include "cuda/cublas_dyn.h"

namespace {
namespace ours = flx::cublas;

// Our type -> cuBLAS's type, through pointers, const and function pointers; others map to themselves.
template <class T> struct Real { using type = T; };
template <> struct Real<ours::Context> { using type = cublasContext; };
template <> struct Real<ours::Status> { using type = cublasStatus_t; };
template <> struct Real<ours::Operation> { using type = cublasOperation_t; };
template <> struct Real<ours::Math> { using type = cublasMath_t; };
template <> struct Real<ours::ComputeType> { using type = cublasComputeType_t; };
template <> struct Real<ours::GemmAlgo> { using type = cublasGemmAlgo_t; };
template <class T> struct Real<T*> { using type = typename Real<T>::type*; };
template <class T> struct Real<const T> { using type = const typename Real<T>::type; };
template <class R, class... A> struct Real<R (*)(A...)> {
  using type = typename Real<R>::type (*)(typename Real<A>::type...);
};
template <class T> using real_t = typename Real<T>::type;

static_assert(std::is_same_v<real_t<ours::Handle>, cublasHandle_t>, "cublasHandle_t");

// The exported symbol names that cublas_dyn.cu passes to dlsym, one per pointer type.
[[maybe_unused]] real_t<ours::CreateFn> create = &cublasCreate_v2;
[[maybe_unused]] real_t<ours::DestroyFn> destroy = &cublasDestroy_v2;
[[maybe_unused]] real_t<ours::GetVersionFn> get_version = &cublasGetVersion_v2;
[[maybe_unused]] real_t<ours::SetStreamFn> set_stream = &cublasSetStream_v2;
[[maybe_unused]] real_t<ours::SetMathModeFn> set_math_mode = &cublasSetMathMode;
[[maybe_unused]] real_t<ours::SgemmFn> sgemm = &cublasSgemm_v2;
[[maybe_unused]] real_t<ours::DgemmFn> dgemm = &cublasDgemm_v2;
[[maybe_unused]] real_t<ours::SgemmStridedBatchedFn> sgemm_strided_batched = &cublasSgemmStridedBatched;
[[maybe_unused]] real_t<ours::DgemmStridedBatchedFn> dgemm_strided_batched = &cublasDgemmStridedBatched;
[[maybe_unused]] real_t<ours::GemmExFn> gemm_ex = &cublasGemmEx;

// Enum sizes (they travel by value through the C ABI) and values.
static_assert(sizeof(ours::Status) == sizeof(cublasStatus_t), "cublasStatus_t size");
static_assert(sizeof(ours::Operation) == sizeof(cublasOperation_t), "cublasOperation_t size");
static_assert(sizeof(ours::Math) == sizeof(cublasMath_t), "cublasMath_t size");
static_assert(sizeof(ours::ComputeType) == sizeof(cublasComputeType_t), "cublasComputeType_t size");
static_assert(sizeof(ours::GemmAlgo) == sizeof(cublasGemmAlgo_t), "cublasGemmAlgo_t size");

#define FLX_SAME(o, r) static_assert(int(ours::o) == int(r), #o " differs from " #r);
FLX_SAME(STATUS_SUCCESS, CUBLAS_STATUS_SUCCESS)
FLX_SAME(STATUS_NOT_INITIALIZED, CUBLAS_STATUS_NOT_INITIALIZED)
FLX_SAME(STATUS_ALLOC_FAILED, CUBLAS_STATUS_ALLOC_FAILED)
FLX_SAME(STATUS_INVALID_VALUE, CUBLAS_STATUS_INVALID_VALUE)
FLX_SAME(STATUS_ARCH_MISMATCH, CUBLAS_STATUS_ARCH_MISMATCH)
FLX_SAME(STATUS_MAPPING_ERROR, CUBLAS_STATUS_MAPPING_ERROR)
FLX_SAME(STATUS_EXECUTION_FAILED, CUBLAS_STATUS_EXECUTION_FAILED)
FLX_SAME(STATUS_INTERNAL_ERROR, CUBLAS_STATUS_INTERNAL_ERROR)
FLX_SAME(STATUS_NOT_SUPPORTED, CUBLAS_STATUS_NOT_SUPPORTED)
FLX_SAME(STATUS_LICENSE_ERROR, CUBLAS_STATUS_LICENSE_ERROR)
FLX_SAME(OP_N, CUBLAS_OP_N)
FLX_SAME(OP_T, CUBLAS_OP_T)
FLX_SAME(OP_C, CUBLAS_OP_C)
FLX_SAME(DEFAULT_MATH, CUBLAS_DEFAULT_MATH)
FLX_SAME(TENSOR_OP_MATH, CUBLAS_TENSOR_OP_MATH)
FLX_SAME(PEDANTIC_MATH, CUBLAS_PEDANTIC_MATH)
FLX_SAME(TF32_TENSOR_OP_MATH, CUBLAS_TF32_TENSOR_OP_MATH)
FLX_SAME(COMPUTE_16F, CUBLAS_COMPUTE_16F)
FLX_SAME(COMPUTE_32F, CUBLAS_COMPUTE_32F)
FLX_SAME(COMPUTE_32F_PEDANTIC, CUBLAS_COMPUTE_32F_PEDANTIC)
FLX_SAME(COMPUTE_64F, CUBLAS_COMPUTE_64F)
FLX_SAME(COMPUTE_32F_FAST_16F, CUBLAS_COMPUTE_32F_FAST_16F)
FLX_SAME(COMPUTE_32F_FAST_16BF, CUBLAS_COMPUTE_32F_FAST_16BF)
FLX_SAME(COMPUTE_32F_FAST_TF32, CUBLAS_COMPUTE_32F_FAST_TF32)
FLX_SAME(GEMM_DEFAULT, CUBLAS_GEMM_DEFAULT)
#undef FLX_SAME

// The data types cudaMatmul passes to cublasGemmEx (library_types.h, shared by both sides).
static_assert(CUDA_R_32F == 0 && CUDA_R_64F == 1, "cudaDataType_t");

}  // namespace
