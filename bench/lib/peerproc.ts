// One peer as a long-lived child process (protocol.ts): started once, then asked to run
// one workload at a time. A child that dies or overruns its time is reported, and every
// workload it did not answer becomes "missing" with that reason.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DONE_PREFIX, type Job, META_PREFIX, type PeerMeta, RESULT_PREFIX, type Result } from './protocol.js';
import type { PeerId, Workload } from './workloads.js';

export interface PeerSpec {
  peer: PeerId;
  /** Peer ids this process reports (the PyTorch child also reports numpy). */
  reports: PeerId[];
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

interface Pending {
  id: string;
  results: Result[];
  resolve: (r: Result[]) => void;
}

export class PeerProcess {
  failure: string | null = null;
  meta: PeerMeta | null = null;
  private child: ChildProcess | null = null;
  private buf = '';
  private err = '';
  private pending: Pending | null = null;
  private exited: Promise<void>;
  private readyWait: Promise<void>;

  constructor(
    readonly spec: PeerSpec,
    job: Job,
    cwd: string,
    private onResult: (r: Result) => void = () => {},
  ) {
    let markReady: () => void = () => {};
    this.readyWait = new Promise((r) => {
      markReady = r;
    });
    let markExit: () => void = () => {};
    this.exited = new Promise((r) => {
      markExit = r;
    });
    try {
      this.child = spawn(spec.cmd, spec.args, { cwd, env: spec.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      this.failure = `could not start ${spec.cmd}: ${(e as Error).message}`;
      markReady();
      markExit();
      return;
    }
    const child = this.child;
    child.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.startsWith(META_PREFIX)) {
          this.meta = JSON.parse(line.slice(META_PREFIX.length)) as PeerMeta;
          markReady();
        } else if (line.startsWith(RESULT_PREFIX)) {
          const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as Result;
          this.pending?.results.push(r);
          this.onResult(r);
        } else if (line.startsWith(DONE_PREFIX)) this.settle();
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.err = (this.err + d.toString()).slice(-4000);
    });
    child.on('error', (e) => {
      this.failure ??= (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${spec.cmd} not found` : e.message;
    });
    child.on('close', (code, signal) => {
      if (this.failure === null && (code !== 0 || signal !== null)) {
        const last = this.err.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
        this.failure = `${spec.peer} exited with ${signal ?? `code ${code}`}${last ? `: ${last.slice(0, 160)}` : ''}`;
      }
      this.failure ??= `${spec.peer} exited`;
      this.child = null;
      this.settle();
      markReady();
      markExit();
    });
    child.stdin?.on('error', () => {});
    child.stdin?.write(`${JSON.stringify(job)}\n`);
  }

  private settle(): void {
    const p = this.pending;
    this.pending = null;
    p?.resolve(p.results);
  }

  /** Resolves once the peer reported META (or died). */
  ready(timeoutMs: number): Promise<void> {
    return this.withTimeout(this.readyWait, timeoutMs, 'starting');
  }

  /** CPU time (clock ticks) used so far by the child, all its threads. */
  cpuTicks(): number {
    const pid = this.child?.pid;
    if (pid === undefined) return 0;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number);
      return f[11] + f[12];
    } catch {
      return 0;
    }
  }

  /** Runs one workload; returns what the peer reported (empty if it died or timed out). */
  async run(w: Workload, timeoutMs: number): Promise<Result[]> {
    if (this.child === null || this.failure !== null) return [];
    const done = new Promise<Result[]>((resolve) => {
      this.pending = { id: w.id, results: [], resolve };
    });
    this.child.stdin?.write(`${JSON.stringify(w)}\n`);
    await this.withTimeout(done, timeoutMs, w.id); // a timeout settles `done` too
    return done;
  }

  private async withTimeout(p: Promise<unknown>, ms: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.failure ??= `${this.spec.peer} timed out after ${(ms / 1000).toFixed(0)} s (${what})`;
        this.child?.kill('SIGKILL');
        this.settle();
        resolve();
      }, ms);
    });
    await Promise.race([p, timeout]);
    clearTimeout(timer);
  }

  /** Ends the child's input and waits for it to exit (killing it after `ms`). */
  async close(ms = 30_000): Promise<void> {
    if (this.child === null) return;
    this.child.stdin?.end();
    const failure = this.failure;
    await this.withTimeout(this.exited, ms, 'closing');
    // A clean exit after the work is done is not a failure.
    this.failure = failure;
  }
}
