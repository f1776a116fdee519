// `npm test` refuses import cycles in ts/ (scripts/check-cycles.mjs): there is none, and the
// checker really finds one, type-only imports included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = path.join(root, 'scripts', 'check-cycles.mjs');

test('ts/ has no import cycle', (t) => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
});

test('a cycle through a type-only import fails the check, naming both modules', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxion-cycles-'));
  try {
    writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }\n");
    // a comment mentioning ts/*.ts must not hide the import below it
    writeFileSync(path.join(dir, 'b.ts'), "// see ts/*.ts\nimport { a } from './c.js';\nexport type B = number;\nexport const x = a;\n");
    writeFileSync(path.join(dir, 'c.ts'), "import type { A } from './a.js';\nexport const a: A | null = null;\n");
    writeFileSync(path.join(dir, 'd.ts'), "import { x } from './b.js';\nexport const y = x;\n");
    const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    t.is(r.status, 1);
    t.regex(r.stderr, /a\.ts ↔ .*b\.ts ↔ .*c\.ts/);
    t.notRegex(r.stderr, /d\.ts ↔/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
