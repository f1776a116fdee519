// What the CUDA side reports to the rest of the addon. Built from device.cu (and the other
// .cu files) when nvcc is available, from stub.cc otherwise: same symbols and the same JS
// entry points, so the feature check lives here and TypeScript sees one binding shape.
#pragma once
#include <napi.h>

#include <string>

// Every JS entry point of the CUDA half, in both builds. Without CUDA (stub.cc) the reporting
// ones answer "none" and the others throw "built without CUDA".
#define FLUXION_CUDA_ENTRIES(X)                                                                      \
  X(cudaDeviceCount) X(cudaAlloc) X(cudaFree) X(cudaMemory) X(cudaEmptyCache) X(cudaUpload)          \
  X(cudaDownload) X(cudaSync) X(cudaBinary) X(cudaWhere) X(cudaUnary) X(cudaUnaryGrad) X(cudaReduce) \
  X(cudaArgmax) X(cudaSoftmax) X(cudaMatmul) X(cudaCopy) X(cudaGather) X(cudaScatterAdd)             \
  X(cudaRandom) X(cudaSgdStep) X(cudaAdamStep) X(cudaGemmBackend) X(cudaSetTf32) X(cudaGemmInfo)

namespace flx {
bool cuda_compiled();
// One line: runtime/driver versions and the device found, or why none is usable. Never throws.
std::string cuda_info();
// Adds the cuda* entry points to the exports.
void register_cuda(Napi::Env env, Napi::Object exports);
// The CUDA kernels compiled into this build, by family (same families and names as the CPU
// list in kernels()); every family is empty in a build without CUDA.
Napi::Object cuda_kernels(Napi::Env env);
}  // namespace flx
