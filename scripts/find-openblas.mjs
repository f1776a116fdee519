#!/usr/bin/env node
// Where the node-gyp build (binding.gyp) finds OpenBLAS, if anywhere. Called by gyp as
//   node scripts/find-openblas.mjs defines|include|libraries
// and prints that part of the build settings, or nothing when OpenBLAS is absent: the build
// then compiles Fluxion's portable GEMM instead (native/src/cpu/gemm_portable.cc), and the
// `defines` call says so on stderr with the command that installs OpenBLAS.
// FLUXION_OPENBLAS=0 builds the portable GEMM even where OpenBLAS is installed;
// FLUXION_OPENBLAS_DIR=<prefix> looks in <prefix>/include and <prefix>/lib first.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const arch = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'powerpc64le', s390x: 's390x' }[process.arch] ?? process.arch;
const triplet = `${arch}-linux-gnu`;

/** [include dir, lib dir] pairs, most specific first. */
function candidates() {
  const out = [];
  const prefix = process.env.FLUXION_OPENBLAS_DIR;
  if (prefix) out.push([path.join(prefix, 'include'), path.join(prefix, 'lib')], [path.join(prefix, 'include', 'openblas'), path.join(prefix, 'lib')]);
  // Debian / Ubuntu libopenblas-dev (pthread, then openmp, then serial builds)
  for (const v of ['openblas-pthread', 'openblas-openmp', 'openblas-serial']) out.push([`/usr/include/${triplet}/${v}`, `/usr/lib/${triplet}/${v}`]);
  // Fedora / RHEL openblas-devel, Arch, Alpine, Homebrew
  out.push(['/usr/include/openblas', '/usr/lib64'], ['/usr/include/openblas', '/usr/lib'], ['/usr/include', '/usr/lib'], ['/usr/local/include', '/usr/local/lib']);
  out.push(['/opt/homebrew/opt/openblas/include', '/opt/homebrew/opt/openblas/lib'], ['/usr/local/opt/openblas/include', '/usr/local/opt/openblas/lib']);
  return out;
}

/** The first pair holding OpenBLAS's own cblas.h (it declares openblas_get_config) and the library. */
function find() {
  if (process.env.FLUXION_OPENBLAS === '0' || process.env.FLUXION_OPENBLAS === 'OFF') return null;
  for (const [inc, lib] of candidates()) {
    const header = path.join(inc, 'cblas.h');
    if (!existsSync(header)) continue;
    let text = '';
    try {
      text = readFileSync(header, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes('openblas_get_config')) continue; // another BLAS's cblas.h
    if (['libopenblas.so', 'libopenblas.dylib', 'libopenblas.a'].some((f) => existsSync(path.join(lib, f)))) return { inc, lib };
  }
  return null;
}

const what = process.argv[2];
const found = find();
if (what === 'defines') {
  if (found) process.stderr.write(`fluxion: CPU GEMM through OpenBLAS (${found.inc}, ${found.lib})\n`);
  else
    process.stderr.write(
      'fluxion: OpenBLAS not found: building Fluxion\'s portable GEMM (usually slower than OpenBLAS on large matrices).\n' +
        'fluxion: for OpenBLAS, install it (Debian/Ubuntu: sudo apt-get install -y libopenblas-dev; Fedora: sudo dnf install openblas-devel; macOS: brew install openblas) and run: npm rebuild\n',
    );
  if (found) console.log('FLUXION_WITH_OPENBLAS');
} else if (what === 'include') {
  if (found) console.log(found.inc);
} else if (what === 'libraries') {
  if (found) console.log([`-L${found.lib}`, '-lopenblas', `-Wl,-rpath,${found.lib}`].join(' '));
} else {
  console.error('usage: node scripts/find-openblas.mjs defines|include|libraries');
  process.exit(2);
}
