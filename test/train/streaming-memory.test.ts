// Memory is bounded by the loader's buffer, not by the dataset: 2 GB of observations on disk,
// streamed through (shuffled, read ahead by the worker thread), keep the process under 400 MB
// resident while training on them. The first 256 MiB are written by DatasetWriter (one shard
// in memory at a time); the other shards are sparse files, their features a hole that reads
// as zeros without touching the disk (their labels written), so the test reads all 2 GB
// through the loader in seconds and leaves almost nothing on the disk meanwhile.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Adam, DatasetWriter, Dense, FileDataLoader, RNG, type Tensor, logitCrossEntropy, randn, setup, tensor, train } from '../../ts/index.js';

const FEATURES = 1024; // 4 KiB of float32 per observation, plus a 4-byte label
const ROWS = 2 ** 19; // 524,288 observations: 2.15 GB
const SHARD = 2 ** 13; // rows per shard (32 MiB of features)
const WRITTEN = 8 * SHARD; // rows written by DatasetWriter; the rest are sparse shards
const CHUNK = 4096;

const label = (row: number) => row % 10;

/** A shard of the dataset format whose features are a hole (zeros) and whose labels are written. */
function sparseShard(file: string, first: number): void {
  const xBytes = SHARD * FEATURES * 4;
  const header: Record<string, unknown> = {
    __metadata__: { format: 'fluxion.dataset', structure: 'array', fields: '["0","1"]' },
    0: { dtype: 'F32', shape: [SHARD, FEATURES], data_offsets: [0, xBytes] },
    1: { dtype: 'I32', shape: [SHARD], data_offsets: [xBytes, xBytes + SHARD * 4] },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(file, 'w');
  writeSync(fd, head, 0, 8, 0);
  writeSync(fd, Buffer.from(json), 0, json.length, 8);
  const labels = Int32Array.from({ length: SHARD }, (_, j) => label(first + j));
  writeSync(fd, new Uint8Array(labels.buffer), 0, labels.byteLength, 8 + json.length + xBytes);
  closeSync(fd);
}

/** Free bytes on the file system holding `dir` (df), or null when df cannot tell. */
function freeBytes(dir: string): number | null {
  try {
    const out = execFileSync('df', ['-Pk', dir], { encoding: 'utf8' }).trim().split('\n');
    return Number(out[out.length - 1].split(/\s+/)[3]) * 1024;
  } catch {
    return null;
  }
}

test('a 2 GB dataset on disk streams through training with RSS under 400 MB', (t) => {
  const bytes = ROWS * (FEATURES + 1) * 4;
  const free = freeBytes(tmpdir());
  if (free !== null && free < bytes + 2 ** 30) {
    t.log(`skipped: ${tmpdir()} has ${(free / 2 ** 30).toFixed(1)} GB free, the test needs ${((bytes + 2 ** 30) / 2 ** 30).toFixed(1)} GB`);
    t.pass();
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-2gb-'));
  const base = process.memoryUsage().rss;
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  try {
    const t0 = performance.now();
    const rng = new RNG(1);
    const x = randn([CHUNK, FEATURES], { rng });
    const w = new DatasetWriter(dir, { rowsPerShard: SHARD });
    for (let i = 0; i < WRITTEN; i += CHUNK) {
      const y = tensor(Int32Array.from({ length: CHUNK }, (_, j) => label(i + j)));
      w.append([x, y]);
      y.dispose();
      sample();
    }
    t.deepEqual(w.close(), { shards: WRITTEN / SHARD, count: WRITTEN });
    for (let first = WRITTEN; first < ROWS; first += SHARD) sparseShard(path.join(dir, `part-${String(first / SHARD).padStart(5, '0')}.safetensors`), first);
    const shards = ROWS / SHARD;
    const written = performance.now();
    const writePeak = peak;
    (globalThis as { gc?: () => void }).gc?.(); // the writer's garbage is not the loader's memory
    peak = 0;

    const loader = new FileDataLoader<[Tensor, Tensor]>(dir, { batchSize: 1024, shuffle: true, seed: 7, prefetch: 1 });
    t.is(loader.count, ROWS);
    t.true(loader.buffer * (FEATURES + 1) * 4 <= 32 * 2 ** 20, `buffer of ${loader.buffer} rows`);
    // every batch read (checked: each holds labels of every class), a model trained on the first ones
    let batches = 0;
    let rows = 0;
    for (const [xb, yb] of loader) {
      if (batches === 0) t.deepEqual(xb.shape, [1024, FEATURES]);
      rows += yb.shape[0];
      if (batches % 64 === 0) t.is(new Set(yb.data()).size, 10);
      xb.dispose();
      yb.dispose();
      batches++;
      sample();
    }
    t.is(rows, ROWS);
    t.deepEqual(loader.state, { epoch: 1, batch: 0 });
    const model = Dense(FEATURES, 10, undefined, { rng });
    let steps = 0;
    train((m: typeof model, a: Tensor, b: Tensor) => logitCrossEntropy(m(a), b), model, loader, setup(new Adam(1e-3), model), {
      progress: false,
      callbacks: {
        onStep: () => {
          sample();
          return ++steps === 40 ? 'stop' : undefined;
        },
      },
    });
    loader.close();
    t.is(steps, 40);
    t.log(
      `${shards} shards, ${(bytes / 2 ** 30).toFixed(2)} GiB written in ${((written - t0) / 1000).toFixed(1)} s, read in ${((performance.now() - written) / 1000).toFixed(1)} s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB while streaming, ${(writePeak / 2 ** 20).toFixed(0)} MB while writing, ${(base / 2 ** 20).toFixed(0)} MB at the start`,
    );
    t.true(writePeak < 400 * 2 ** 20, `peak RSS while writing ${(writePeak / 2 ** 20).toFixed(0)} MB`);
    t.true(peak < 400 * 2 ** 20, `peak RSS while streaming ${(peak / 2 ** 20).toFixed(0)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
