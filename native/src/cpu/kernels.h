// Registration entry points of the CPU kernel families (one per file) and op counts.
#pragma once
#include <napi.h>

#include "../ops.def"

namespace flx {

#define FLX_COUNT(name) +1
constexpr int kNumBinary = 0 FLUXION_BINARY_OPS(FLX_COUNT);
constexpr int kNumUnary = 0 FLUXION_UNARY_OPS(FLX_COUNT);
constexpr int kNumUnaryGrad = 0 FLUXION_UNARY_GRAD_OPS(FLX_COUNT);
constexpr int kNumReduce = 0 FLUXION_REDUCE_OPS(FLX_COUNT);
#undef FLX_COUNT

void register_binary(Napi::Env env, Napi::Object exports);
void register_unary(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_movement(Napi::Env env, Napi::Object exports);
void register_random(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);
void register_fused(Napi::Env env, Napi::Object exports);

}  // namespace flx
