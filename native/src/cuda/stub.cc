#include "device.h"

namespace flx {
bool cuda_compiled() { return false; }
std::string cuda_info() { return "built without CUDA"; }
}  // namespace flx
