// Hot loops compiled for several x86-64 levels and picked once, when the addon loads, for the
// CPU it runs on (GCC/Clang function multiversioning through an ifunc). The rest of the
// binary targets baseline x86-64 so that one prebuilt file runs everywhere; loops marked
// FLX_MULTIVERSION also get AVX2 and AVX-512 versions, where the widening float→double adds
// of the sums run 2.5x faster. No version contracts a*b+c into an FMA (none of these
// targets enables FMA, and the build passes -ffp-contract=off), so every version computes
// the same bits.
#pragma once
#include <cstddef>  // defines __GLIBC__ on glibc: target_clones needs its ifunc support (musl has none)

#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__) && !defined(FLUXION_NO_MULTIVERSION)
#define FLX_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FLX_MULTIVERSION
#endif
