// CUDA device discovery. The runtime is linked statically, so this file loads on a
// machine without a driver and reports why no device is usable instead of failing.
#include <cuda_runtime.h>

#include <string>

#include "device.h"

namespace flx {

bool cuda_compiled() { return true; }

std::string cuda_info() {
  int runtime = 0, driver = 0, count = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  std::string head = "runtime=" + std::to_string(runtime) + " driver=" + std::to_string(driver) + " ";
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return head + "no CUDA device (" + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ")";
  }
  if (count == 0) return head + "no CUDA device (0 devices)";
  cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return head + "device 0 unreadable";
  return head + "devices=" + std::to_string(count) + " name=" + p.name + " sm_" + std::to_string(p.major) +
         std::to_string(p.minor);
}

}  // namespace flx
