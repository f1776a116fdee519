// Turns the collected results into the one table, the target checks and RESULTS.md.
// Every ratio in the table is Fluxion's time divided by the peer's time: below 1× Fluxion
// is faster, 0.5× means it takes half the time.
import type { Result, Stats } from './protocol.js';
import { type PeerId, STEP_FLOP_PER_SAMPLE, type Workload, gemmGflop } from './workloads.js';

export type ResultMap = Map<string, Map<PeerId, Result>>;

export function index(results: Result[]): ResultMap {
  const m: ResultMap = new Map();
  for (const r of results) {
    if (!m.has(r.workload)) m.set(r.workload, new Map());
    (m.get(r.workload) as Map<PeerId, Result>).set(r.peer, r);
  }
  return m;
}

const SCALE = { µs: 1e3, ms: 1, s: 1e-3 } as const;

function sig(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** A time in the workload's unit, e.g. "0.52 µs" (input in milliseconds). */
export function fmtTime(ms: number, unit: Workload['unit']): string {
  return `${sig(ms * SCALE[unit])} ${unit}`;
}

/** Half the interquartile range relative to the median, or the repetition count when too few. */
function spread(s: Stats): string {
  if (s.warmupOnly) return '(n=1, single run)';
  if (s.n < 3) return `(n=${s.n})`;
  const pct = ((s.q3 - s.q1) / 2 / s.median) * 100;
  return `±${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

export function fmtStats(s: Stats, unit: Workload['unit']): string {
  return `${fmtTime(s.median, unit)} ${spread(s)}`;
}

/** a ÷ b as "0.42×"; below 0.1 also as a fraction ("0.0037× = 1/270") so it reads at a glance. */
export function ratio(a: number, b: number): string {
  const r = a / b;
  const s = `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
  return r < 0.1 ? `${s} = 1/${(1 / r).toFixed(0)}` : s;
}

function short(reason: string | undefined, n = 70): string {
  const r = (reason ?? 'no result').replace(/\|/g, '/');
  return r.length > n ? `${r.slice(0, n - 1)}…` : r;
}

export function gflops(n: number, ms: number): number {
  return (2 * n ** 3) / (ms * 1e6);
}

export interface Context {
  workloads: Workload[];
  results: ResultMap;
  /** OpenBLAS-direct sgemm rate at n = 2048 in GFLOP/s, and where it came from. */
  floorRate: { gflops: number; source: string } | null;
}

export function statsOf(ctx: Context, id: string, peer: PeerId): Stats | null {
  const r = ctx.results.get(id)?.get(peer);
  return r?.status === 'ok' && r.stats ? r.stats : null;
}

/** Rows on which PyTorch runs at each of the job's step thread counts (`byThreads`): the MLP steps and the CNN rows. */
export function byThreadsRow(w: Workload): boolean {
  return w.group === 'step' || w.group === 'cnn';
}

/** PyTorch's result on a `byThreadsRow`: per thread count, and the fastest. */
export function torchSteps(ctx: Context, id: string): { by: [string, Stats][]; best: [string, Stats] | null } {
  const r = ctx.results.get(id)?.get('torch');
  if (r?.status !== 'ok' || !r.byThreads) return { by: [], best: null };
  const by = Object.entries(r.byThreads).sort((a, b) => Number(a[0]) - Number(b[0]));
  const best = by.reduce<[string, Stats] | null>((m, e) => (m === null || e[1].median < m[1].median ? e : m), null);
  return { by, best };
}

/** The GEMM FLOPs behind a row's floor: the MLP step formula, or the CNN row's listed products (null: no floor). */
export function floorFlop(w: Workload): number | null {
  if (w.group === 'step') return STEP_FLOP_PER_SAMPLE * Number(w.params.batch);
  if (w.gemms?.length) return gemmGflop(w.gemms) * 1e9;
  return null;
}

/**
 * The row's floor: its GEMM FLOPs at OpenBLAS's n = 2048 sgemm rate. The rate is the one the
 * Python peer measured next to this row (same minute as the row's timings; the machine's speed
 * drifts over minutes), else the gemm-2048 row's.
 */
export function floorMs(ctx: Context, w: Workload): number | null {
  const flop = floorFlop(w);
  if (flop === null) return null;
  const near = Number(ctx.results.get(w.id)?.get('torch')?.extra?.floorGflops);
  const rate = Number.isFinite(near) && near > 0 ? near : ctx.floorRate?.gflops;
  if (rate === undefined) return null;
  return flop / (rate * 1e6);
}

function cell(ctx: Context, w: Workload, peer: PeerId): string {
  const r = ctx.results.get(w.id)?.get(peer);
  if (!r) return '—';
  if (r.status !== 'ok') return `${r.status} (${short(r.reason)})`;
  return body(ctx, w, peer, r) + ((r.othersPct ?? 0) >= 10 ? ' †' : '');
}

function body(ctx: Context, w: Workload, peer: PeerId, r: Result): string {
  if (byThreadsRow(w) && peer === 'torch') return torchSteps(ctx, w.id).by.map(([t, s]) => `${t}t: ${fmtStats(s, w.unit)}`).join(' · ');
  if (!r.stats) return '—';
  let s = fmtStats(r.stats, w.unit);
  if (w.group === 'gemm') s += ` · ${gflops(Number(w.params.n), r.stats.median).toFixed(0)} GF/s`;
  if (w.id === 'mlp-grad' || w.id === 'mlp-grad2') {
    const base = statsOf(ctx, w.id === 'mlp-grad' ? 'mlp-fwd' : 'mlp-grad', peer);
    if (base) s += ` (${ratio(r.stats.median, base.median)} ${w.id === 'mlp-grad' ? 'fwd' : 'grad'})`;
  }
  if (w.group === 'stream' && r.extra) {
    const mem = Number(r.extra.inMemoryMs);
    s = `file ${fmtStats(r.stats, w.unit)} vs memory ${fmtTime(mem, w.unit)}: ${ratio(r.stats.median, mem)}`;
  }
  if (w.group === 'memory' && r.extra) {
    const e = r.extra;
    s = `RSS ${e.rssEarlyMB} → ${e.rssLateMB} MB (${Number(e.rssGrowthPct) >= 0 ? '+' : ''}${e.rssGrowthPct}%), ${fmtTime(r.stats.median, 'ms')}/step`;
  }
  return s;
}

function ratioCell(ctx: Context, w: Workload, peer: PeerId): string {
  const f = statsOf(ctx, w.id, 'fluxion');
  if (!f) return '';
  if (byThreadsRow(w) && peer === 'torch') {
    const { best } = torchSteps(ctx, w.id);
    return best ? `${ratio(f.median, best[1].median)} (vs ${best[0]}t)` : '';
  }
  const p = statsOf(ctx, w.id, peer);
  return p ? ratio(f.median, p.median) : '';
}

function referenceCells(ctx: Context, w: Workload): [string, string] {
  const f = statsOf(ctx, w.id, 'fluxion');
  if (w.group === 'gemm') {
    const r = ctx.results.get(w.id)?.get('numpy');
    if (!r) return ['—', ''];
    if (r.status !== 'ok' || !r.stats) return [`${r.status} (${short(r.reason)})`, ''];
    const c = `numpy ${fmtStats(r.stats, w.unit)} · ${gflops(Number(w.params.n), r.stats.median).toFixed(0)} GF/s${(r.othersPct ?? 0) >= 10 ? ' †' : ''}`;
    return [c, f ? ratio(f.median, r.stats.median) : ''];
  }
  const fl = floorMs(ctx, w);
  if (fl !== null) {
    const extra = ctx.results.get(w.id)?.get('torch')?.extra;
    const g = extra?.gemmOnlyMs;
    const rate = extra?.floorGflops === undefined ? '' : ` (${Number(extra.floorGflops).toFixed(0)} GF/s)`;
    return [`floor ${fmtTime(fl, w.unit)}${rate}${g === undefined ? '' : ` · its GEMMs ${fmtTime(Number(g), w.unit)}`}`, f ? ratio(f.median, fl) : ''];
  }
  return ['—', ''];
}

export const COLUMNS = ['Workload', 'Fluxion', 'PyTorch CPU', 'F ÷ PyTorch', 'TF.js cpu', 'F ÷ tfjs-cpu', 'TF.js wasm', 'F ÷ tfjs-wasm', 'Reference', 'F ÷ ref'];

export function tableRows(ctx: Context): string[][] {
  return ctx.workloads.map((w) => {
    const [ref, refRatio] = referenceCells(ctx, w);
    const peer = (p: PeerId) => (w.group === 'memory' || w.group === 'stream' ? ['— (Fluxion only)', ''] : [cell(ctx, w, p), ratioCell(ctx, w, p)]);
    return [w.title, cell(ctx, w, 'fluxion'), ...peer('torch'), ...peer('tfjs-cpu'), ...peer('tfjs-wasm'), ref, refRatio];
  });
}

/** A Markdown table, padded so it also reads well in a terminal. */
export function markdownTable(header: string[], rows: string[][]): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i])).join(' | ')} |`;
  return [line(header), `|${width.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export interface TargetLine {
  target: string;
  status: 'met' | 'missed' | 'not measured';
  detail: string;
}

export function targets(ctx: Context): TargetLine[] {
  const out: TargetLine[] = [];
  const add = (target: string, checks: { label: string; value: number | null; ok: (v: number) => boolean; show: (v: number) => string }[]) => {
    const got = checks.filter((c) => c.value !== null);
    if (got.length === 0) {
      out.push({ target, status: 'not measured', detail: checks.length ? 'no result (a peer is missing or failed; see the table)' : 'not in this run' });
      return;
    }
    const allOk = got.every((c) => c.ok(c.value as number));
    const missing = checks.length - got.length;
    const one = (c: (typeof got)[number]) => `${c.label} ${c.show(c.value as number)}${c.ok(c.value as number) ? '' : ' ✗'}`;
    let detail = got.map(one).join('; ');
    if (got.length > 6) {
      // Long lists: the extremes and every miss.
      const sorted = [...got].sort((a, b) => (a.value as number) - (b.value as number));
      const misses = got.filter((c) => !c.ok(c.value as number));
      detail = `${got.length} workloads, from ${one(sorted[0])} to ${one(sorted[sorted.length - 1])}`;
      if (misses.length) detail += `; misses: ${misses.map(one).join('; ')}`;
    }
    out.push({ target, status: allOk ? 'met' : 'missed', detail: missing ? `${detail}; ${missing} not measured` : detail });
  };
  const f = (id: string) => statsOf(ctx, id, 'fluxion')?.median ?? null;
  const t = (id: string) => statsOf(ctx, id, 'torch')?.median ?? null;
  const div = (a: number | null, b: number | null) => (a === null || b === null ? null : a / b);
  const x = (v: number) => `${v.toFixed(2)}×`;
  const sel = (id: string) => ctx.workloads.some((w) => w.id === id);

  add(
    'MLP step, batch 128: ≤ 0.5× PyTorch (fastest thread setting)',
    ['sgd', 'adam']
      .filter((o) => sel(`step-b128-${o}`))
      .map((o) => {
        const id = `step-b128-${o}`;
        const best = torchSteps(ctx, id).best;
        const fl = f(id);
        return {
          label: `${o === 'sgd' ? 'SGD' : 'Adam'} ${fl === null ? '?' : fmtTime(fl, 'ms')} vs ${best ? `${fmtTime(best[1].median, 'ms')} (${best[0]}t)` : '?'} =`,
          value: div(fl, best ? best[1].median : null),
          ok: (v: number) => v <= 0.5,
          show: x,
        };
      }),
  );
  add(
    'MLP step, batch 1024: ≤ 1.25× floor',
    ['sgd', 'adam']
      .filter((o) => sel(`step-b1024-${o}`))
      .map((o) => {
        const w = ctx.workloads.find((v) => v.id === `step-b1024-${o}`) as Workload;
        const fl = f(w.id);
        const floor = floorMs(ctx, w);
        return {
          label: `${o === 'sgd' ? 'SGD' : 'Adam'} ${fl === null ? '?' : fmtTime(fl, 'ms')} vs floor ${floor === null ? '?' : fmtTime(floor, 'ms')} =`,
          value: div(fl, floor),
          ok: (v: number) => v <= 1.25,
          show: x,
        };
      }),
  );
  const CNN_STEPS = [
    ['lenet-step-b64', 'LeNet b64'],
    ['resblock-step-b16', 'ResNet block b16'],
  ].filter(([id]) => sel(id));
  add(
    'CNN training steps (LeNet b64, ResNet block b16): ≤ 0.5× PyTorch (fastest thread setting)',
    CNN_STEPS.map(([id, name]) => {
      const best = torchSteps(ctx, id).best;
      const fl = f(id);
      return {
        label: `${name} ${fl === null ? '?' : fmtTime(fl, 'ms')} vs ${best ? `${fmtTime(best[1].median, 'ms')} (${best[0]}t)` : '?'} =`,
        value: div(fl, best ? best[1].median : null),
        ok: (v: number) => v <= 0.5,
        show: x,
      };
    }),
  );
  add(
    'CNN training steps: ≤ 2× the GEMM floor',
    CNN_STEPS.map(([id, name]) => {
      const w = ctx.workloads.find((v) => v.id === id) as Workload;
      const fl = f(id);
      const floor = floorMs(ctx, w);
      return {
        label: `${name} ${fl === null ? '?' : fmtTime(fl, 'ms')} vs floor ${floor === null ? '?' : fmtTime(floor, 'ms')} =`,
        value: div(fl, floor),
        ok: (v: number) => v <= 2,
        show: x,
      };
    }),
  );
  add(
    'Small ops: ≤ 0.5× PyTorch µs/op',
    ['add-64', 'chain-fwd', 'chain-grad']
      .filter(sel)
      .map((id) => ({
        label: `${id} ${f(id) === null ? '?' : fmtTime(f(id) as number, 'µs')} vs ${t(id) === null ? '?' : fmtTime(t(id) as number, 'µs')} =`,
        value: div(f(id), t(id)),
        ok: (v: number) => v <= 0.5,
        show: x,
      })),
  );
  add(
    'GEMM: ≥ 0.95× OpenBLAS direct (GFLOP/s)',
    ctx.workloads
      .filter((w) => w.group === 'gemm')
      .map((w) => {
        const n = Number(w.params.n);
        const fl = f(w.id);
        const ref = statsOf(ctx, w.id, 'numpy')?.median ?? null;
        return {
          label: `n=${n} ${fl === null ? '?' : gflops(n, fl).toFixed(0)} vs ${ref === null ? '?' : gflops(n, ref).toFixed(0)} GF/s =`,
          value: div(ref, fl),
          ok: (v: number) => v >= 0.95,
          show: x,
        };
      }),
  );
  add(
    'Every workload ≥ 10× faster than TF.js pure JS (cpu)',
    ctx.workloads
      .filter((w) => w.group !== 'memory' && w.group !== 'stream')
      .map((w) => ({ label: `${w.id}`, value: div(statsOf(ctx, w.id, 'tfjs-cpu')?.median ?? null, f(w.id)), ok: (v: number) => v >= 10, show: (v: number) => `${v.toFixed(v >= 100 ? 0 : 1)}×` })),
  );
  add('First-order gradient ≤ 3× forward', [
    ...(sel('mlp-grad') ? [{ label: 'MLP grad ÷ fwd', value: div(f('mlp-grad'), f('mlp-fwd')), ok: (v: number) => v <= 3, show: x }] : []),
    ...(sel('chain-grad') ? [{ label: 'chain grad ÷ fwd (per op)', value: div(f('chain-grad'), f('chain-fwd')), ok: (v: number) => v <= 3, show: x }] : []),
  ]);
  add('Second order ≤ 3× first order', [
    ...(sel('mlp-grad2') ? [{ label: 'MLP grad² ÷ grad', value: div(f('mlp-grad2'), f('mlp-grad')), ok: (v: number) => v <= 3, show: x }] : []),
    ...(sel('scalar-grad2') ? [{ label: "scalar f'' ÷ f'", value: div(f('scalar-grad2'), f('scalar-grad')), ok: (v: number) => v <= 3, show: x }] : []),
  ]);
  const torchRatios = (a: string, b: string) => {
    const v = div(t(a), t(b));
    return v === null ? '' : ` (PyTorch: ${v.toFixed(2)}×)`;
  };
  // The step targets in context: where half of PyTorch's time lies below the floor, no
  // implementation on this BLAS can meet the target here; and how far PyTorch itself is
  // from the floor at batch 1024.
  /** Per row (id, name): PyTorch's fastest time and the floor, where both were measured. */
  const floorsOf = (rows: string[][]) =>
    rows.flatMap(([id, name]) => {
      const w = ctx.workloads.find((v) => v.id === id);
      const best = torchSteps(ctx, id).best;
      const floor = w === undefined ? null : floorMs(ctx, w);
      const gemms = ctx.results.get(id)?.get('torch')?.extra?.gemmOnlyMs;
      if (best === null || floor === null) return [];
      return [{ name, torch: best[1].median, floor, gemms: gemms === undefined ? null : Number(gemms) }];
    });
  /** Per optimiser at one batch size. */
  const againstFloor = (batch: number) =>
    floorsOf([
      [`step-b${batch}-sgd`, 'SGD'],
      [`step-b${batch}-adam`, 'Adam'],
    ]);
  /** Where 0.5× PyTorch lies below the floor or below the row's GEMMs through OpenBLAS alone. */
  const halfTorchBound = (rows: ReturnType<typeof floorsOf>): string => {
    const parts = rows.flatMap(({ name, torch, floor, gemms }) => {
      const half = 0.5 * torch;
      if (half < floor) return [`${name}: 0.5× PyTorch = ${fmtTime(half, 'ms')}, below the floor (${fmtTime(floor, 'ms')})`];
      if (gemms !== null && half < gemms) return [`${name}: 0.5× PyTorch = ${fmtTime(half, 'ms')}, below the step's GEMMs alone through OpenBLAS (${fmtTime(gemms, 'ms')})`];
      return [];
    });
    return parts.length ? ` — out of reach on this BLAS: ${parts.join('; ')}` : '';
  };
  const torchOverFloor = (rows: ReturnType<typeof floorsOf>): string => {
    const parts = rows.map(({ name, torch, floor }) => `${name} ${(torch / floor).toFixed(2)}×`);
    return parts.length ? ` (PyTorch at its fastest: ${parts.join(', ')} the floor)` : '';
  };
  const streamed = ctx.results.get('mnist-stream')?.get('fluxion');
  add(
    'MNIST epoch streamed from a file within 5% of the in-memory loader',
    sel('mnist-stream')
      ? [{ label: 'file ÷ memory', value: div(f('mnist-stream'), streamed?.extra?.inMemoryMs === undefined ? null : Number(streamed.extra.inMemoryMs)), ok: (v: number) => v <= 1.05, show: x }]
      : [],
  );
  for (const line of out) {
    if (line.target.startsWith('First-order')) line.detail += torchRatios('mlp-grad', 'mlp-fwd');
    if (line.target.startsWith('Second order')) line.detail += torchRatios('mlp-grad2', 'mlp-grad');
    if (line.target.startsWith('MLP step, batch 128')) line.detail += halfTorchBound(againstFloor(128));
    if (line.target.startsWith('MLP step, batch 1024')) line.detail += torchOverFloor(againstFloor(1024));
    if (line.target.startsWith('CNN training steps (')) line.detail += halfTorchBound(floorsOf(CNN_STEPS));
    if (line.target.startsWith('CNN training steps:')) line.detail += torchOverFloor(floorsOf(CNN_STEPS));
  }
  return out;
}

export function targetLines(ts: TargetLine[]): string[] {
  return ts.map((t) => `- **${t.status}** — ${t.target}: ${t.detail}`);
}
