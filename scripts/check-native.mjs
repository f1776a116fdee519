#!/usr/bin/env node
// Checks the native addon is built and loads: counts its kernels and reports BLAS and CUDA
// (test/native.test.ts compares the kernel list with the TypeScript op registry).
import path from 'node:path';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = process.env.FLUXION_NATIVE ?? path.join(root, 'build', 'Release', 'fluxion.node');
if (!existsSync(file)) {
  console.error(`native addon not built (${file}); run npm run build:native`);
  process.exit(1);
}
const addon = createRequire(import.meta.url)(file);
const k = addon.kernels();
const names = Object.keys(k.kernels);
const onCuda = names.filter((n) => k.kernels[n].cuda).length;
console.log(`native: ${names.length} kernels (${onCuda} on CUDA); ${addon.blasInfo()}; cuda: ${addon.cudaInfo()}`);
