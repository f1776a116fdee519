// The CPU GEMM behind matmul, both of them: OpenBLAS where the build has it and Fluxion's portable
// GEMM (native/src/cpu/gemm_portable.cc), which builds without OpenBLAS use and OpenBLAS builds run
// with FLUXION_GEMM=portable. gemm-check.ts runs the shapes in a fresh process for each.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = (env: Record<string, string | undefined>) => {
  const r = spawnSync(process.execPath, ['--import=tsx', path.join(here, 'gemm-check.ts')], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stderr: r.stderr, report: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').pop() as string) : null };
};

test('the portable GEMM equals a float64 loop on every blocking edge, transposed, batched, in float32 and float64', (t) => {
  const r = run({ FLUXION_GEMM: 'portable' });
  t.is(r.status, 0, `${r.stderr}\n${JSON.stringify(r.report?.failures)}`);
  t.regex(r.report.blas, /^portable GEMM/);
  t.deepEqual(r.report.failures, []);
});

test("the build's default GEMM passes the same checks and says which it is", (t) => {
  const r = run({ FLUXION_GEMM: undefined });
  t.is(r.status, 0, `${r.stderr}\n${JSON.stringify(r.report?.failures)}`);
  t.regex(r.report.blas, /^(OpenBLAS|portable GEMM .*built without OpenBLAS)/);
});
