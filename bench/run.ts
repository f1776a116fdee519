// `npm run bench` — Fluxion against PyTorch CPU, TF.js (cpu and wasm) and OpenBLAS
// called directly (numpy), on the same workloads, shapes and data. Each peer runs in its
// own child process fed a JSON job (bench/lib/protocol.ts), one after the other so they
// never share the two cores; this process only orchestrates and prints ONE table.
//
//   npm run bench                          the whole suite (a few minutes)
//   npm run bench -- --only gemm,step      workloads whose id contains a substring
//   npm run bench -- --reps 5 --threads 1  repetitions per cell; intra-op threads
//   npm run bench -- --json out.json       also write every sample as JSON
//   npm run bench -- --write-results       regenerate bench/RESULTS.md
//   npm run bench -- --profile --only step-b128-adam   CPU profile of one Fluxion workload
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProfile, summarizeProfile } from './lib/profile.js';
import { type PeerSpec, PeerProcess } from './lib/peerproc.js';
import type { Job, PeerMeta, Result, Stats } from './lib/protocol.js';
import { COLUMNS, type Context, floorFlop, fmtTime, gflops, index, markdownTable, tableRows, targetLines, targets } from './lib/report.js';
import { type PeerId, WORKLOADS, type Workload, peersOf, select } from './lib/workloads.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(import.meta.url);

const { values: o } = parseArgs({
  options: {
    only: { type: 'string' },
    reps: { type: 'string', default: '7' },
    threads: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'write-results': { type: 'boolean', default: false },
    'budget-ms': { type: 'string', default: '2000' },
    'unset-blas-env': { type: 'boolean', default: false },
    'keep-blas-env': { type: 'boolean', default: false },
    'no-wait': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

// Fair by default: every peer runs on the same OpenBLAS kernel (none keeps the variables).
const unsetBlas = !o['keep-blas-env'];

const HELP = `Usage: npm run bench -- [options]
  --only a,b       run workloads whose id contains one of the substrings
  --reps N         at most N timed repetitions per cell (default 7)
  --threads 1|2    intra-op threads: Fluxion setNumThreads, PyTorch set_num_threads + OpenBLAS
                   (default: all ${os.availableParallelism()} cores); PyTorch's MLP step and CNN rows always run at 1 and 2
  --budget-ms MS   time budget per cell; slow peers get fewer repetitions (default 2000)
  --json FILE      write all results (every sample) as JSON
  --keep-blas-env  run Fluxion with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when the environment sets
                   them. By default every peer runs without them (the same OpenBLAS kernel for all:
                   a fair comparison); Fluxion with them is then measured as a diagnostic.
  --unset-blas-env (the default; kept for compatibility)
  --no-wait        do not wait for other processes to leave the CPUs before each peer
  --write-results  regenerate bench/RESULTS.md
  --profile        with --only: run that Fluxion workload under node --cpu-prof and summarise
Workloads: ${WORKLOADS.map((w) => w.id).join(', ')}`;

if (o.help) {
  console.log(HELP);
  process.exit(0);
}

const reps = Number(o.reps);
const threads = Number(o.threads ?? os.availableParallelism());
const budgetMs = Number(o['budget-ms']);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${o.reps}`);
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: expected a positive integer, got ${o.threads}`);

const log = (s: string) => process.stderr.write(`${s}\n`);
const python = process.env.BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const nodeArgs = ['--import=tsx', '--expose-gc'];

// ------------------------------------------------------------------ progress
function progress(r: Result, ws: Workload[]): void {
  const w = ws.find((v) => v.id === r.workload);
  const scale = w?.unit === 'µs' ? 1e3 : w?.unit === 's' ? 1e-3 : 1;
  const show = (ms: number) => `${(ms * scale).toPrecision(3)} ${w?.unit}`;
  let s: string;
  if (r.status !== 'ok') s = `${r.status}: ${r.reason}`;
  else if (r.byThreads) s = Object.entries(r.byThreads).map(([t, st]) => `${t}t ${show(st.median)}`).join(', ');
  else s = r.stats ? `${show(r.stats.median)} (n=${r.stats.n})` : 'ok';
  log(`  [${r.peer}] ${r.workload}: ${s}`);
}

// ------------------------------------------------------------------ other processes
// The machine is shared: before each measurement the orchestrator waits (up to a minute)
// until other processes leave the CPUs, and it measures how much CPU they took while a
// peer ran: the machine's busy time from /proc/stat minus this process tree's own (its
// utime + stime + reaped children's from /proc/self/stat, plus each live peer's).
interface Ticks {
  busy: number;
  total: number;
  own: number;
}

const live: PeerProcess[] = [];

function ticks(): Ticks | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = cpu[3] + cpu[4];
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    return { busy: total - idle, total, own: f[11] + f[12] + f[13] + f[14] + live.reduce((n, p) => n + p.cpuTicks(), 0) };
  } catch {
    return null;
  }
}

/** Percent of the machine's CPU time used by other processes between two readings. */
function othersPct(a: Ticks | null, b: Ticks | null): number | null {
  if (a === null || b === null || b.total <= a.total) return null;
  return Math.max(0, (100 * (b.busy - a.busy - (b.own - a.own))) / (b.total - a.total));
}

async function waitQuiet(label: string, maxMs = 60_000): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    const a = ticks();
    await new Promise((r) => setTimeout(r, 250));
    const pct = othersPct(a, ticks());
    if (pct === null || pct < 10 || o['no-wait'] || performance.now() - t0 > maxMs) return pct;
    log(`  (other processes use ${pct.toFixed(0)}% of the CPUs; waiting before ${label})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// ------------------------------------------------------------------ profiling
async function profile(ws: Workload[]): Promise<void> {
  if (ws.length === 0) {
    console.log(`--profile runs ONE Fluxion workload under node --cpu-prof and lists the hottest functions.
Pick it with --only, e.g.
  npm run bench -- --profile --only step-b128-adam
  npm run bench -- --profile --only chain-grad --threads 1
The raw profile is written to bench/profiles/<workload>-<time>.cpuprofile; open it in
Chrome DevTools (Performance tab → Load profile) or VS Code for a flame graph.
Workloads: ${WORKLOADS.map((w) => w.id).join(', ')}`);
    return;
  }
  const w = ws[0];
  if (ws.length > 1) log(`--profile: ${ws.length} workloads match; profiling the first, ${w.id}`);
  const dir = path.join(here, 'profiles');
  mkdirSync(dir, { recursive: true });
  const name = `${w.id}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  const mnist = w.group === 'epoch' || w.group === 'stream' ? writeMnist() : undefined;
  const job: Job = { peer: 'fluxion', threads, reps, budgetMs, mnist: mnist?.files };
  const args = [...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`, '--cpu-prof-interval=200', 'bench/peers/fluxion_bench.ts'];
  log(`profiling ${w.id} (node ${args.join(' ')})`);
  const env = unsetBlas ? withoutBlasEnv() : process.env;
  const peer = new PeerProcess({ peer: 'fluxion', reports: ['fluxion'], cmd: process.execPath, args, env }, job, root, (r) => progress(r, ws));
  await peer.ready(60_000);
  await peer.run(w, 600_000);
  await peer.close();
  mnist?.cleanup();
  if (peer.failure) throw new Error(`profile run failed: ${peer.failure}`);
  const file = path.join(dir, name);
  console.log(`Profile of Fluxion ${w.id} (${threads} threads): ${path.relative(root, file)}\n`);
  console.log(formatProfile(summarizeProfile(file, root)));
}

function withoutBlasEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

// ------------------------------------------------------------------ shared MNIST data
function writeMnist(): { files: Job['mnist']; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxion-bench-'));
  const n = 8000;
  // Imported lazily: it loads Fluxion (and the digits) only when an epoch row runs.
  const code = `import { loadMnist } from './examples/mnist-data.ts';
import { writeFileSync } from 'node:fs';
const d = loadMnist({ train: ${n}, test: 0 });
writeFileSync(process.argv[1], d.train.x.data());
writeFileSync(process.argv[2], d.train.y.data());`;
  const x = path.join(dir, 'x.f32');
  const y = path.join(dir, 'y.i32');
  const r = spawnSyncNode(code, [x, y]);
  if (r !== null) throw new Error(`could not prepare MNIST data: ${r}`);
  return { files: { x, y, n }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function spawnSyncNode(code: string, args: string[]): string | null {
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', code, ...args], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0];
}

// ------------------------------------------------------------------ machine and versions
function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k: string) => info.match(new RegExp(`^${k}\\s*:\\s*(.+)$`, 'm'))?.[1].trim();
    const flags = ` ${field('flags') ?? ''} `;
    const simd = flags.includes(' avx512f ') ? 'AVX-512' : flags.includes(' avx2 ') ? 'AVX2' : 'no AVX2';
    const name = field('model name');
    if (name) return `${name} (family ${field('cpu family')}, model ${field('model')}, ${simd})`;
  } catch {}
  return os.cpus()[0]?.model ?? 'unknown';
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function fluxionInfo(): { version: string; blas: string } {
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', "import { native } from './ts/native.ts'; console.log(native.blasInfo());"], {
    cwd: root,
    encoding: 'utf8',
  });
  return { version, blas: r.status === 0 ? r.stdout.trim() : 'unavailable' };
}

// ------------------------------------------------------------------ the run
async function main(): Promise<void> {
  let ws = select(o.only);
  if (o.profile) return profile(o.only ? ws : []);
  if (ws.length === 0) throw new Error(`--only ${o.only}: no workload matches (${WORKLOADS.map((w) => w.id).join(', ')})`);
  const notes: string[] = [];
  if (ws.some((w) => floorFlop(w) !== null) && !ws.some((w) => w.id === 'gemm-2048')) {
    ws = WORKLOADS.filter((w) => w.id === 'gemm-2048' || ws.includes(w));
    notes.push('gemm-2048 was added to this run: the MLP step and CNN floors need the measured sgemm rate at n = 2048.');
  }
  const started = new Date();
  const t0 = performance.now();
  const load0 = os.loadavg();
  const flux = fluxionInfo();
  const env = { ...process.env };
  const blasEnv = Object.entries(process.env)
    .filter(([k]) => k === 'OPENBLAS_CORETYPE' || k === 'OPENBLAS_L2_SIZE')
    .map(([k, v]) => `${k}=${v}`);
  const pyEnv = withoutBlasEnv();
  // OpenMP's default spin-wait fights OpenBLAS's own threads on a small machine and makes
  // PyTorch at 2 threads several times slower; passive waiting gives PyTorch its best.
  const torchEnv = { ...pyEnv, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const fluxEnv = unsetBlas ? pyEnv : env;
  if (unsetBlas) notes.push('Every peer ran without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (the same OpenBLAS kernel for all; --keep-blas-env keeps them for Fluxion).');
  const mnist = ws.some((w) => w.group === 'epoch' || w.group === 'stream') ? writeMnist() : undefined;
  const all: Result[] = [];
  const base = { threads, reps, budgetMs, mnist: mnist?.files };

  // Peers in the order they run for each workload; a child starts only if it has work.
  const node = (peer: PeerId, file: string, penv: NodeJS.ProcessEnv): PeerSpec => ({ peer, reports: [peer], cmd: process.execPath, args: [...nodeArgs, file], env: penv });
  const specs: PeerSpec[] = [
    node('fluxion', 'bench/peers/fluxion_bench.ts', fluxEnv),
    { peer: 'torch', reports: ['torch', 'numpy'], cmd: python, args: ['bench/peers/torch_bench.py'], env: torchEnv },
    ...(unsetBlas ? [] : [node('fluxion-noenv', 'bench/peers/fluxion_bench.ts', pyEnv)]),
    { peer: 'numpy-env', reports: ['numpy-env'], cmd: python, args: ['bench/peers/torch_bench.py'], env },
    node('tfjs-wasm', 'bench/peers/tfjs_bench.ts', env),
    node('tfjs-cpu', 'bench/peers/tfjs_bench.ts', env),
  ];
  const wanted = (spec: PeerSpec, w: Workload) => spec.reports.some((p) => peersOf(w).includes(p));
  const procs: PeerProcess[] = [];
  try {
    for (const spec of specs) {
      if (!ws.some((w) => wanted(spec, w))) continue;
      const job: Job = { peer: spec.peer, ...base, ...(spec.peer === 'torch' ? { stepThreads: [1, 2] } : {}) };
      const p = new PeerProcess(spec, job, root, (r) => progress(r, ws));
      await p.ready(120_000);
      log(`${spec.peer}: ${p.failure ?? 'ready'}`);
      procs.push(p);
      live.push(p);
    }
    for (const w of ws) {
      log(`${w.id}:`);
      for (const p of procs) {
        if (!wanted(p.spec, w)) continue;
        let got: Result[] = [];
        // A measurement other processes disturbed is taken again once, if that is cheap.
        for (let attempt = 0; attempt < 2 && p.failure === null; attempt++) {
          await waitQuiet(`${p.spec.peer} ${w.id}`);
          const t = ticks();
          const t0 = performance.now();
          const now = await p.run(w, w.group === 'epoch' || w.group === 'stream' || w.group === 'memory' ? 300_000 : 180_000);
          const pct = othersPct(t, ticks());
          for (const r of now) r.othersPct = pct === null ? null : Number(pct.toFixed(1));
          if (attempt === 0 || (pct ?? 100) < (got[0]?.othersPct ?? 100)) got = now;
          if ((pct ?? 0) < 10 || performance.now() - t0 > 15_000) break;
          log(`  (other processes used ${pct?.toFixed(0)}% of the CPUs meanwhile: measuring ${p.spec.peer} ${w.id} again)`);
        }
        all.push(...got);
        // Whatever the peer did not report is missing, with the reason it died.
        for (const id of p.spec.reports)
          if (peersOf(w).includes(id) && !got.some((r) => r.peer === id))
            all.push({ workload: w.id, peer: id, status: 'missing', reason: p.failure ?? 'the peer reported nothing' });
      }
    }
  } finally {
    await Promise.all(procs.map((p) => p.close()));
    mnist?.cleanup();
  }
  const metas = procs.map((p) => p.meta).filter((m): m is PeerMeta => m !== null);
  const disturbed = all.filter((r) => (r.othersPct ?? 0) >= 10);
  if (disturbed.length)
    notes.push(
      `† marks cells during whose measurement other processes used ≥ 10% of the machine's CPU time (${disturbed.map((r) => `${r.peer}/${r.workload} ${r.othersPct}%`).join(', ')}); those timings may be inflated.`,
    );

  const results = index(all);
  const ref2048 = results.get('gemm-2048')?.get('numpy');
  const flux2048 = results.get('gemm-2048')?.get('fluxion');
  const floorRate =
    ref2048?.status === 'ok' && ref2048.stats
      ? { gflops: gflops(2048, ref2048.stats.median), source: 'OpenBLAS direct (numpy) sgemm, n = 2048' }
      : flux2048?.status === 'ok' && flux2048.stats
        ? { gflops: gflops(2048, flux2048.stats.median), source: 'Fluxion sgemm, n = 2048 (numpy unavailable)' }
        : null;
  const ctx: Context = { workloads: ws, results, floorRate };
  const table = markdownTable(COLUMNS, tableRows(ctx));
  const tl = targets(ctx);
  const seconds = (performance.now() - t0) / 1000;
  const load1 = os.loadavg();

  const meta = (p: PeerId) => metas.find((m) => m.peer === p);
  const torch = meta('torch');
  const numpyEnv = meta('numpy-env');
  const wasm = meta('tfjs-wasm');
  const versions = {
    node: process.version,
    fluxion: flux.version,
    fluxionBlas: flux.blas,
    torch: String(torch?.torch ?? 'not run'),
    numpy: String(torch?.numpy ?? numpyEnv?.numpy ?? 'not run'),
    numpyBlas: String(torch?.openblas ?? 'not run'),
    python: String(torch?.python ?? numpyEnv?.python ?? 'not run'),
    tfjs: pkgVersion('@tensorflow/tfjs'),
    tfjsWasm: pkgVersion('@tensorflow/tfjs-backend-wasm'),
  };
  const machine = { cpu: cpuModel(), cores: os.availableParallelism(), memGB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() };

  // The GEMM diagnostics: each library under both environments tells library overhead
  // (allocation, page faults) from the BLAS configuration the environment forces.
  const gf = (id: string, p: PeerId, n: number) => {
    const r = results.get(id)?.get(p);
    return r?.status === 'ok' && r.stats ? `${gflops(n, r.stats.median).toFixed(0)}` : '?';
  };
  const envText = blasEnv.join(' ') || 'no OPENBLAS_* variables';
  for (const w of ws.filter((v) => v.group === 'gemm')) {
    const n = Number(w.params.n);
    if (!results.get(w.id)?.has('numpy-env') && !results.get(w.id)?.has('fluxion-noenv')) continue;
    notes.push(
      `${w.id} GFLOP/s by environment — with ${envText} (OpenBLAS core ${String(numpyEnv?.openblasCore ?? '?')}): Fluxion ${gf(w.id, 'fluxion', n)}, numpy ${gf(w.id, 'numpy-env', n)}; ` +
        `without them (core ${String(torch?.openblasCore ?? '?')}): Fluxion ${unsetBlas ? gf(w.id, 'fluxion', n) : gf(w.id, 'fluxion-noenv', n)}, numpy ${gf(w.id, 'numpy', n)}.`,
    );
  }
  const noenv = all.filter((r) => r.peer === 'fluxion-noenv' && r.status === 'ok' && r.stats && !r.workload.startsWith('gemm'));
  if (noenv.length && !unsetBlas)
    notes.push(
      `Fluxion without ${envText} (same run, for comparison with the peers, which run without them): ${noenv
        .map((r) => {
          const w = ws.find((v) => v.id === r.workload) as Workload;
          const withEnv = results.get(r.workload)?.get('fluxion')?.stats?.median;
          return `${r.workload} ${fmtTime((r.stats as Stats).median, w.unit)}${withEnv === undefined ? '' : ` (${fmtTime(withEnv, w.unit)} with them)`}`;
        })
        .join(', ')}.`,
    );
  for (const r of all)
    if (r.status !== 'ok' && r.reason && r.reason.length > 70) notes.push(`${r.peer} / ${r.workload}: ${r.status} — ${r.reason}`);
  // The CNN training steps' losses after their timed steps: finite, and close across peers (same architecture, fresh initialisations).
  for (const w of ws.filter((v) => v.group === 'cnn')) {
    const losses = all
      .filter((r) => r.workload === w.id && r.status === 'ok' && r.extra)
      .flatMap((r) =>
        Object.entries(r.extra as Record<string, number | string>)
          .filter(([k]) => k.startsWith('lastLoss'))
          .map(([k, v]) => `${r.peer}${k.slice('lastLoss'.length) ? ` ${k.slice('lastLoss'.length)}` : ''} ${v}${Number.isFinite(Number(v)) ? '' : ' ✗ not finite'}`),
      );
    if (losses.length) notes.push(`${w.id} training loss at the end of its timing (the last step's; Fluxion: the mean over its last repetition's steps): ${losses.join(', ')}.`);
  }
  for (const r of all)
    if (r.extra?.value !== undefined && r.workload.startsWith('scalar')) {
      const want = r.workload === 'scalar-grad' ? 14 : 6;
      if (Math.abs(Number(r.extra.value) - want) > 1e-4) notes.push(`${r.peer} / ${r.workload}: computed ${r.extra.value}, expected ${want}`);
    }

  const threadText = [
    `Fluxion: setNumThreads(${threads}) (elementwise kernels and OpenBLAS, ${flux.blas}).`,
    `PyTorch: torch.set_num_threads(${threads}) plus openblas_set_num_threads(${threads}) through ctypes (PyTorch ${versions.torch} sends CPU GEMM to the same OpenBLAS as numpy); the MLP step and CNN rows run PyTorch at 1 and at 2 threads and show both ("1t", "2t"). The child runs with OMP_WAIT_POLICY=${torchEnv.OMP_WAIT_POLICY}${process.env.OMP_WAIT_POLICY ? ' (from the environment)' : ': with OpenMP\'s default spinning, its idle workers compete with OpenBLAS\'s threads for the cores and PyTorch at 2 threads runs 2–3× slower here'}.`,
    `numpy ("OpenBLAS direct"): the same OpenBLAS pool, ${threads} threads. The Python child runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (both together; they are ${blasEnv.length ? blasEnv.join(', ') : 'not set'} here and Fluxion keeps them), so OpenBLAS picks its own kernel (${String(torch?.openblasCore ?? '?')}).`,
    `TF.js: cpu backend is single-threaded JavaScript; wasm backend ${wasm ? `${wasm.simd ? 'with SIMD' : 'without SIMD'}, ${wasm.multithread ? `${wasm.wasmThreads} threads` : '1 thread (no multithreaded wasm in Node)'}` : 'not run'}.`,
  ];
  const targetText = targetLines(tl);

  console.log(`\nFluxion benchmark — ${machine.cpu}, ${machine.cores} cores, ${threads} thread(s), ${started.toISOString()}\n`);
  console.log(table);
  console.log('\nRatios are Fluxion time ÷ peer time (below 1× Fluxion is faster). ±% is half the interquartile range over the repetitions.\n');
  console.log('Targets:');
  console.log(targetText.join('\n'));
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
  log(`\ndone in ${seconds.toFixed(0)} s`);

  const report = { date: started.toISOString(), seconds, machine, load: { before: load0, after: load1 }, versions, threads, reps, budgetMs, env: blasEnv, floorRate, metas, results: all, targets: tl, notes };
  if (o.json) writeFileSync(path.resolve(o.json), `${JSON.stringify(report, null, 2)}\n`);
  if (o['write-results']) {
    const md = resultsMarkdown({ started, seconds, machine, versions, threadText, table, targetText, notes, ws, floorRate, load0, load1 });
    writeFileSync(path.join(here, 'RESULTS.md'), md);
    log('wrote bench/RESULTS.md');
  }
}

function resultsMarkdown(r: {
  started: Date;
  seconds: number;
  machine: { cpu: string; cores: number; memGB: number; kernel: string };
  versions: Record<string, string>;
  threadText: string[];
  table: string;
  targetText: string[];
  notes: string[];
  ws: Workload[];
  floorRate: Context['floorRate'];
  load0: number[];
  load1: number[];
}): string {
  const v = r.versions;
  const cmd = ['npm run bench --', ...process.argv.slice(2)].join(' ');
  return `# Benchmark results

Generated by \`${cmd}\` on ${r.started.toISOString().slice(0, 10)} (${r.started.toISOString()}); the run took ${r.seconds.toFixed(0)} s.
Regenerate with \`npm run bench -- --write-results\`; bench/README.md explains every workload.

## Machine and versions

- CPU: ${r.machine.cpu}, ${r.machine.cores} cores (from /proc/cpuinfo), ${r.machine.memGB} GiB RAM, Linux ${r.machine.kernel}; load average ${r.load0[0].toFixed(2)} before, ${r.load1[0].toFixed(2)} after
- Node ${v.node}; Fluxion ${v.fluxion}; Fluxion's OpenBLAS (\`native.blasInfo()\`): ${v.fluxionBlas}
- PyTorch ${v.torch} (CPU), numpy ${v.numpy}, Python ${v.python}; their OpenBLAS: ${v.numpyBlas}
- TensorFlow.js ${v.tfjs} (\`@tensorflow/tfjs\`, cpu backend), \`@tensorflow/tfjs-backend-wasm\` ${v.tfjsWasm}

## Threads

${r.threadText.map((t) => `- ${t}`).join('\n')}

## Results

Median per unit (per op, call, step or epoch) over the repetitions; ±% is half the interquartile range relative to the median; "n=1, single run" marks a cell whose one run exceeded twice the per-cell time budget. **Ratios are Fluxion's time ÷ the peer's time**: below 1× Fluxion is faster. Reference: numpy's matmul (OpenBLAS called directly) for GEMM; for the MLP steps the floor, ${STEP_TEXT} at OpenBLAS's n = 2048 sgemm rate as numpy measured it next to each step row (the machine's speed drifts over minutes; shown in the cell), or else at ${r.floorRate ? `${r.floorRate.gflops.toFixed(0)} GFLOP/s (${r.floorRate.source})` : 'an unmeasured rate'}; "its GEMMs" is the time numpy takes for the step's eight matrix products of their actual shapes (thin ones, k = batch for the weight gradients), which OpenBLAS runs below its n = 2048 rate — the floor is a bound no implementation on this BLAS reaches. The CNN rows (LeNet step, ResNet block step, conv forward) have a floor of the same kind: the FLOPs of their convolutions as GEMMs (forward 2·O·C·k²·N·Hout·Wout per conv, the weight gradient the same, the input gradient the same except for the first layer's, Dense layers as in the MLP formula; each row's formula is in bench/README.md) at the same rate, and "its GEMMs" times those products in their im2col shapes (e.g. W [O, C·k²] · cols [C·k², N·Hout·Wout]).

${r.table}

## Targets

${r.targetText.join('\n')}
${r.notes.length ? `\n## Notes\n\n${r.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
${optimisations()}`;
}

/** bench/OPTIMISATIONS.md (profile findings, changes, before → after) as a section of RESULTS.md. */
function optimisations(): string {
  const file = path.join(here, 'OPTIMISATIONS.md');
  if (!existsSync(file)) return '';
  const body = readFileSync(file, 'utf8').replace(/^# .*\n/, '').trim();
  return `## What the profiles showed, and what changed (from bench/OPTIMISATIONS.md)\n\n${body}\n`;
}

const STEP_TEXT = '3.21 MFLOP × batch (forward 2·Σ in·out, weight gradients the same, input gradients of layers 2 and 3)';

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

