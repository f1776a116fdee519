#!/usr/bin/env node
// Compiles the library: ESM with type declarations (tsc) into dist/esm, and one
// CommonJS bundle (esbuild) into dist/index.cjs for require() users.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
mkdirSync(path.join(root, 'dist'), { recursive: true });
const { buildSync } = await import('esbuild');
buildSync({
  entryPoints: [path.join(root, 'ts', 'index.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: path.join(root, 'dist', 'index.cjs'),
  external: ['node-gyp-build'],
  // import.meta.url has no meaning in CommonJS: give it this file's URL
  define: { 'import.meta.url': '__fluxion_import_meta_url' },
  banner: { js: "const __fluxion_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
writeFileSync(path.join(root, 'dist', 'index.d.cts'), "export * from './esm/index.js';\n");
console.log('built dist/esm (ESM + types) and dist/index.cjs (CommonJS)');
