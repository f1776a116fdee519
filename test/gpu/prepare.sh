#!/usr/bin/env bash
# Prepares the GPU check for the H100 test machine (which has no Node.js and no registry):
#   .device/node.xz         this machine's node binary (../shared/gpu/pack-node.sh)
#   .device/gpu-check.mjs   test/gpu/hardware-check.ts and the library bundled into one file
#   .device/torch_gpu.py    the PyTorch side of the same timings
#   .device/mnist.bin       10,000 MNIST digits (label byte + 784 pixel bytes each)
# Build the addon with CUDA first (npm run build:native). Then run there, e.g.:
#   xz -dc .device/node.xz > /tmp/node && chmod +x /tmp/node && \
#   FLUXION_EXPERIMENTAL_CUDA=1 FLUXION_NATIVE=$PWD/build/Release/fluxion.node /tmp/node .device/gpu-check.mjs $OUT/gpu-check.json
# carrying [".device", "build"].
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mkdir -p .device
if [ -f ../shared/gpu/pack-node.sh ]; then bash ../shared/gpu/pack-node.sh; fi
node -e "
require('esbuild').buildSync({
  entryPoints: ['test/gpu/hardware-check.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  outfile: '.device/gpu-check.mjs', logLevel: 'warning',
  banner: { js: \"import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);\" },
});"
cp test/gpu/torch_gpu.py .device/torch_gpu.py
node --import=tsx -e "
import('./examples/mnist-data.ts').then(({ loadMnist }) => {
  const { train } = loadMnist({ train: 10000, test: 0 });
  const x = train.x.data(), y = train.y.data();
  const out = Buffer.alloc(y.length * 785);
  for (let i = 0; i < y.length; i++) {
    out[i * 785] = y[i];
    for (let p = 0; p < 784; p++) out[i * 785 + 1 + p] = Math.round(x[i * 784 + p] * 255);
  }
  require('node:fs').writeFileSync('.device/mnist.bin', out);
});"
ls -la .device
