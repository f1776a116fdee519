// Datasets on disk, for training on more data than fits in memory: a folder of safetensors
// shards (part-00000.safetensors, ...), each holding the same tensors, observations along
// the first dim. A row of every tensor is one observation, so a run of rows of one tensor is
// one contiguous byte range of its shard: the loader reads blocks of rows at file offsets and
// never holds more than its shuffle buffer. The format is plain safetensors, so shards
// written elsewhere (Python's safetensors) load too.
//
// The writer takes data in pieces (append, as it is produced) and keeps at most one shard in
// memory; each shard is written to a temporary file and renamed into place when complete.
import { closeSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { BYTES_PER_ELEMENT, type DType } from '../dtype.js';
import { ArgumentError, ShapeError, describe, expected, shapeStr } from '../errors.js';
import { numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { CheckpointError, openCheckpoint, writeSafetensorsFile } from './checkpoint.js';
import { callable } from '../callable.js';

/**
 * What a dataset's observations are: one tensor, an array of tensors, or an object of them.
 *
 * ```ts
 * const data: DatasetData = { images: zeros(5, 28, 28), labels: arange(5, { dtype: 'int32' }) };
 * writeDataset('images', data).count;   // 5
 * ```
 */
export type DatasetData = Tensor | readonly Tensor[] | { readonly [k: string]: Tensor };

/** @internal One tensor of the dataset: its name in the shards and one row's shape. */
export interface DatasetField {
  name: string;
  dtype: DType;
  rowShape: number[];
  rowBytes: number;
}
/** @internal One shard: its file, its rows, and where each field's data begins in it. */
export interface DatasetShard {
  file: string;
  rows: number;
  starts: number[];
}
/** @internal A dataset's layout, read from its shards' headers. */
export interface DatasetLayout {
  /** How batches are shaped: the data written was a tensor, an array or an object of tensors. */
  structure: 'tensor' | 'array' | 'object';
  fields: DatasetField[];
  shards: DatasetShard[];
  count: number;
  /** Bytes of one observation, all fields together. */
  recordBytes: number;
}

const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const FORMAT = 'fluxion.dataset';
const TENSOR_NAME = 'data';

function fieldsOf(op: string, data: unknown): { structure: DatasetLayout['structure']; entries: [string, Tensor][] } {
  if (data instanceof Tensor) return { structure: 'tensor', entries: [[TENSOR_NAME, data]] };
  const what = 'a tensor, or an array / object of tensors sharing their first (observation) dim';
  if (data === null || typeof data !== 'object') throw expected(op, 'data', what, data);
  const entries = Object.entries(data) as [string, unknown][];
  if (entries.length === 0) throw expected(op, 'data', what, data);
  for (const [k, t] of entries) if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: expected tensors in the data, found ${describe(t)} at ${k}`);
  return { structure: Array.isArray(data) ? 'array' : 'object', entries: entries as [string, Tensor][] };
}

/**
 * Options of `DatasetWriter` and `writeDataset`: observations per shard, and whether to replace a
 * dataset already in the folder.
 *
 * ```ts
 * writeDataset('small', arange(10), { rowsPerShard: 4 }).shards;   // 3
 * writeDataset('small', arange(10), { overwrite: true }).shards;   // 1
 * ```
 */
export interface DatasetWriterOptions {
  /** Observations per shard (default: as many as fit in 64 MiB, at least one). */
  rowsPerShard?: number;
  /** Replace the shards of a dataset already in the folder (default: refuse to mix two datasets). */
  overwrite?: boolean;
}

/**
 * Writes a dataset to a folder of safetensors shards, piece by piece: `append(batch)` takes
 * tensors shaped like the first batch's (same structure, names, dtypes and row shapes), any
 * number of observations each; `close()` writes the last shard. At most one shard is held in
 * memory. Read it back with `FileDataLoader`.
 *
 * ```ts
 * const w = new DatasetWriter('shards');
 * for (let i = 0; i < 3; i++) w.append({ x: randn(10, 4), y: arange(10) });
 * w.close().count;   // 30
 * ```
 */
class DatasetWriter {
  readonly folder: string;
  private fields: DatasetField[] | null = null;
  private structure: DatasetLayout['structure'] = 'tensor';
  private rowsPerShard = 0;
  /** per field, the pending rows' bytes (copies), in order */
  private pending: Uint8Array[][] = [];
  private pendingRows = 0;
  private shards = 0;
  private count = 0;
  private closed = false;

  constructor(
    folder: string,
    private readonly opts: DatasetWriterOptions = {},
  ) {
    if (typeof folder !== 'string' || folder === '') throw expected('DatasetWriter', 'folder', 'a folder path', folder);
    const r = opts.rowsPerShard;
    if (r !== undefined && (!Number.isInteger(r) || r < 1)) throw expected('DatasetWriter', 'rowsPerShard', 'a positive integer', r);
    this.folder = folder;
    if (existsSync(folder)) {
      if (!statSync(folder).isDirectory()) throw new ArgumentError(`DatasetWriter: ${folder} exists and is not a folder`);
      const old = readdirSync(folder).filter((f) => f.endsWith('.safetensors'));
      if (old.length > 0 && !opts.overwrite)
        throw new ArgumentError(`DatasetWriter: ${folder} already holds ${old.length} .safetensors file${old.length === 1 ? '' : 's'}; pass { overwrite: true } to replace them`);
      for (const f of old) rmSync(path.join(folder, f));
    } else mkdirSync(folder, { recursive: true });
  }

  /** Adds the observations of `batch` (their first dim); writes a shard whenever one is full. */
  append(batch: DatasetData): void {
    if (this.closed) throw new ArgumentError('DatasetWriter.append: the writer is closed');
    const { structure, entries } = fieldsOf('DatasetWriter.append', batch);
    for (const [k, t] of entries) if (t.ndim === 0) throw new ShapeError(`DatasetWriter.append: tensors need a first (observation) dim; '${k}' is 0-d`);
    const rows = entries[0][1].shape[0];
    for (const [k, t] of entries)
      if (t.shape[0] !== rows)
        throw new ShapeError(`DatasetWriter.append: every tensor needs the same number of observations (first dim); got ${shapeStr(entries[0][1].shape)} and ${shapeStr(t.shape)} at '${k}'`);
    if (this.fields === null) {
      this.structure = structure;
      this.fields = entries.map(([name, t]) => {
        const rowShape = t.shape.slice(1);
        return { name, dtype: t.dtype, rowShape, rowBytes: numel(rowShape) * BYTES_PER_ELEMENT[t.dtype] };
      });
      const record = this.fields.reduce((n, f) => n + f.rowBytes, 0);
      this.rowsPerShard = this.opts.rowsPerShard ?? Math.max(1, Math.floor((64 * 2 ** 20) / Math.max(1, record)));
      this.pending = this.fields.map(() => []);
    } else {
      const want = this.fields;
      const same =
        structure === this.structure &&
        entries.length === want.length &&
        entries.every(([k, t], i) => k === want[i].name && t.dtype === want[i].dtype && shapeStr(t.shape.slice(1)) === shapeStr(want[i].rowShape));
      if (!same)
        throw new ArgumentError(
          `DatasetWriter.append: expected a batch shaped like the first (${describeFields(this.structure, want)}), got ${describeFields(structure, entries.map(([k, t]) => ({ name: k, dtype: t.dtype, rowShape: t.shape.slice(1) })))}`,
        );
    }
    const fields = this.fields;
    entries.forEach(([, t], i) => {
      const data = t.data(); // already a copy of the tensor's elements, kept as it is
      this.pending[i].push(new Uint8Array(data.buffer, data.byteOffset, rows * fields[i].rowBytes));
    });
    this.pendingRows += rows;
    this.count += rows;
    while (this.pendingRows >= this.rowsPerShard) this.flush(this.rowsPerShard);
  }

  /** Writes the last shard; returns the shard and observation counts. */
  close(): { shards: number; count: number } {
    if (!this.closed) {
      if (this.fields === null) throw new ArgumentError('DatasetWriter.close: nothing was appended (a dataset needs at least one observation)');
      if (this.pendingRows > 0) this.flush(this.pendingRows);
      this.closed = true;
    }
    return { shards: this.shards, count: this.count };
  }

  /** Writes the first `rows` pending rows as the next shard. */
  private flush(rows: number): void {
    const fields = this.fields as DatasetField[];
    const header: Record<string, unknown> = {
      __metadata__: { format: FORMAT, structure: this.structure, fields: JSON.stringify(fields.map((f) => f.name)) },
    };
    let offset = 0;
    for (const f of fields) {
      const n = rows * f.rowBytes;
      header[f.name] = { dtype: CODES[f.dtype], shape: [rows, ...f.rowShape], data_offsets: [offset, offset + n] };
      offset += n;
    }
    const file = path.join(this.folder, `part-${String(this.shards).padStart(5, '0')}.safetensors`);
    writeSafetensorsFile('DatasetWriter', file, header, (write) => {
      fields.forEach((f, i) => {
        let left = rows * f.rowBytes;
        const chunks = this.pending[i];
        while (left > 0) {
          const c = chunks[0];
          if (c.length <= left) {
            write(c);
            left -= c.length;
            chunks.shift();
          } else {
            write(c.subarray(0, left));
            chunks[0] = c.subarray(left);
            left = 0;
          }
        }
      });
    });
    this.pendingRows -= rows;
    this.shards++;
  }
}


function fieldsStr(fs: { name: string; dtype: DType; rowShape: number[] }[]): string {
  return fs.map((f) => `${f.name}: ${f.dtype} rows ${shapeStr(f.rowShape)}`).join(', ');
}
function describeFields(structure: string, fs: { name: string; dtype: DType; rowShape: number[] }[]): string {
  return `${structure} of ${fieldsStr(fs)}`;
}

/**
 * Writes `data` (tensors sharing their first dim) to a folder of safetensors shards in one call.
 *
 * ```ts
 * writeDataset('train', [randn(100, 4), arange(100)]).count;   // 100
 * FileDataLoader<[Tensor, Tensor]>('train', { batchSize: 32, prefetch: 0 }).length;   // 4
 * ```
 */
export function writeDataset(folder: string, data: DatasetData, opts: DatasetWriterOptions = {}): { shards: number; count: number } {
  const w = new DatasetWriter(folder, opts);
  w.append(data);
  return w.close();
}

/**
 * @internal The layout of a dataset: a folder of safetensors shards (every `.safetensors` file
 * in it, in name order) or one safetensors file. Every shard must hold the same tensors
 * (names, dtypes, row shapes), all with the shard's number of rows.
 */
export function openDataset(op: string, source: string): DatasetLayout {
  if (typeof source !== 'string' || source === '') throw expected(op, 'source', 'a folder of .safetensors shards or a .safetensors file', source);
  let files: string[];
  try {
    files = statSync(source).isDirectory()
      ? readdirSync(source)
          .filter((f) => f.endsWith('.safetensors'))
          .sort()
          .map((f) => path.join(source, f))
      : [source];
  } catch (e) {
    throw new ArgumentError(`${op}: cannot read ${source}: ${(e as Error).message}`);
  }
  if (files.length === 0) throw new ArgumentError(`${op}: ${source} holds no .safetensors shards`);
  let layout: DatasetLayout | null = null;
  for (const file of files) {
    const ck = openCheckpoint(file, op);
    closeSync(ck.fd);
    const meta = ck.metadata;
    const ours = meta.format === FORMAT;
    let names: string[];
    if (ours) {
      try {
        names = JSON.parse(meta.fields) as string[];
      } catch {
        throw new CheckpointError(`${op}: ${file} has bad dataset metadata (fields)`);
      }
      if (!Array.isArray(names) || names.some((n) => !ck.entries.has(n)) || names.length !== ck.entries.size)
        throw new CheckpointError(`${op}: ${file}: its dataset metadata names fields (${String(names)}) that are not its tensors (${[...ck.entries.keys()].join(', ')})`);
    } else names = [...ck.entries.keys()].sort();
    if (names.length === 0) throw new CheckpointError(`${op}: ${file} holds no tensors`);
    const entries = names.map((n) => [n, ck.entries.get(n)] as const);
    const rows = entries[0][1]?.shape[0];
    for (const [n, e] of entries) {
      if (e === undefined || e.shape.length === 0) throw new CheckpointError(`${op}: ${file}: tensor '${n}' has no first (observation) dim`);
      if (e.dtype === 'int64') throw new CheckpointError(`${op}: ${file}: tensor '${n}' is int64, which Fluxion has no dtype for (expected float32, float64 or int32)`);
      if (e.shape[0] !== rows)
        throw new CheckpointError(`${op}: ${file}: every tensor needs the same number of observations (first dim); '${names[0]}' has ${rows}, '${n}' has ${e.shape[0]}`);
    }
    const fields: DatasetField[] = entries.map(([name, e]) => {
      const rowShape = (e as { shape: number[] }).shape.slice(1);
      const dtype = (e as { dtype: DType }).dtype;
      return { name, dtype, rowShape, rowBytes: numel(rowShape) * BYTES_PER_ELEMENT[dtype] };
    });
    const shard: DatasetShard = { file, rows: rows as number, starts: entries.map(([, e]) => ck.dataStart + (e as { begin: number }).begin) };
    if (layout === null) {
      const structure = ours && (meta.structure === 'tensor' || meta.structure === 'array') ? meta.structure : 'object';
      layout = { structure, fields, shards: [], count: 0, recordBytes: fields.reduce((n, f) => n + f.rowBytes, 0) };
    } else if (fieldsStr(fields) !== fieldsStr(layout.fields))
      throw new CheckpointError(`${op}: the shards of ${source} differ: ${files[0]} holds ${fieldsStr(layout.fields)}, ${file} holds ${fieldsStr(fields)}`);
    layout.shards.push(shard);
    layout.count += shard.rows;
  }
  const l = layout as DatasetLayout;
  if (l.count === 0) throw new ArgumentError(`${op}: ${source} holds no observations`);
  return l;
}

// Constructible with or without `new` (ts/callable.ts).
const DatasetWriter_ = callable(DatasetWriter);
type DatasetWriter_ = DatasetWriter;
export { DatasetWriter_ as DatasetWriter };
