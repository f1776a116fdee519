// Reading windows of a file-backed dataset: blocks of rows at file offsets, one buffer per
// field. On the calling thread (readWindow), or ahead of time in a worker thread (Prefetcher)
// that only reads bytes: it loads no Fluxion code (so it starts the same from TypeScript
// sources, the ESM build or the CommonJS one) and transfers each window's ArrayBuffers to
// the loader, which gathers the rows into batches and makes the tensors.
//
// Replies come back on a MessagePort that the loader drains with receiveMessageOnPort, and
// the worker bumps a shared counter after each one: the synchronous `train` waits for a
// window with Atomics.wait, `trainAsync` with Atomics.waitAsync (the event loop runs meanwhile).
import { closeSync, openSync, readSync } from 'node:fs';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { FluxionError } from '../errors.js';
import type { DatasetLayout } from '../io/dataset.js';

/** Rows [start, start + rows) of shard `shard`. */
export type Block = readonly [shard: number, start: number, rows: number];

const MAX_READ = 2 ** 30; // readSync moves at most 2^31 − 1 bytes a call

/** Reads a window's blocks on this thread: for each field, its rows of every block, in block order. */
export function readWindow(
  layout: DatasetLayout,
  fd: (shard: number) => number,
  blocks: readonly Block[],
  capacity: number,
  reuse: Uint8Array[] | null = null,
): Uint8Array[] {
  const total = blocks.reduce((n, b) => n + b[2], 0);
  return layout.fields.map((f, i) => {
    // Windows differ in size (blocks at shard ends are shorter), so each buffer holds the
    // largest (`capacity` rows) and a finished window's buffer is read into again: fresh
    // pages cost a fault each, and dropped buffers pile up until a collection.
    const old = reuse?.[i];
    const n = total * f.rowBytes;
    const buf = old !== undefined && old.buffer.byteLength >= n ? new Uint8Array(old.buffer, 0, n) : new Uint8Array(new ArrayBuffer(capacity * f.rowBytes), 0, n);
    let at = 0;
    for (const [s, start, rows] of blocks) {
      const n = rows * f.rowBytes;
      const pos = layout.shards[s].starts[i] + start * f.rowBytes;
      for (let off = 0; off < n; ) {
        const got = readSync(fd(s), buf, at + off, Math.min(n - off, MAX_READ), pos + off);
        if (got <= 0) throw new FluxionError(`FileDataLoader: ${layout.shards[s].file} ended while reading rows ${start}..${start + rows} (changed while being read?)`);
        off += got;
      }
      at += n;
    }
    return buf;
  });
}

// The worker: plain CommonJS, evaluated from this string (no file to locate, nothing to import).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { port, flag, files, starts, rowBytes, capacity } = workerData;
const fds = new Map();
const fd = (s) => {
  let f = fds.get(s);
  if (f === undefined) { f = fs.openSync(files[s], 'r'); fds.set(s, f); }
  return f;
};
// slot 1 says the worker is gone (so a waiting loader stops waiting and reports it)
process.on('exit', () => { Atomics.store(flag, 1, 1); Atomics.add(flag, 0, 1); Atomics.notify(flag, 0); });
const free = rowBytes.map(() => []); // finished windows' buffers, sent back for reuse
port.on('message', (req) => {
  if (req.recycle) {
    req.recycle.forEach((b, i) => { if (free[i].length < 1) free[i].push(b); });
    return;
  }
  let reply;
  const transfer = [];
  try {
    let total = 0;
    for (const b of req.blocks) total += b[2];
    const lengths = [];
    const buffers = rowBytes.map((rb, i) => {
      // every buffer holds the largest window, so a finished one always fits the next
      const raw = free[i].length > 0 ? free[i].pop() : new ArrayBuffer(capacity * rb);
      const buf = new Uint8Array(raw, 0, total * rb);
      lengths.push(total * rb);
      let at = 0;
      for (const [s, start, rows] of req.blocks) {
        const n = rows * rb;
        const pos = starts[s][i] + start * rb;
        for (let off = 0; off < n; ) {
          const got = fs.readSync(fd(s), buf, at + off, Math.min(n - off, ${MAX_READ}), pos + off);
          if (got <= 0) throw new Error(files[s] + ' ended while reading rows ' + start + '..' + (start + rows) + ' (changed while being read?)');
          off += got;
        }
        at += n;
      }
      transfer.push(raw);
      return raw;
    });
    reply = { id: req.id, buffers, lengths };
  } catch (e) {
    reply = { id: req.id, error: String((e && e.message) || e) };
  }
  port.postMessage(reply, transfer);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

interface Reply {
  id: string;
  buffers?: ArrayBuffer[];
  lengths?: number[];
  error?: string;
}

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string };

/**
 * A worker thread reading windows ahead. Requests are answered in order; `want` names the
 * windows still needed, so answers to abandoned requests are dropped on arrival.
 */
export class Prefetcher {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [replies sent, worker gone] */
  private readonly flag = new Int32Array(new SharedArrayBuffer(8));
  private readonly pending: string[] = [];
  private readonly arrived = new Map<string, Uint8Array[]>();
  private wanted = new Set<string>();

  /** `capacity`: the most rows a window has. */
  constructor(layout: DatasetLayout, capacity: number) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [], // no loaders (tsx) needed: the worker is plain JavaScript
      workerData: {
        port: port2,
        flag: this.flag,
        files: layout.shards.map((s) => s.file),
        starts: layout.shards.map((s) => s.starts),
        rowBytes: layout.fields.map((f) => f.rowBytes),
        capacity,
      },
      transferList: [port2],
    });
    // noticed when the event loop runs (a thread blocked in Atomics.wait learns it from slot 1,
    // which the worker sets when it exits on its own)
    this.worker.on('exit', () => {
      Atomics.store(this.flag, 1, 1);
      Atomics.add(this.flag, 0, 1);
    });
    this.worker.unref(); // a loader left open does not keep the process alive
    this.port.unref();
  }

  /** Asks for the windows in `keys` (in the order they will be needed) not yet asked for; forgets any others. */
  want(keys: readonly { key: string; blocks: readonly Block[] }[]): void {
    this.wanted = new Set(keys.map((k) => k.key));
    for (const k of this.arrived.keys()) if (!this.wanted.has(k)) this.arrived.delete(k);
    for (const { key, blocks } of keys) {
      if (this.arrived.has(key) || this.pending.includes(key)) continue;
      this.pending.push(key);
      this.port.postMessage({ id: key, blocks });
    }
  }

  /** Hands a finished window's buffers back to the worker, to read later windows into. */
  recycle(buffers: Uint8Array[]): void {
    if (!buffers.every((b) => b.byteOffset === 0)) return;
    const raw = buffers.map((b) => b.buffer as ArrayBuffer);
    this.port.postMessage({ recycle: raw }, raw);
  }

  /** Whether window `key` is here (taking in whatever replies have come). */
  ready(key: string): boolean {
    this.drain();
    return this.arrived.has(key);
  }

  /** Window `key` (asked for with `want`), waiting for it while blocking the thread. */
  takeSync(key: string): Uint8Array[] {
    for (;;) {
      const v = Atomics.load(this.flag, 0);
      const got = this.take(key);
      if (got !== null) return got;
      Atomics.wait(this.flag, 0, v, 1000);
    }
  }

  /** Window `key`, waiting for it without blocking the event loop. */
  async takeAsync(key: string): Promise<Uint8Array[]> {
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    // a pending waitAsync does not keep the process alive: the worker does while it is awaited
    this.worker.ref();
    try {
      for (;;) {
        const v = Atomics.load(this.flag, 0);
        const got = this.take(key);
        if (got !== null) return got;
        const r = waitAsync(this.flag, 0, v);
        if (r.async) await r.value;
      }
    } finally {
      this.worker.unref();
    }
  }

  private take(key: string): Uint8Array[] | null {
    this.drain();
    const got = this.arrived.get(key);
    if (got !== undefined) {
      this.arrived.delete(key);
      return got;
    }
    if (!this.pending.includes(key)) throw new FluxionError(`FileDataLoader: window ${key} was never asked for (an internal error)`);
    if (Atomics.load(this.flag, 1) !== 0) {
      this.drain(); // a reply sent just before it ended
      const last = this.arrived.get(key);
      if (last !== undefined) {
        this.arrived.delete(key);
        return last;
      }
      throw new FluxionError('FileDataLoader: the worker thread reading ahead stopped (out of memory, or terminated); close() the loader, or pass prefetch: 0');
    }
    return null;
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const r = m.message as Reply;
      const i = this.pending.indexOf(r.id);
      if (i >= 0) this.pending.splice(i, 1);
      if (r.error !== undefined) throw new FluxionError(`FileDataLoader: reading the dataset failed: ${r.error}`);
      const lengths = r.lengths as number[];
      if (this.wanted.has(r.id)) this.arrived.set(r.id, (r.buffers as ArrayBuffer[]).map((b, i) => new Uint8Array(b, 0, lengths[i])));
    }
  }

  /** @internal Ends the worker as a crash would (tests). */
  _kill(): Promise<number> {
    return this.worker.terminate();
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/** Opens each shard once, on first use. */
export class ShardFiles {
  private readonly fds = new Map<number, number>();
  constructor(private readonly layout: DatasetLayout) {}
  fd = (s: number): number => {
    let f = this.fds.get(s);
    if (f === undefined) {
      f = openSync(this.layout.shards[s].file, 'r');
      this.fds.set(s, f);
    }
    return f;
  };
  close(): void {
    for (const f of this.fds.values()) closeSync(f);
    this.fds.clear();
  }
}
