// A/B: Fluxion in this checkout against Fluxion in another one (a worktree of an earlier
// commit, built), on the suite's own Fluxion workloads, alternating the two in fresh processes
// so that the machine's drift falls on both alike. Prints each workload's median over the rounds
// (each round's value is that process's median) and the ratio this ÷ other.
//
//   git worktree add ../before <commit> && (cd ../before && npm ci --ignore-scripts && npm run build:native)
//   node --import=tsx bench/ab.ts ../before --only add,chain,scalar,step-b128 [--rounds 5]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DONE_PREFIX, type Job, RESULT_PREFIX, type Result } from './lib/protocol.js';
import { select } from './lib/workloads.js';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, rounds: { type: 'string', default: '5' }, reps: { type: 'string', default: '7' } },
});
if (positionals.length !== 1) {
  console.error('usage: node --import=tsx bench/ab.ts <other checkout> [--only a,b] [--rounds N]');
  process.exit(2);
}
const other = path.resolve(positionals[0]);
const workloads = select(o.only).filter((w) => w.group !== 'memory');
const rounds = Number(o.rounds);

/** One process of `root`'s Fluxion peer over every workload: its median per workload (ms). */
function runPeer(root: string): Promise<Map<string, number>> {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // as `npm run bench` runs every peer
  delete env.OPENBLAS_L2_SIZE;
  const child = spawn(process.execPath, ['--import=tsx', '--expose-gc', path.join(root, 'bench/peers/fluxion_bench.ts')], { cwd: root, env, stdio: ['pipe', 'pipe', 'inherit'] });
  const job: Job = { peer: 'fluxion', threads: 2, reps: Number(o.reps), budgetMs: 2000 };
  const medians = new Map<string, number>();
  let out = '';
  return new Promise((resolve, reject) => {
    let next = 0;
    const send = () => {
      if (next < workloads.length) child.stdin.write(`${JSON.stringify(workloads[next++])}\n`);
      else child.stdin.end();
    };
    child.stdout.on('data', (d) => {
      out += d;
      let nl = out.indexOf('\n');
      while (nl >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith(RESULT_PREFIX)) {
          const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as Result;
          if (r.stats) medians.set(r.workload, r.stats.median);
        } else if (line.startsWith(DONE_PREFIX) || line.startsWith('@@META')) send();
        nl = out.indexOf('\n');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve(medians));
    child.stdin.write(`${JSON.stringify(job)}\n`);
  });
}

const runs: Record<'this' | 'other', Map<string, number>[]> = { this: [], other: [] };
for (let r = 0; r < rounds; r++) {
  // alternate which goes first
  for (const side of r % 2 === 0 ? (['other', 'this'] as const) : (['this', 'other'] as const)) {
    runs[side].push(await runPeer(side === 'this' ? here : other));
    process.stderr.write(`round ${r + 1}/${rounds} ${side} done\n`);
  }
}
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// The paired ratio: each round's this ÷ other, the two processes run back to back so that
// they share the machine's state of the moment; its median and the middle half of the rounds
// say more than the ratio of the two sides' medians when the machine drifts.
console.log(`| workload | ${path.basename(other)} (other) | this | this ÷ other | paired ratio: median (middle half) | rounds |`);
console.log('|---|---|---|---|---|---|');
for (const w of workloads) {
  const a = runs.other.map((m) => m.get(w.id));
  const b = runs.this.map((m) => m.get(w.id));
  const pairs = a.flatMap((x, r) => (x !== undefined && b[r] !== undefined ? [(b[r] as number) / x] : [])).sort((p, q) => p - q);
  const as = a.filter((v): v is number => v !== undefined);
  const bs = b.filter((v): v is number => v !== undefined);
  if (pairs.length === 0) continue;
  const unit = w.unit === 'µs' ? 1e3 : w.unit === 's' ? 1e-3 : 1;
  const fmt = (ms: number) => `${(ms * unit).toPrecision(3)} ${w.unit}`;
  const q = (f: number) => pairs[Math.round(f * (pairs.length - 1))].toFixed(2);
  console.log(`| ${w.id} | ${fmt(median(as))} | ${fmt(median(bs))} | ${(median(bs) / median(as)).toFixed(3)} | ${median(pairs).toFixed(3)} (${q(0.25)}–${q(0.75)}) | ${pairs.length} |`);
}
