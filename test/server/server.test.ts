// trainAsync inside a real node:http server: while a /train request trains, /health requests
// from a second process are answered within about one training step (train, which blocks,
// makes them wait for the whole run).
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { bundles } from '../workers/bundle.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function get(port: number, url: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: url, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - t0));
      })
      .on('error', reject);
  });
}

async function session(sync: boolean): Promise<{ health: number[]; stepMs: number[] }> {
  const { esm, env } = bundles();
  const child: ChildProcess = spawn(process.execPath, [path.join(here, 'server.mjs'), esm], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const messages: Record<string, unknown>[] = [];
  let wake: (() => void) | null = null;
  lines.on('line', (l) => {
    messages.push(JSON.parse(l));
    wake?.();
  });
  const next = async (key: string) => {
    for (;;) {
      const m = messages.find((x) => key in x);
      if (m) return m;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
  try {
    const { port } = (await next('port')) as { port: number };
    for (let i = 0; i < 5; i++) await get(port, '/health'); // warm the connection path
    await get(port, sync ? '/train?sync=1' : '/train');
    const health: number[] = [];
    let done = false;
    const finished = next('done').then((m) => {
      done = true;
      return m as { stepMs: number[] };
    });
    while (!done) {
      health.push(await get(port, '/health'));
      await new Promise((r) => setTimeout(r, 10));
    }
    const { stepMs } = await finished;
    return { health, stepMs };
  } finally {
    child.kill();
  }
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test.serial('a server training with trainAsync answers /health within two training steps', async (t) => {
  const { health, stepMs } = await session(false);
  const step = median(stepMs);
  const worst = Math.max(...health);
  const p90 = health.slice().sort((a, b) => a - b)[Math.floor(0.9 * (health.length - 1))];
  t.log(`${stepMs.length} steps, median ${step.toFixed(1)} ms; ${health.length} /health requests, median ${median(health).toFixed(1)} ms, 90th percentile ${p90.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (longest step ${Math.max(...stepMs).toFixed(1)} ms)`);
  t.true(health.length >= 10, 'the health checks ran while training');
  // A request waits at most for the step in flight. Nine in ten come within two median steps;
  // the worst within two of the longest step (on a loaded machine one step can take several
  // times the median, and a request arriving then waits for it). A train that blocked would
  // keep it waiting for all 80 steps (the control below).
  const longest = Math.max(...stepMs);
  t.true(p90 < 2 * step, `90th percentile /health latency ${p90.toFixed(1)} ms ≥ 2 × ${step.toFixed(1)} ms`);
  t.true(worst < 2 * longest, `worst /health latency ${worst.toFixed(1)} ms ≥ 2 × the longest step, ${longest.toFixed(1)} ms`);
});

test.serial('the blocking train makes /health wait for the whole run (the control)', async (t) => {
  const { health, stepMs } = await session(true);
  const total = stepMs.reduce((a, b) => a + b, 0);
  t.log(`blocked ${Math.max(...health).toFixed(0)} ms of a ${total.toFixed(0)} ms run`);
  t.true(Math.max(...health) > 0.8 * total);
});
