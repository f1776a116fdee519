// Checkpoints in the safetensors format: an 8-byte little-endian header length, a JSON
// header ({name: {dtype, shape, data_offsets}}, plus "__metadata__" of strings), then
// the raw little-endian data. Tensor names are the model's paths (`layers.0.weight`);
// optimiser state goes under `optim.<path>.<field>`.
//
// Saving is atomic: write a temporary file, fsync it, rename it over the old one, fsync
// the folder. A crash mid-save leaves the previous checkpoint intact. Loading checks
// everything before it writes anything, so a bad file leaves the model untouched.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { ArgumentError, FluxionError, shapeStr } from '../errors.js';
import { type Leaf, type StateTree, stateLeaves } from '../optim/state.js';
import { numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { childAt, collectWithPaths, fcollect, joinPath } from '../tree.js';

/** A checkpoint that cannot be read: truncated, malformed, or not matching the model. */
export class CheckpointError extends FluxionError {
  override name = 'CheckpointError';
}

const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const DTYPES: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32' };
const BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4 };

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Flattens an optimiser state value (the model walk over it) into tensors and plain numbers, by path. */
function flattenState(prefix: string, v: unknown, tensors: [string, Tensor][], numbers: Record<string, unknown>): void {
  for (const [path, x] of fcollect(v, { keep: (y) => y instanceof Tensor || typeof y === 'number' || y === null })) {
    const key = joinPath(prefix, path);
    if (x instanceof Tensor) tensors.push([key, x]);
    else numbers[key] = x;
  }
}

/**
 * Writes the model's tensors (and the optimiser state, and any JSON-able `extra`) to `file`
 * atomically.
 */
export function saveState(file: string, model: unknown, optState?: StateTree, extra?: unknown): void {
  if (typeof file !== 'string' || file === '') throw new ArgumentError('saveState: expected a file path');
  const entries: [string, Tensor][] = collectWithPaths(model);
  const meta: Record<string, string> = { format: 'fluxion' };
  if (optState !== undefined && optState !== null) {
    const numbers: Record<string, unknown> = {};
    const leaves: Record<string, { rule: string; frozen: boolean }> = {};
    for (const [p, leaf] of stateLeaves(optState)) {
      leaves[p] = { rule: leaf.rule.toString(), frozen: leaf.frozen };
      flattenState(`optim.${p}`, leaf.state, entries, numbers);
    }
    meta['fluxion.optim'] = JSON.stringify({ leaves, numbers });
  }
  if (extra !== undefined) meta['fluxion.extra'] = JSON.stringify(extra);
  const header: Record<string, unknown> = { __metadata__: meta };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const data = t.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keep the data 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));

  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, Buffer.from(json));
    for (const b of blobs) writeSync(fd, b);
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

/** Parses and validates a safetensors file: every entry's dtype, shape and byte range. */
export function readSafetensors(file: string): { entries: Map<string, { dtype: DType; shape: number[]; data: Uint8Array }>; metadata: Record<string, string> } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`loadState: cannot read ${file}: ${(e as Error).message}`);
  }
  if (buf.length < 8) throw new CheckpointError(`loadState: ${file} is truncated (${buf.length} bytes, no header)`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8)) throw new CheckpointError(`loadState: ${file} is truncated or corrupt: header of ${n} bytes in a ${buf.length}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + Number(n)).toString('utf8'));
  } catch (e) {
    throw new CheckpointError(`loadState: ${file} has a bad header: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError(`loadState: ${file} has a bad header (not an object)`);
  const dataStart = 8 + Number(n);
  const dataLen = buf.length - dataStart;
  const entries = new Map<string, { dtype: DType; shape: number[]; data: Uint8Array }>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as Entry;
    const bad = (why: string) => new CheckpointError(`loadState: ${file}: entry '${name}' ${why}`);
    if (e === null || typeof e !== 'object') throw bad('is not an object');
    if (!(e.dtype in DTYPES)) throw bad(`has dtype ${JSON.stringify(e.dtype)} (expected F32, F64 or I32)`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad('has a bad shape');
    if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) throw bad('has bad data_offsets');
    const [b, end] = e.data_offsets;
    if (!Number.isInteger(b) || !Number.isInteger(end) || b < 0 || end < b || end > dataLen)
      throw bad(`has data_offsets [${b}, ${end}] outside the ${dataLen} data bytes (truncated file?)`);
    if (end - b !== numel(e.shape) * BYTES[e.dtype]) throw bad(`has ${end - b} bytes for shape ${shapeStr(e.shape)}`);
    entries.set(name, { dtype: DTYPES[e.dtype], shape: e.shape, data: buf.subarray(dataStart + b, dataStart + end) });
  }
  return { entries, metadata };
}

function toTensor(e: { dtype: DType; shape: number[]; data: Uint8Array }): Tensor {
  const copy = new Uint8Array(e.data.length); // aligned, owned bytes (Buffer#slice would be a view)
  copy.set(e.data);
  const Ctor = e.dtype === 'float64' ? Float64Array : e.dtype === 'int32' ? Int32Array : Float32Array;
  return tensor(new Ctor(copy.buffer, 0, numel(e.shape)), { dtype: e.dtype, shape: e.shape });
}

function check(file: string, name: string, t: Tensor, e: { dtype: DType; shape: number[] } | undefined): void {
  if (e === undefined) throw new CheckpointError(`loadState: ${file} has no tensor '${name}' (the model has one of shape ${shapeStr(t.shape)})`);
  if (e.dtype !== t.dtype || e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i]))
    throw new CheckpointError(`loadState: '${name}' is ${e.dtype} ${shapeStr(e.shape)} in ${file} but ${t.dtype} ${shapeStr(t.shape)} in the model`);
}

/**
 * Loads a checkpoint written by `saveState` into `model` (and `optState`, when given)
 * in place. Checks every name, shape and dtype first: on any error nothing is changed.
 * Returns the `extra` value saved with it.
 */
export function loadState(file: string, model: unknown, optState?: StateTree): { extra: unknown } {
  const { entries, metadata } = readSafetensors(file);
  const targets: [Tensor, Tensor][] = [];
  for (const [name, t] of collectWithPaths(model)) {
    const e = entries.get(name);
    check(file, name, t, e);
    targets.push([t, toTensor(e as NonNullable<typeof e>)]);
  }
  const numberUpdates: (() => void)[] = [];
  if (optState !== undefined && optState !== null) {
    const saved = metadata['fluxion.optim'];
    if (saved === undefined) throw new CheckpointError(`loadState: ${file} holds no optimiser state`);
    let numbers: Record<string, unknown>;
    try {
      numbers = JSON.parse(saved).numbers ?? {};
    } catch {
      throw new CheckpointError(`loadState: ${file} has unreadable optimiser metadata`);
    }
    for (const [p, leaf] of stateLeaves(optState)) {
      const tensors: [string, Tensor][] = [];
      const nums: Record<string, unknown> = {};
      flattenState(`optim.${p}`, leaf.state, tensors, nums);
      for (const [name, t] of tensors) {
        const e = entries.get(name);
        check(file, name, t, e);
        targets.push([t, toTensor(e as NonNullable<typeof e>)]);
      }
      for (const k of Object.keys(nums))
        if (!(k in numbers)) throw new CheckpointError(`loadState: ${file} has no optimiser value '${k}'`);
      numberUpdates.push(() => restoreNumbers(leaf, `optim.${p}`, numbers));
    }
  }
  // everything checked: now write
  for (const [t, v] of targets) t.assign(v);
  for (const apply of numberUpdates) apply();
  let extra: unknown;
  if (metadata['fluxion.extra'] !== undefined) extra = JSON.parse(metadata['fluxion.extra']);
  return { extra };
}

/** Writes the saved numbers back into a Leaf's state, at the paths flattenState found them. */
function restoreNumbers(leaf: Leaf, prefix: string, numbers: Record<string, unknown>): void {
  for (const [path, x] of fcollect(leaf.state, { keep: (y) => typeof y === 'number' || y === null })) {
    const key = joinPath(prefix, path);
    if (!(key in numbers) || numbers[key] === x) continue;
    if (path === '') {
      leaf.state = numbers[key];
      continue;
    }
    // the number's parent: an array or object of the state
    const parts = path.split('.');
    const last = parts.pop() as string;
    const parent = parts.reduce<unknown>((node, k) => childAt(node, k), leaf.state);
    (parent as Record<string, unknown>)[last] = numbers[key];
  }
}
