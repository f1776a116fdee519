// The kernels every device implements, declared from the one op list (ops.def): each
// K(name, CPU_CUDA) line declares name_cpu and name_cuda, each K(name, CPU) line name_cpu.
#pragma once
#include "common.h"

namespace flx {

#define FLX_DECLARE_CPU(name) void name##_cpu(Call& c);
#define FLX_DECLARE_CPU_CUDA(name) void name##_cpu(Call& c); void name##_cuda(Call& c);
#define K(name, devices) FLX_DECLARE_##devices(name)
FLUXION_KERNELS(K)
#undef K
#undef FLX_DECLARE_CPU
#undef FLX_DECLARE_CPU_CUDA

}  // namespace flx
