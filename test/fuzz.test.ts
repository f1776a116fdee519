// Fuzzing the public API with bad inputs (see test/fuzz/fuzz-body.ts). The body runs in a
// child process: a native crash (a signal such as SIGSEGV or SIGFPE) then fails this test
// with the child's output instead of taking ava down with it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const body = path.join(root, 'test', 'fuzz', 'fuzz-body.ts');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runFuzz(seed: number, calls: number, file = body): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', file, String(seed), String(calls)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

for (const seed of [1, 2, 3])
  test(`fuzz seed ${seed}: 3000 calls with bad inputs, each returns or throws a FluxionError naming the op`, async (t) => {
    const { code, signal, output } = await runFuzz(seed, 3000);
    t.is(signal, null, `the fuzz process was killed by ${signal} (a native crash)\n${output}`);
    t.is(code, 0, output);
    t.regex(output, /3000 calls, \d+ returned, \d+ threw, 0 failures/);
  });

// The native entry points, below TypeScript's checks (test/fuzz/fuzz-native.ts).
const nativeBody = path.join(root, 'test', 'fuzz', 'fuzz-native.ts');

for (const seed of [1, 2, 3])
  test(`native fuzz seed ${seed}: 20000 kernel calls with random buffers, sizes near 2^31/2^53/2^63 and overflowing strides, each returns or throws`, async (t) => {
    const { code, signal, output } = await runFuzz(seed, 20000, nativeBody);
    t.is(signal, null, `the native fuzz process was killed by ${signal} (a native crash)\n${output}`);
    t.is(code, 0, output);
    t.regex(output, /20000 native calls, \d+ returned, \d+ threw, 0 failures/);
  });
