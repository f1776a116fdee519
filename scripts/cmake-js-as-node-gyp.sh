#!/bin/sh
# prebuildify calls "<this> rebuild --target=X --devdir=Y --arch=Z --release" as if it were
# node-gyp. We ignore those arguments and build with cmake-js instead: same sources, CUDA
# when nvcc is found, and OpenBLAS (required here: a release binary never falls back to the
# portable GEMM) linked statically so the binary needs no system library.
set -e
cd "$(dirname "$0")/.."
exec node node_modules/cmake-js/bin/cmake-js rebuild --log-level warn --CDFLUXION_STATIC_OPENBLAS=ON --CDFLUXION_OPENBLAS=ON
