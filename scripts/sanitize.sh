#!/usr/bin/env bash
# The native addon built with AddressSanitizer and UndefinedBehaviorSanitizer (CPU only, in
# build-sanitize/), then the op cases, the fuzzers and the thread tests run on it. Node is not
# instrumented, so the ASan runtime is preloaded; leaks are not checked (V8 keeps memory to the
# end by design). Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js rebuild --log-level warn -O build-sanitize --CDFLUXION_WITH_CUDA=OFF --CDFLUXION_SANITIZE=ON
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
export FLUXION_NATIVE="$PWD/build-sanitize/Release/fluxion.node"
export LD_PRELOAD="$asan $ubsan"
# allocator_may_return_null: a huge request (the fuzzers ask for 2^50 bytes) is a RangeError in V8, as without ASan
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export FLUXION_SANITIZE_RUN=1  # tests that measure RSS skip themselves
node scripts/ava-ci.mjs test/ops/forward.test.ts test/native.test.ts test/fuzz.test.ts test/threads.test.ts test/workers/workers.test.ts test/gpu/emulated.test.ts test/safety.test.ts
