// Data-parallel training across processes: each test starts a job of two ranks with
// `mpirun --oversubscribe -np 2` on this machine (the scripts are in ./scripts) and checks
// what the ranks wrote or printed. Without mpirun the tests are skipped with a note, except
// under CI (CI installs Open MPI), where that is a failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = (name: string) => path.join(here, 'scripts', name);

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
}
const haveMpirun = has('mpirun');
if (!haveMpirun) {
  if (process.env.CI) test('mpirun is installed (CI runs the distributed tests)', (t) => t.fail('mpirun not found: install openmpi-bin'));
  else console.log('test/distributed: mpirun not found (apt-get install openmpi-bin); the distributed tests are skipped');
}
const withMpi = haveMpirun ? test.serial : test.serial.skip;

interface Job {
  status: number | null;
  signal: string | null;
  out: string;
  seconds: number;
}

/** `mpirun -np 2 node --import=tsx <script> ...args` (as root too: the flags Open MPI asks for then). */
function mpirun(file: string, args: string[], opts: { launcher?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Job {
  const launcher = opts.launcher ?? 'mpirun';
  const flags = launcher === 'mpirun' ? ['--oversubscribe', '--allow-run-as-root'] : [];
  const start = Date.now();
  const r = spawnSync(launcher, [...flags, '-np', '2', process.execPath, '--import=tsx', file, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: (opts.timeout ?? 240) * 1000,
  });
  return { status: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}`, seconds: (Date.now() - start) / 1000 };
}

/** The same script as one plain process. */
function alone(file: string, args: string[]): Job {
  const start = Date.now();
  const env = { ...process.env };
  delete env.OMPI_COMM_WORLD_SIZE;
  const r = spawnSync(process.execPath, ['--import=tsx', file, ...args], { encoding: 'utf8', env, timeout: 240_000 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}`, seconds: (Date.now() - start) / 1000 };
}

type Params = Record<string, string>;
const readParams = (dir: string, name: string): Params => JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
const floats = (b64: string) => new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);
const doubles = (b64: string) => new Float64Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);

/** max over elements of |a − b| / |b| (float64 parameters). */
function elementwiseRelative(a: Params, b: Params): number {
  let worst = 0;
  for (const k of Object.keys(b)) {
    const x = doubles(a[k]);
    const y = doubles(b[k]);
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.abs(y[i]));
  }
  return worst;
}

/** ‖a − b‖ / ‖b‖ over all parameters. */
function relativeDistance(a: Params, b: Params): number {
  let num = 0;
  let den = 0;
  for (const k of Object.keys(b)) {
    const x = floats(a[k]);
    const y = floats(b[k]);
    for (let i = 0; i < y.length; i++) {
      num += (x[i] - y[i]) ** 2;
      den += y[i] ** 2;
    }
  }
  return Math.sqrt(num / den);
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'fluxion-dist-'));
}

withMpi('every collective on two ranks: sum, mean, max and min of each dtype in place, views, device tensors, broadcast, barrier, and an error after close()', (t) => {
  const job = mpirun(script('collectives.ts'), [], { env: { FLUXION_EMULATE_CUDA: '1' } });
  t.is(job.status, 0, job.out);
  const lines = job.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  t.is(lines.length, 2, job.out);
  for (const r of lines) {
    t.is(r.size, 2);
    t.regex(r.library, /^Open MPI/);
    for (const dtype of ['float32', 'float64', 'int32']) {
      t.deepEqual(r[`${dtype}.sum`], [3, -6, 10], dtype);
      t.deepEqual(r[`${dtype}.max`], [2, -2, 10], dtype);
      t.deepEqual(r[`${dtype}.min`], [1, -4, 0], dtype);
    }
    t.deepEqual(r['float32.mean'], [1.5, -3, 5]);
    t.deepEqual(r['float64.mean'], [1.5, -3, 5]);
    t.deepEqual(r.view, [[0, 0, 0], [3, 3, 3]]);
    t.deepEqual(r.broadcast, [1, 1, 1]);
    t.deepEqual(r.device, ['cuda', [1.5, 1]], 'a device tensor through host memory');
    t.regex(r.afterClose, /^DistributedError: barrier: this Distributed was closed/);
  }
});

withMpi('50 Adam steps on two halves of a batch: parameters bitwise identical on both ranks and within 1e-6 of one process on the whole batch', (t) => {
  const dir = tempDir();
  try {
    const job = mpirun(script('adam.ts'), [dir, 'update']);
    t.is(job.status, 0, job.out);
    const ref = alone(script('adam.ts'), [dir, 'update']);
    t.is(ref.status, 0, ref.out);
    const [r0, r1, single] = ['update-rank0', 'update-rank1', 'update-single'].map((n) => readParams(dir, n));
    t.deepEqual(r0, r1, 'bitwise identical on both ranks');
    const d = relativeDistance(r0, single);
    t.log(`relative distance to one process: ${d.toExponential(2)}`);
    t.true(d < 1e-6, `relative distance ${d}`);
    // float64: every element within 1e-6 (in float32, Adam's division by √v̂ lifts the rounding
    // differences of near-zero gradients to ~1e-5 in a few elements; the norm above is the measure there)
    t.is(mpirun(script('adam.ts'), [dir, 'update64']).status, 0);
    t.is(alone(script('adam.ts'), [dir, 'update64']).status, 0);
    const [d0, d1, dsingle] = ['update64-rank0', 'update64-rank1', 'update64-single'].map((n) => readParams(dir, n));
    t.deepEqual(d0, d1);
    const e = elementwiseRelative(d0, dsingle);
    t.log(`float64, largest relative difference of an element: ${e.toExponential(2)}`);
    t.true(e < 1e-6, `float64 elementwise ${e}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

withMpi('train with a sharded DataLoader on two ranks matches one process on the whole batches, and resuming from rank 0\'s checkpoint continues bit for bit', (t) => {
  const dir = tempDir();
  try {
    for (const mode of ['train', 'first', 'resume']) {
      const job = mpirun(script('adam.ts'), [dir, mode]);
      t.is(job.status, 0, `${mode}: ${job.out}`);
    }
    const ref = alone(script('adam.ts'), [dir, 'train']);
    t.is(ref.status, 0, ref.out);
    const [r0, r1, single] = ['train-rank0', 'train-rank1', 'train-single'].map((n) => readParams(dir, n));
    t.deepEqual(r0, r1, 'bitwise identical on both ranks');
    const d = relativeDistance(r0, single);
    t.log(`relative distance to one process: ${d.toExponential(2)}`);
    t.true(d < 1e-6, `relative distance ${d}`);
    // 2 epochs, a checkpoint, a new job that loads it (from a different initialisation) and trains 3 more
    const [s0, s1] = ['resume-rank0', 'resume-rank1'].map((n) => readParams(dir, n));
    t.deepEqual(s0, s1, 'resumed ranks agree');
    t.deepEqual(s0, r0, 'the resumed run ends where the uninterrupted one did');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

withMpi('a rank killed mid-training makes the job end with a clear error in under 30 s', (t) => {
  const job = mpirun(script('fail.ts'), ['die'], { timeout: 60 });
  t.log(`ended after ${job.seconds.toFixed(1)} s`);
  t.not(job.status, 0, job.out);
  t.true(job.seconds < 30, job.out);
  t.regex(job.out, /rank 1 .*exited on signal 9|rank 1 .*Killed|DistributedError/, job.out);
});

withMpi('a rank that never arrives makes the other fail with a DistributedError after its deadline', (t) => {
  const job = mpirun(script('fail.ts'), ['hang'], { timeout: 60 });
  t.log(`ended after ${job.seconds.toFixed(1)} s`);
  t.not(job.status, 0, job.out);
  t.true(job.seconds < 30, job.out);
  t.regex(job.out, /DistributedError: allReduce on rank 0 of 2 waited 3 s and not every rank arrived/);
});

withMpi("a rank that throws an ordinary error ends the job at once, not after the others' deadline", (t) => {
  const job = mpirun(script('fail.ts'), ['throw'], { timeout: 90 });
  t.log(`ended after ${job.seconds.toFixed(1)} s`);
  t.not(job.status, 0, job.out);
  t.true(job.seconds < 30, job.out); // the deadline is 60 s
  t.regex(job.out, /Error: a bug on rank 0/);
});

withMpi('using a Distributed after close() is an error on every rank', (t) => {
  const job = mpirun(script('fail.ts'), ['closed'], { timeout: 60 });
  t.not(job.status, 0, job.out);
  t.regex(job.out, /DistributedError: allReduce: this Distributed was closed \(rank 0 of 2\)/);
  t.regex(job.out, /DistributedError: allReduce: this Distributed was closed \(rank 1 of 2\)/);
});

const withMpich = haveMpirun && has('mpiexec.mpich') ? test.serial : test.serial.skip;
withMpich("MPICH's libmpich.so.12 under its own launcher runs the same collectives", (t) => {
  const job = mpirun(script('collectives.ts'), [], { launcher: 'mpiexec.mpich' });
  t.is(job.status, 0, job.out);
  const lines = job.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  t.is(lines.length, 2, job.out);
  for (const r of lines) {
    t.regex(r.library, /^MPICH/);
    t.deepEqual(r['float32.sum'], [3, -6, 10]);
    t.deepEqual(r['float64.mean'], [1.5, -3, 5]);
    t.deepEqual(r['int32.min'], [1, -4, 0]);
    t.deepEqual(r.broadcast, [1, 1, 1]);
  }
});
