// The library bundled into one ESM and one CommonJS file (esbuild, from ts/), for tests that
// load Fluxion where tsx cannot reach: worker threads, and two copies in one process. The
// native addon is the one this checkout built (FLUXION_NATIVE is set for the children).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { nativePath } from '../../ts/native.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Bundles {
  esm: string;
  cjs: string;
  env: NodeJS.ProcessEnv;
}

let cached: Bundles | null = null;

export function bundles(): Bundles {
  if (cached !== null) return cached;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxion-bundle-'));
  const common = { entryPoints: [path.join(root, 'ts/index.ts')], bundle: true, platform: 'node' as const, target: 'node20', logLevel: 'warning' as const };
  const esm = path.join(dir, 'fluxion.mjs');
  const cjs = path.join(dir, 'fluxion.cjs');
  buildSync({ ...common, format: 'esm', outfile: esm, banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  buildSync({ ...common, format: 'cjs', outfile: cjs, define: { 'import.meta.url': '__importMetaUrl' }, banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" } });
  cached = { esm, cjs, env: { ...process.env, FLUXION_NATIVE: nativePath } };
  return cached;
}
