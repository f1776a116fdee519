#!/usr/bin/env bash
# Packaging test: build the prebuilt binary, pack the package, install the tarball into an
# empty folder where no compiler, no cmake and no OpenBLAS library can be found, and train a
# small model there from ESM and from CommonJS.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

npm run prebuilds >/dev/null
node=$(ls prebuilds/linux-x64/*.node)
echo "prebuild: $node ($(stat -c %s "$node") bytes)"
# The binary may need only the C/C++ runtime: no BLAS, no CUDA library.
needed=$(readelf -d "$node" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
echo "prebuild needs: $needed"
for lib in $needed; do
  case "$lib" in
    libc.so.*|libstdc++.so.*|libgcc_s.so.*|libm.so.*|ld-linux-x86-64.so.*|libpthread.so.*|libdl.so.*|librt.so.*) ;;
    *) echo "FAIL: the prebuild needs $lib"; exit 1 ;;
  esac
done

# The local build must not be what the installed package finds: it is not in the tarball.
tgz=$(npm pack --silent | tail -n 1)
echo "tarball: $tgz ($(stat -c %s "$tgz") bytes)"
work=$(mktemp -d)
mv "$tgz" "$work/"
cd "$work"
npm init -y >/dev/null

# A PATH with node and npm only: no cc, c++, g++, make, cmake, python.
mkdir -p bin
for t in node npm npx sh; do ln -s "$(command -v $t)" "bin/$t"; done
cat > train.mjs <<'JS'
import { Chain, Dense, relu, mse, Adam, setup, train, DataLoader, randn, seed, backends } from 'fluxion';
seed(1);
const X = randn(256, 4);
const Y = X.sum(1, true).mul(0.5);
const model = Chain(Dense(4, 16, relu), Dense(16, 1));
const opt = setup(new Adam(0.01), model);
const hist = train((m, x, y) => mse(m(x), y), model, new DataLoader([X, Y], { batchSize: 32, shuffle: true }), opt, { epochs: 30, progress: false });
console.log(`ESM: loss ${hist[0].loss.toFixed(4)} -> ${hist.at(-1).loss.toFixed(4)}; addon ${backends().addon}`);
if (!(hist.at(-1).loss < 0.1 * hist[0].loss)) process.exit(1);
JS
cat > train.cjs <<'JS'
const { tensor, gradient } = require('fluxion');
const g = gradient((x) => x.pow(3).sum(), tensor([1, 2]))[0];
console.log(`CommonJS: d/dx x^3 at [1, 2] = [${Array.from(g.data())}]`);
JS

run_isolated() {
  # Hide the OpenBLAS libraries too, when this machine lets us make a private mount namespace.
  if unshare -m true 2>/dev/null; then
    unshare -m sh -c "for d in /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu/blas /usr/lib/x86_64-linux-gnu/lapack; do [ -d \$d ] && mount -t tmpfs none \$d; done; PATH=$work/bin $*"
  else
    env PATH="$work/bin" "$@"
  fi
}
run_isolated npm install --no-audit --no-fund --foreground-scripts "./$(basename "$tgz")" >install.log 2>&1 || { cat install.log; exit 1; }
if [ -d node_modules/fluxion/build ]; then echo "FAIL: the install compiled the addon"; exit 1; fi
run_isolated node train.mjs
run_isolated node train.cjs
echo "packaging test passed"
