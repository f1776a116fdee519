#!/usr/bin/env node
// Runs ava with the TAP reporter, streams its output, then prints the closing line
// "N passed, N failed, N skipped" (todo counted as skipped) and exits with ava's code.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const child = spawn(process.execPath, [cli, '--tap', ...process.argv.slice(2)], {
  cwd: root,
  env: { ...process.env, FORCE_COLOR: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let passed = 0;
let failed = 0;
let skipped = 0;
let buf = '';
const count = (line) => {
  const m = /^(not ok|ok)\b.*?(?:#\s*(SKIP|TODO)\b.*)?$/i.exec(line);
  if (!m) return;
  if (m[2]) skipped++;
  else if (m[1] === 'ok') passed++;
  else failed++;
};
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  buf += d;
  const lines = buf.split('\n');
  buf = lines.pop();
  lines.forEach(count);
});
child.on('close', (code) => {
  count(buf);
  const rc = code ?? 1;
  if (rc !== 0 && failed === 0) failed = 1; // a crash or timeout is never green
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(rc);
});
