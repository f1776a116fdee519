// What the CUDA side reports to the rest of the addon. Built from device.cu when nvcc
// is available, from stub.cc otherwise: same symbols, so the feature check lives here.
#pragma once
#include <string>

namespace flx {
bool cuda_compiled();
// One line: runtime/driver versions and the device found, or why none is usable. Never throws.
std::string cuda_info();
}  // namespace flx
