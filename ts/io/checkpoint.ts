// Checkpoints in the safetensors format: an 8-byte little-endian header length, a JSON
// header ({name: {dtype, shape, data_offsets}}, plus "__metadata__" of strings), then
// the raw little-endian data. Tensor names are the model's paths (`layers.0.weight`);
// optimiser state goes under `optim.<path>.<field>`, its plain numbers (Adam's step count)
// in the metadata.
//
// Saving is atomic: write a temporary file, fsync it, rename it over the old one, fsync
// the folder. A crash mid-save leaves the previous checkpoint intact, and the next save
// removes the temporary files such crashes left behind.
//
// Loading believes nothing it has not checked. The file must be a regular file; the header
// valid UTF-8 JSON without duplicate keys, its entries' byte ranges tiling the data exactly
// (no gaps, no overlaps, nothing after); every tensor of the model (and of the optimiser
// state) present with its shape and dtype and writable, every saved optimiser number of
// the type and range the live state holds there, nothing in the file that the model lacks
// (unless `strict: false`), `extra` readable. Only then are the tensors read (into fresh
// arrays) and only then is anything written: on any error the model and the optimiser state
// are exactly as they were.
//
// Tensors are read and written in chunks at file offsets, never through one buffer for the
// whole file, so the size of a checkpoint is bounded by the disk, not by Buffer limits.
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { ArgumentError, FluxionError, describe, expected, shapeStr } from '../errors.js';
import { checkTarget } from '../ops/inplace.js';
import { type Leaf, type StateTree, stateLeaves } from '../optim/state.js';
import { numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { childAt, collectWithPaths, fcollect, joinPath } from '../tree.js';
import { callable } from '../callable.js';

/**
 * A checkpoint that cannot be read: truncated, malformed, or not matching the model.
 *
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('broken.safetensors', 'not a checkpoint');
 * let err: unknown;
 * try {
 *   loadState('broken.safetensors', Dense(2, 3));
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof CheckpointError;   // true
 * ```
 */
class CheckpointError extends FluxionError {
  override name = 'CheckpointError';
}

/**
 * @internal Sizes of the file I/O, and counts of the read and write calls made: tests lower
 * `chunkBytes` to exercise the chunked paths with small tensors.
 */
export const _io = {
  /** The most bytes one read or write call moves (readSync/writeSync take at most 2^31 − 1). */
  chunkBytes: 256 * 2 ** 20,
  /** The largest header accepted (the safetensors limit). */
  headerLimit: 100_000_000,
  reads: 0,
  writes: 0,
};

const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
/**
 * The element types a checkpoint may hold. `int64` has no Fluxion dtype: PyTorch writes its
 * counters in it (BatchNorm's `num_batches_tracked`), so a file holding one is readable, and
 * such an entry loads into nothing (rename it away, or `loadTorchState` drops it).
 *
 * ```ts
 * saveState('w.safetensors', Dense(2, 3));
 * const d: StoredDType | undefined = readSafetensors('w.safetensors').entries.get('weight')?.dtype;
 * d;   // 'float32'
 * ```
 */
export type StoredDType = DType | 'int64';
const DTYPES: Record<string, StoredDType> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int64' };
const BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8 };
const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array };
const METADATA = '__metadata__';

function chunk(): number {
  return Math.max(1, Math.min(Math.floor(_io.chunkBytes), 2 ** 31 - 1));
}

/** Flattens an optimiser state value (the model walk over it) into tensors and plain numbers, by path. */
function flattenState(prefix: string, v: unknown, tensors: [string, Tensor][], numbers: Record<string, unknown>): void {
  for (const [path, x] of fcollect(v, { keep: (y) => y instanceof Tensor || typeof y === 'number' || y === null })) {
    const key = joinPath(prefix, path);
    if (x instanceof Tensor) tensors.push([key, x]);
    else numbers[key] = x;
  }
}

// ---------------------------------------------------------------------------------------
// Names: the flattened paths must identify one value each

/** How a sequence of keys is written in an error message: model.layers[0].weight, model["a.b"]. */
function keysStr(root: string, keys: string[]): string {
  return root + keys.map((k) => (/^\d+$/.test(k) ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('');
}

/** The key sequences from `node` to `target` whose joined path is `name` (a key may itself contain dots). */
function keySequences(node: unknown, name: string, target: unknown): string[][] {
  const out: string[][] = [];
  for (let i = name.indexOf('.'); ; i = name.indexOf('.', i + 1)) {
    const end = i < 0 ? name.length : i;
    const key = name.slice(0, end);
    const child = childAt(node, key);
    if (child !== undefined) {
      if (end === name.length) {
        if (child === target) out.push([key]);
      } else for (const rest of keySequences(child, name.slice(end + 1), target)) out.push([key, ...rest]);
    }
    if (i < 0) return out;
  }
}

/** Where a named value comes from, for an error message. */
type Source = { kind: 'model'; value: unknown } | { kind: 'optim'; leaf: string; value: unknown };

function sourceStr(model: unknown, name: string, s: Source): string {
  const what = s.value instanceof Tensor ? `${s.value.dtype} ${shapeStr(s.value.shape)}` : describe(s.value);
  if (s.kind === 'optim') return `the optimiser state of '${s.leaf}' (${what})`;
  const seq = keySequences(model, name, s.value)[0];
  return seq ? `${keysStr('model', seq)} (${what})` : `a model tensor (${what})`;
}

/**
 * Records `name` for `source`, or throws an ArgumentError naming both values when another
 * one already has that name (`'a.b'` as one key and `a: { b }` flatten alike).
 */
function claim(op: string, names: Map<string, Source>, model: unknown, name: string, source: Source): void {
  if (name === METADATA) throw new ArgumentError(`${op}: the name '${METADATA}' is reserved by the file format, but ${sourceStr(model, name, source)} has it; rename that field`);
  const other = names.get(name);
  if (other !== undefined)
    throw new ArgumentError(
      `${op}: two values would be saved under the one name '${name}': ${sourceStr(model, name, other)} and ${sourceStr(model, name, source)}; ` +
        "rename a field (a key containing '.' collides with a nested path)",
    );
  names.set(name, source);
}

// ---------------------------------------------------------------------------------------
// Saving

/** Writes all of `bytes` at the current position, at most `_io.chunkBytes` per call. */
function writeAll(op: string, fd: number, bytes: Uint8Array): void {
  const step = chunk();
  for (let off = 0; off < bytes.length; ) {
    _io.writes++;
    const n = writeSync(fd, bytes, off, Math.min(step, bytes.length - off));
    if (n <= 0) throw new FluxionError(`${op}: the file system accepted no bytes (${bytes.length - off} left to write)`);
    off += n;
  }
}

const TEMP = /^(\d+)-(\d+)$/;

/** True unless process `pid` is known to have ended. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, another user's
  }
}

/**
 * Removes the temporary files earlier saves of `file` left behind when their process died
 * (`${file}.tmp-<pid>-<n>`): those of processes that are no longer alive, and those of this
 * process's pid written before this process started (an earlier process with the same pid).
 * Another live process's temporary file, or one of this process (another thread's save in
 * progress), is never touched.
 */
function removeStaleTemps(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const started = Date.now() - process.uptime() * 1000 - 1000; // a second's slack for clock steps
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP.exec(name.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    const full = path.join(dir, name);
    try {
      const stale = pid === process.pid ? Number(m[2]) < started && statSync(full).mtimeMs < started : !alive(pid);
      if (stale) rmSync(full, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove: leave it
    }
  }
}

/** Opens a new temporary file next to `file`, exclusively (two saves never share one). */
function openTemp(file: string): { tmp: string; fd: number } {
  for (let n = Date.now(); ; n++) {
    const tmp = `${file}.tmp-${process.pid}-${n}`;
    try {
      return { tmp, fd: openSync(tmp, 'wx') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * @internal Writes a safetensors file atomically, for checkpoints and dataset shards alike:
 * the 8-byte header length, `header` as JSON (padded so the data is 8-byte aligned), then what
 * `body` writes, into an exclusive temporary file next to `file` that is fsynced and renamed
 * over it, and the folder fsynced. When anything fails (body may throw), the temporary file
 * is removed and `file` is untouched.
 */
export function writeSafetensorsFile(op: string, file: string, header: Record<string, unknown>, body: (write: (bytes: Uint8Array) => void) => void): void {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keep the data 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  removeStaleTemps(file);
  const { tmp, fd } = openTemp(file);
  try {
    writeAll(op, fd, head);
    writeAll(op, fd, Buffer.from(json));
    body((bytes) => writeAll(op, fd, bytes));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  try {
    const dir = openSync(path.dirname(path.resolve(file)), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // some filesystems cannot fsync a folder; the rename itself is still atomic
  }
}

export interface SaveOptions {
  /** Save even tensors holding NaN or infinities (refused by default: a diverged model). */
  allowNonFinite?: boolean;
}

/**
 * Writes the model's tensors (and the optimiser state, and any JSON-able `extra`) to `file`
 * atomically. Two values whose paths flatten to one name (`'a.b'` and `a: { b }`) are an
 * ArgumentError naming both, before anything is written.
 *
 * ```ts
 * const m = Chain(Dense(2, 3, relu), Dense(3, 1));
 * const opt = setup(Adam(), m);
 * saveState('run.safetensors', m, opt, { epoch: 3 });
 * (loadState('run.safetensors', m, opt).extra as { epoch: number }).epoch;   // 3
 * ```
 */
export function saveState(file: string, model: unknown, optState?: StateTree, extra?: unknown, opts: SaveOptions = {}): void {
  if (typeof file !== 'string' || file === '') throw expected('saveState', 'file', 'a file path', file);
  const names = new Map<string, Source>();
  const entries: [string, Tensor][] = [];
  for (const [name, t] of collectWithPaths(model)) {
    claim('saveState', names, model, name, { kind: 'model', value: t });
    entries.push([name, t]);
  }
  const meta: Record<string, string> = { format: 'fluxion' };
  if (optState !== undefined && optState !== null) {
    const numbers: Record<string, unknown> = {};
    const leaves: Record<string, { rule: string; frozen: boolean }> = {};
    for (const [p, leaf] of stateLeaves(optState)) {
      leaves[p] = { rule: leaf.rule.toString(), frozen: leaf.frozen };
      const tensors: [string, Tensor][] = [];
      const nums: Record<string, unknown> = {};
      flattenState(`optim.${p}`, leaf.state, tensors, nums);
      for (const [name, t] of tensors) {
        claim('saveState', names, model, name, { kind: 'optim', leaf: p, value: t });
        entries.push([name, t]);
      }
      for (const [name, x] of Object.entries(nums)) {
        claim('saveState', names, model, name, { kind: 'optim', leaf: p, value: x });
        if (typeof x === 'number' && !Number.isFinite(x))
          throw new ArgumentError(`saveState: the optimiser state of '${p}' holds ${x} at '${name}', which a checkpoint cannot restore`);
        numbers[name] = x;
      }
    }
    meta['fluxion.optim'] = JSON.stringify({ leaves, numbers });
  }
  if (extra !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(extra);
    } catch (e) {
      throw new ArgumentError(`saveState: extra cannot be written as JSON: ${(e as Error).message}`);
    }
    if (json === undefined) throw expected('saveState', 'extra', 'a JSON-able value', extra);
    meta['fluxion.extra'] = json;
  }
  for (const [name, t] of entries) if (t.disposed) throw new ArgumentError(`saveState: the tensor '${name}' of shape ${shapeStr(t.shape)} was disposed`);

  // the header first (the offsets follow from shapes and dtypes), then each tensor's bytes
  const header: Record<string, unknown> = { [METADATA]: meta };
  let offset = 0;
  for (const [name, t] of entries) {
    const n = t.size * BYTES[CODES[t.dtype]];
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  writeSafetensorsFile('saveState', file, header, (write) => {
    for (const [name, t] of entries) {
      const data = t.data(); // one tensor's copy at a time
      // A diverged model is not saved over a good checkpoint (the rename never happens).
      if (!opts.allowNonFinite && t.dtype !== 'int32') {
        let bad = 0;
        for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
        if (bad > 0)
          throw new CheckpointError(
            `saveState: '${name}' holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or infinite); not saving over ${file} (pass { allowNonFinite: true } to save them anyway)`,
          );
      }
      write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });
}

// ---------------------------------------------------------------------------------------
// Reading: the header, checked; tensors read from their offsets on demand

/**
 * The first key that appears twice in one object of `text` (valid JSON, already parsed), as
 * `key (in path)`; null when every object's keys are distinct. `JSON.parse` silently keeps the
 * last of two equal keys, so a doctored file could say one thing to one reader and another to
 * the next. A tokenizer over the text: strings (keys decoded, so "a" and "\u0061" are equal),
 * brackets, commas and colons; every other token is skipped.
 */
export function duplicateKey(text: string): string | null {
  type Frame = { keys: Set<string> | null; expectKey: boolean; last: string; index: number; path: string };
  const stack: Frame[] = [];
  const here = (f: Frame | undefined): string => (f === undefined ? '' : f.keys ? f.last : String(f.index));
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j++;
        }
        j++;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) return `${JSON.stringify(key)}${top.path ? ` (in ${top.path})` : ''}`;
        top.keys.add(key);
        top.last = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const at = parent === undefined ? '' : joinPath(parent.path, here(parent));
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b, last: '', index: 0, path: at });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return null;
}

/** JSON text from a checkpoint (`what` it is, as in 'a bad header'): parsed, with duplicate keys refused. */
function parseJSON(op: string, file: string, what: string, text: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${op}: ${file} has ${what}: ${(e as Error).message}`);
  }
  const dup = duplicateKey(text);
  if (dup !== null) throw new CheckpointError(`${op}: ${file} has ${what}: the key ${dup} appears twice`);
  return v;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** @internal */
export interface Layout {
  dtype: StoredDType;
  shape: number[];
  begin: number;
  end: number;
  /** The tensor itself, for an in-memory source (begin and end are then 0). */
  tensor?: Tensor;
}

/** @internal A safetensors file whose header was checked (datasets read their shards through it). */
export interface Opened {
  fd: number;
  file: string;
  op: string;
  dataStart: number;
  entries: Map<string, Layout>;
  metadata: Record<string, string>;
}

/** Reads exactly `bytes.length` bytes at `position`, in chunks. */
function readAll(ck: Opened, bytes: Uint8Array, position: number, name: string): void {
  const step = chunk();
  for (let off = 0; off < bytes.length; ) {
    _io.reads++;
    let n: number;
    try {
      n = readSync(ck.fd, bytes, off, Math.min(step, bytes.length - off), position + off);
    } catch (e) {
      throw new CheckpointError(`${ck.op}: cannot read ${name} from ${ck.file}: ${(e as Error).message}`);
    }
    if (n <= 0) throw new CheckpointError(`${ck.op}: ${ck.file} ended while reading ${name} (changed while being read?)`);
    off += n;
  }
}

/** A fresh typed array holding the entry's elements. */
function readEntry(ck: Opened, name: string, e: Layout): Float32Array | Float64Array | Int32Array | BigInt64Array {
  if (e.tensor !== undefined) return e.tensor.data() as Float32Array | Float64Array | Int32Array;
  let arr: Float32Array | Float64Array | Int32Array | BigInt64Array;
  try {
    arr = new ARRAYS[e.dtype](numel(e.shape));
  } catch (err) {
    throw new CheckpointError(`${ck.op}: cannot allocate ${e.end - e.begin} bytes for '${name}' of ${ck.file}: ${(err as Error).message}`);
  }
  readAll(ck, new Uint8Array(arr.buffer), ck.dataStart + e.begin, `'${name}'`);
  return arr;
}

/** @internal Opens a safetensors file and checks its header; the caller closes `fd`. */
export function openCheckpoint(file: string, op: string): Opened {
  if (typeof file !== 'string' || file === '') throw expected(op, 'file', 'a file path', file);
  let fd: number;
  try {
    // non-blocking, so that opening a FIFO does not wait for a writer
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new CheckpointError(`${op}: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return checkHeader(fd, file, op);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function checkHeader(fd: number, file: string, op: string): Opened {
  const st = fstatSync(fd);
  if (!st.isFile()) {
    const kind = st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isCharacterDevice()
          ? 'a character device'
          : st.isBlockDevice()
            ? 'a block device'
            : st.isSocket()
              ? 'a socket'
              : 'a special file';
    throw new CheckpointError(`${op}: ${file} is ${kind}, not a checkpoint file`);
  }
  const size = st.size;
  const ck: Opened = { fd, file, op, dataStart: 0, entries: new Map(), metadata: {} };
  if (size < 8) throw new CheckpointError(`${op}: ${file} is truncated (${size} bytes, no header)`);
  const head = Buffer.alloc(8);
  readAll(ck, head, 0, 'the header length');
  const big = head.readBigUInt64LE(0);
  if (big > BigInt(size - 8)) throw new CheckpointError(`${op}: ${file} is truncated or corrupt: header of ${big} bytes in a ${size}-byte file`);
  const n = Number(big);
  if (n > _io.headerLimit) throw new CheckpointError(`${op}: ${file} has a header of ${n} bytes, more than the ${_io.headerLimit} a checkpoint may have`);
  const raw = Buffer.alloc(n);
  readAll(ck, raw, 8, 'the header');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new CheckpointError(`${op}: ${file} has a bad header (not UTF-8)`);
  }
  // the format: a JSON object from the first byte, padded at the end with spaces only
  let last = text.length - 1;
  while (last >= 0 && text.charCodeAt(last) === 0x20) last--;
  if (text.charCodeAt(0) !== 0x7b || text.charCodeAt(last) !== 0x7d)
    throw new CheckpointError(`${op}: ${file} has a bad header (expected a JSON object from its first byte, padded with spaces only: is the header length wrong?)`);
  const header = parseJSON(op, file, 'a bad header', text);
  if (!isPlainObject(header)) throw new CheckpointError(`${op}: ${file} has a bad header (not an object)`);

  const dataStart = 8 + n;
  const dataLen = size - dataStart;
  ck.dataStart = dataStart;
  for (const [name, v] of Object.entries(header)) {
    if (name === METADATA) {
      if (!isPlainObject(v) || Object.values(v).some((s) => typeof s !== 'string'))
        throw new CheckpointError(`${op}: ${file} has bad ${METADATA} (expected an object of strings, got ${describe(v)})`);
      ck.metadata = v as Record<string, string>;
      continue;
    }
    const bad = (why: string) => new CheckpointError(`${op}: ${file}: entry '${name}' ${why}`);
    if (!isPlainObject(v)) throw bad('is not an object');
    const extraKey = Object.keys(v).find((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
    if (extraKey !== undefined) throw bad(`has an unknown field '${extraKey}' (expected dtype, shape and data_offsets only)`);
    const { dtype, shape, data_offsets: offsets } = v as { dtype: unknown; shape: unknown; data_offsets: unknown };
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) throw bad(`has dtype ${JSON.stringify(dtype)} (expected F32, F64, I32 or I64)`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad('has a bad shape');
    if (!Array.isArray(offsets) || offsets.length !== 2) throw bad('has bad data_offsets');
    const [b, end] = offsets;
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(end) || b < 0 || end < b || end > dataLen)
      throw bad(`has data_offsets [${b}, ${end}] outside the ${dataLen} data bytes (truncated file?)`);
    if (end - b !== numel(shape) * BYTES[dtype]) throw bad(`has ${end - b} bytes for shape ${shapeStr(shape)}`);
    ck.entries.set(name, { dtype: DTYPES[dtype], shape, begin: b, end });
  }
  // the byte ranges tile the data: sorted, each begins where the last ended, the last ends at the end
  const sorted = [...ck.entries].sort(([, x], [, y]) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  let prev = '';
  for (const [name, e] of sorted) {
    if (e.begin < at)
      throw new CheckpointError(`${op}: ${file}: entries '${prev}' and '${name}' overlap (bytes [${e.begin}, ${Math.min(at, e.end)}) of the data belong to both)`);
    if (e.begin > at) throw new CheckpointError(`${op}: ${file}: data bytes [${at}, ${e.begin}) belong to no entry (a gap before '${name}')`);
    if (e.end > e.begin) {
      at = e.end;
      prev = name;
    }
  }
  if (at !== dataLen) throw new CheckpointError(`${op}: ${file}: the last ${dataLen - at} data bytes belong to no entry (header length wrong, or bytes appended?)`);
  return ck;
}

/**
 * Parses and validates a safetensors file: every entry's dtype, shape and byte range.
 *
 * ```ts
 * saveState('dense.safetensors', Dense(2, 3));
 * const { entries } = readSafetensors('dense.safetensors');
 * [...entries.keys()].sort();   // ['bias', 'weight']
 * entries.get('weight')?.shape;   // [3, 2]
 * ```
 */
export function readSafetensors(file: string): { entries: Map<string, { dtype: StoredDType; shape: number[]; data: Uint8Array }>; metadata: Record<string, string> } {
  const ck = openCheckpoint(file, 'readSafetensors');
  try {
    const entries = new Map<string, { dtype: StoredDType; shape: number[]; data: Uint8Array }>();
    for (const [name, e] of ck.entries) {
      const arr = readEntry(ck, name, e);
      entries.set(name, { dtype: e.dtype, shape: e.shape, data: new Uint8Array(arr.buffer) });
    }
    return { entries, metadata: ck.metadata };
  } finally {
    closeSync(ck.fd);
  }
}

// ---------------------------------------------------------------------------------------
// Loading: check everything, read, then write

/** Checks that entry `e` can be loaded into `t` (of the model, or of the optimiser state). */
function check(file: string, name: string, t: Tensor, e: Layout | undefined, of = 'the model', from = name): asserts e is Layout {
  if (e === undefined) throw new CheckpointError(`loadState: ${file} has no tensor '${name}' (${of} has one of shape ${shapeStr(t.shape)})`);
  if (e.dtype !== t.dtype || e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
    const named = from === name ? `'${name}'` : `'${from}' (renamed '${name}')`;
    throw new CheckpointError(`loadState: ${named} is ${e.dtype} ${shapeStr(e.shape)} in ${file} but ${t.dtype} ${shapeStr(t.shape)} in ${of}`);
  }
  try {
    checkTarget('loadState', t); // read-only, broadcast view, disposed, tracked by a running gradient
  } catch (err) {
    throw new CheckpointError(`loadState: cannot load '${name}' of ${file} into its tensor: ${(err as Error).message}`, { cause: err });
  }
}

interface SavedOptim {
  leaves: Record<string, unknown>;
  numbers: Record<string, unknown>;
}

function savedOptim(ck: Opened): SavedOptim | null {
  const text = ck.metadata['fluxion.optim'];
  if (text === undefined) return null;
  const bad = (why: string) => new CheckpointError(`loadState: ${ck.file} has unreadable optimiser metadata (${why})`);
  const v = parseJSON('loadState', ck.file, 'unreadable optimiser metadata', text);
  if (!isPlainObject(v) || !isPlainObject(v.leaves) || !isPlainObject(v.numbers)) throw bad('expected an object { leaves, numbers }');
  for (const [p, l] of Object.entries(v.leaves))
    if (!isPlainObject(l) || typeof l.rule !== 'string' || typeof l.frozen !== 'boolean') throw bad(`the entry for '${p}' is not { rule, frozen }`);
  for (const [k, x] of Object.entries(v.numbers))
    if (x !== null && (typeof x !== 'number' || !Number.isFinite(x))) throw bad(`'${k}' is ${describe(x)}, not a finite number or null`);
  return { leaves: v.leaves, numbers: v.numbers };
}

/**
 * Checks a saved optimiser number against what the live state holds at `path` (inside one
 * Leaf's state): the same type, finite, and a step count (`t`) a non-negative integer.
 * Returns what is wrong, or null.
 */
function badNumber(path: string, live: unknown, saved: unknown): string | null {
  if (live === null) return saved === null ? null : `is ${describe(saved)} in the file but null in the optimiser state`;
  if (typeof saved !== 'number') return `is ${describe(saved)} in the file but a number in the optimiser state`;
  if (!Number.isFinite(saved)) return `is ${saved}, not a finite number`;
  if ((path === 't' || path.endsWith('.t')) && !(Number.isSafeInteger(saved) && saved >= 0)) return `is ${saved}, but a step count must be a non-negative integer`;
  return null;
}

/** One pending write of an optimiser number into a Leaf's state, at the path flattenState found it. */
function setNumber(leaf: Leaf, path: string, value: unknown): void {
  if (path === '') {
    leaf.state = value;
    return;
  }
  const parts = path.split('.');
  const last = parts.pop() as string;
  const parent = parts.reduce<unknown>((node, k) => childAt(node, k), leaf.state);
  (parent as Record<string, unknown>)[last] = value;
}

function list(names: string[]): string {
  const shown = names.slice(0, 10).map((n) => `'${n}'`);
  return names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', ');
}

/**
 * Where `loadState` reads tensors from: a safetensors file, or tensors in memory by name.
 *
 * ```ts
 * loadState({ weight: ones(3, 2), bias: zeros(3) }, Dense(2, 3));
 * loadState(new Map([['weight', ones(3, 2)], ['bias', zeros(3)]]), Dense(2, 3));
 * ```
 */
export type StateSource = string | Map<string, Tensor> | Record<string, Tensor>;

/**
 * New names for a source's tensors, so that they match the model's paths: an object maps the
 * names it lists (the others keep theirs), a function maps every name; `null` leaves that tensor
 * out (it is neither loaded nor counted as extra).
 *
 * ```ts
 * const d = Dense(2, 3);
 * loadState({ 'fc.w': ones(3, 2), 'fc.b': zeros(3) }, d, undefined, { rename: { 'fc.w': 'weight', 'fc.b': 'bias' } });
 * d.weight.sum().item();   // 6
 * loadState({ w: ones(3, 2), b: zeros(3) }, d, undefined, { rename: (n) => (n === 'w' ? 'weight' : 'bias') });
 * ```
 */
export type Rename = Record<string, string | null> | ((name: string) => string | null);

/**
 * Options of `loadState`.
 *
 * ```ts
 * const model = Chain(Dense(2, 3, relu), Dense(3, 1));
 * saveState('ckpt.safetensors', model);
 * loadState('ckpt.safetensors', model, undefined, { strict: false, rename: { 'head.w': 'layers.1.weight' } });
 * ```
 */
export interface LoadOptions {
  /**
   * Refuse a checkpoint holding tensors or optimiser values that the model (or the optimiser
   * state, when given) lacks. Default true; false loads the part that matches.
   */
  strict?: boolean;
  /** Renames the source's tensors before they are matched with the model's paths. */
  rename?: Rename;
}

/** An in-memory source as an opened checkpoint (no file behind it, no metadata). */
function memorySource(source: Map<string, Tensor> | Record<string, Tensor>, label = 'the given tensors'): Opened {
  const ck: Opened = { fd: -1, file: label, op: 'loadState', dataStart: 0, entries: new Map(), metadata: {} };
  const pairs = source instanceof Map ? [...source] : Object.entries(source);
  for (const [name, t] of pairs) {
    if (typeof name !== 'string') throw expected('loadState', 'source', 'tensors keyed by name (string keys)', name);
    if (!(t instanceof Tensor)) throw expected('loadState', `source['${name}']`, 'a Tensor', t);
    if (t.disposed) throw new ArgumentError(`loadState: the source tensor '${name}' of shape ${shapeStr(t.shape)} was disposed`);
    ck.entries.set(name, { dtype: t.dtype, shape: t.shape.slice(), begin: 0, end: 0, tensor: t });
  }
  return ck;
}

/**
 * The source's entries under their new names, each with the name it had in the source. Two
 * names renamed to one, or a rename giving something other than a string or null, is an
 * ArgumentError.
 */
function renamed(ck: Opened, rename: Rename | undefined): Map<string, string> {
  const origin = new Map<string, string>();
  if (rename === undefined) {
    for (const name of ck.entries.keys()) origin.set(name, name);
    return origin;
  }
  const entries = new Map<string, Layout>();
  for (const [name, e] of ck.entries) {
    const to = typeof rename === 'function' ? rename(name) : Object.hasOwn(rename, name) ? rename[name] : name;
    if (to === null) continue;
    if (typeof to !== 'string' || to === '') throw expected('loadState', `rename('${name}')`, 'a non-empty name or null', to);
    const other = origin.get(to);
    if (other !== undefined) throw new ArgumentError(`loadState: rename gives '${other}' and '${name}' the one name '${to}'`);
    origin.set(to, name);
    entries.set(to, e);
  }
  ck.entries = entries;
  return origin;
}

/**
 * Loads a checkpoint written by `saveState` (or any safetensors file, or tensors in memory by
 * name) into `model` (and `optState`, when given) in place. Checks every name, shape, dtype
 * and optimiser number first, both ways (a source holding tensors the model lacks is an error
 * listing them, unless `{ strict: false }`): on any error nothing is changed. `rename` maps the
 * source's names to the model's paths first. Returns the `extra` value saved with it.
 *
 * ```ts
 * const m = Chain(Dense(2, 3, relu), Dense(3, 1));
 * loadState({ 'layers.0.weight': ones(3, 2), 'layers.0.bias': zeros(3), 'layers.1.weight': ones(1, 3), 'layers.1.bias': zeros(1) }, m);
 * m(tensor([1, 2])).item();   // 9
 * ```
 */
export function loadState(source: StateSource, model: unknown, optState?: StateTree, opts: LoadOptions = {}): { extra: unknown } {
  return load(source, model, optState, opts, 'the given tensors');
}

/**
 * @internal `loadState` of tensors in memory that came from `label` (a file whose tensors were
 * transformed first), so that errors name it.
 */
export function loadTensorsFrom(label: string, source: Map<string, Tensor>, model: unknown, opts: LoadOptions): void {
  load(source, model, undefined, opts, label);
}

function load(source: StateSource, model: unknown, optState: StateTree | undefined, opts: LoadOptions, label: string): { extra: unknown } {
  if (!isPlainObject(opts)) throw expected('loadState', 'opts', 'an options object { strict, rename }', opts);
  if (opts.strict !== undefined && typeof opts.strict !== 'boolean') throw expected('loadState', 'opts.strict', 'a boolean', opts.strict);
  if (opts.rename !== undefined && typeof opts.rename !== 'function' && !isPlainObject(opts.rename))
    throw expected('loadState', 'opts.rename', 'an object of new names or a function of the name', opts.rename);
  const strict = opts.strict ?? true;
  let ck: Opened;
  if (typeof source === 'string') ck = openCheckpoint(source, 'loadState');
  else if (source instanceof Map || isPlainObject(source)) ck = memorySource(source, label);
  else throw expected('loadState', 'source', 'a file path, or a Map or object of tensors by name', source);
  const file = ck.file;
  let origin: Map<string, string>;
  try {
    origin = renamed(ck, opts.rename as Rename | undefined);
  } catch (e) {
    if (ck.fd >= 0) closeSync(ck.fd);
    throw e;
  }
  const targets: [string, Tensor, Layout][] = [];
  const numberWrites: [Leaf, string, unknown][] = [];
  let extra: unknown;
  const staged: Tensor[] = [];
  try {
    const { entries, metadata } = ck;
    const names = new Map<string, Source>();
    for (const [name, t] of collectWithPaths(model)) {
      claim('loadState', names, model, name, { kind: 'model', value: t });
      const e = entries.get(name);
      check(file, name, t, e, 'the model', origin.get(name));
      targets.push([name, t, e]);
    }
    const saved = savedOptim(ck);
    const usedNumbers = new Set<string>();
    if (optState !== undefined && optState !== null) {
      if (saved === null) throw new CheckpointError(`loadState: ${file} holds no optimiser state`);
      const live = new Set<string>();
      for (const [p, leaf] of stateLeaves(optState)) {
        live.add(p);
        if (!Object.hasOwn(saved.leaves, p)) throw new CheckpointError(`loadState: ${file} holds no optimiser state for '${p}'`);
        const tensors: [string, Tensor][] = [];
        const nums: Record<string, unknown> = {};
        flattenState(`optim.${p}`, leaf.state, tensors, nums);
        for (const [name, t] of tensors) {
          claim('loadState', names, model, name, { kind: 'optim', leaf: p, value: t });
          const e = entries.get(name);
          check(file, name, t, e, 'the optimiser state');
          targets.push([name, t, e]);
        }
        for (const [key, x] of Object.entries(nums)) {
          claim('loadState', names, model, key, { kind: 'optim', leaf: p, value: x });
          if (!Object.hasOwn(saved.numbers, key)) throw new CheckpointError(`loadState: ${file} has no optimiser value '${key}'`);
          const rel = key === `optim.${p}` ? '' : key.slice(`optim.${p}.`.length); // the path inside the Leaf's state
          const why = badNumber(rel, x, saved.numbers[key]);
          if (why !== null) throw new CheckpointError(`loadState: the optimiser value '${key}' of ${file} ${why}`);
          usedNumbers.add(key);
          numberWrites.push([leaf, rel, saved.numbers[key]]);
        }
      }
      if (strict) {
        const extraLeaves = Object.keys(saved.leaves).filter((p) => !live.has(p));
        if (extraLeaves.length > 0)
          throw new CheckpointError(`loadState: ${file} holds optimiser state for ${list(extraLeaves)}, which the optimiser state lacks (pass { strict: false } to load the rest)`);
        const extraNumbers = Object.keys(saved.numbers).filter((k) => !usedNumbers.has(k));
        if (extraNumbers.length > 0)
          throw new CheckpointError(`loadState: ${file} holds optimiser values ${list(extraNumbers)}, which the optimiser state lacks (pass { strict: false } to load the rest)`);
      }
    }
    if (strict) {
      // without an optimiser state to load into, the file's optimiser tensors are not extra
      const optimLeaves = new Set(optState === undefined || optState === null ? Object.keys(saved?.leaves ?? {}) : []);
      const isOptim = (name: string): boolean => {
        if (!name.startsWith('optim.')) return false;
        for (let i = name.indexOf('.', 6); ; i = name.indexOf('.', i + 1)) {
          if (optimLeaves.has(name.slice(6, i < 0 ? name.length : i))) return true;
          if (i < 0) return false;
        }
      };
      const unused = [...entries.keys()].filter((name) => !names.has(name) && !isOptim(name)).map((name) => origin.get(name) ?? name);
      if (unused.length > 0)
        throw new CheckpointError(
          `loadState: ${file} holds ${unused.length === 1 ? 'a tensor' : 'tensors'} ${list(unused)}, which the model${optState ? ' and the optimiser state' : ''} lack${optState ? '' : 's'} (pass { strict: false } to load the rest)`,
        );
    }
    if (metadata['fluxion.extra'] !== undefined) extra = parseJSON('loadState', file, 'unreadable extra data (fluxion.extra)', metadata['fluxion.extra']);
    // everything checked: read each tensor into a fresh one on its target's device (the
    // array itself on the CPU; a copy uploaded to the device otherwise)
    for (const [name, t, e] of targets) {
      const arr = readEntry(ck, name, e);
      const data = arr as Float32Array | Float64Array | Int32Array; // check() matched the dtype, never int64
      staged.push(t.device === 'cpu' ? new Tensor(data, e.shape, t.dtype, 'cpu', undefined, 0, null, false) : tensor(data, { dtype: t.dtype, shape: e.shape, device: t.device }));
    }
  } catch (e) {
    for (const s of staged) if (s.device !== 'cpu') s.dispose();
    throw e;
  } finally {
    if (ck.fd >= 0) closeSync(ck.fd);
  }
  // now write
  targets.forEach(([, t], i) => {
    t.assign(staged[i]);
    if (staged[i].device !== 'cpu') staged[i].dispose();
  });
  for (const [leaf, p, v] of numberWrites) setNumber(leaf, p, v);
  return { extra };
}

// Constructible with or without `new` (ts/callable.ts).
const CheckpointError_ = callable(CheckpointError);
type CheckpointError_ = CheckpointError;
export { CheckpointError_ as CheckpointError };
