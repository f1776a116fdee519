// PyTorch state_dict names for Fluxion models, both ways, so that weights trained in one load
// into the equivalent model of the other.
//
// The layers already share PyTorch's layouts (Dense and Conv weights [out, in, ...], LSTM gates
// i f g o, GRU r z n): what differs is the names, and three structural habits.
//   - PyTorch numbers every module of an nn.Sequential, activations included; Fluxion's Dense,
//     Conv, ConvTranspose and normalisation layers carry their activation σ. So entry i of a
//     Chain is Sequential slot i plus one for each earlier layer whose σ is not identity; plain
//     functions (relu, softmax, Flatten, pooling, Dropout) take one slot each, as nn.ReLU does.
//     A named Chain ({ enc, dec }) maps to a Sequential of those names (OrderedDict).
//   - nn.MultiheadAttention stacks its q, k and v projections into in_proj_weight [3E, E] and
//     in_proj_bias [3E]; Fluxion keeps them as three Dense layers.
//   - PyTorch counts BatchNorm's training batches in num_batches_tracked (int64); Fluxion's
//     BatchNorm has a fixed momentum and no counter. Loading ignores it; saving writes 0.
// Field names follow PyTorch's attribute names elsewhere (weightIh ↔ weight_ih_l0,
// runningMean ↔ running_mean), and any other object (a plain { encoder, head } model, a layer
// of one's own) maps by its field names, as a PyTorch module's attributes do.
import { tensor, zeros } from '../creation.js';
import { ArgumentError, expected, shapeStr } from '../errors.js';
import { identity } from '../nn/activations.js';
import { ChainLayer } from '../nn/chain.js';
import { ConvLayer, ConvTransposeLayer } from '../nn/conv.js';
import { DenseLayer } from '../nn/layers.js';
import { BatchNormLayer, GroupNormLayer, InstanceNormLayer, LayerNormLayer } from '../nn/norm.js';
import { GRUCellLayer, GRULayer, LSTMCellLayer, LSTMLayer, RNNCellLayer, RNNLayer } from '../nn/recurrent.js';
import { MultiHeadAttentionLayer } from '../nn/attention.js';
import { concat } from '../ops/movement.js';
import { numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { children, collectWithPaths, joinPath } from '../tree.js';
import { CheckpointError, type Rename, type StateSource, loadTensorsFrom, readSafetensors, saveState } from './checkpoint.js';

/**
 * One PyTorch state_dict entry and the Fluxion tensors it holds: one tensor, or several stacked
 * along dim 0 (in_proj_weight); `counter` marks num_batches_tracked, which no Fluxion tensor holds.
 *
 * ```ts
 * const [first] = torchNames(Chain(Dense(4, 8, relu), Dense(8, 3)));
 * first.torch;   // '0.weight'
 * first.paths;   // ['layers.0.weight']
 * ```
 */
export interface TorchName {
  /** The PyTorch name, `0.weight`, `lstm.weight_ih_l0`, `attn.in_proj_weight`. */
  torch: string;
  /** The Fluxion paths (as `collectWithPaths` names them), in stacking order. */
  paths: string[];
  /** The Fluxion tensors at those paths. */
  tensors: Tensor[];
  /** True for BatchNorm's num_batches_tracked (paths and tensors are empty). */
  counter?: boolean;
}

const RECURRENT_FIELDS = ['weightIh', 'weightHh', 'biasIh', 'biasHh'] as const;
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Whether PyTorch would have this layer's activation as a module of its own, after it. */
function ownsActivationSlot(layer: unknown): boolean {
  const carriers = [DenseLayer, ConvLayer, ConvTransposeLayer, BatchNormLayer, LayerNormLayer, GroupNormLayer, InstanceNormLayer];
  return carriers.some((c) => layer instanceof c) && (layer as { σ: unknown }).σ !== identity;
}

function walk(node: unknown, fx: string, tp: string, out: TorchName[], seen: Set<unknown>): void {
  if (node === null || typeof node !== 'object' && typeof node !== 'function') return;
  if (seen.has(node)) return; // a layer used twice (tied weights) is named where it first appears
  seen.add(node);
  const leaf = (field: string, torch: string) => {
    const t = (node as Record<string, unknown>)[field];
    if (t instanceof Tensor) out.push({ torch: joinPath(tp, torch), paths: [joinPath(fx, field)], tensors: [t] });
  };
  if (node instanceof ChainLayer) {
    const layers = node.layers as unknown[] | Record<string, unknown>;
    if (Array.isArray(layers)) {
      let slot = 0;
      layers.forEach((layer, i) => {
        walk(layer, joinPath(fx, `layers.${i}`), joinPath(tp, String(slot)), out, seen);
        slot += ownsActivationSlot(layer) ? 2 : 1;
      });
    } else for (const [k, layer] of Object.entries(layers)) walk(layer, joinPath(fx, `layers.${k}`), joinPath(tp, k), out, seen);
    return;
  }
  if (node instanceof BatchNormLayer) {
    leaf('weight', 'weight');
    leaf('bias', 'bias');
    leaf('runningMean', 'running_mean');
    leaf('runningVar', 'running_var');
    if (node.runningMean !== null) out.push({ torch: joinPath(tp, 'num_batches_tracked'), paths: [], tensors: [], counter: true });
    return;
  }
  if (node instanceof RNNLayer || node instanceof LSTMLayer || node instanceof GRULayer) {
    for (const f of RECURRENT_FIELDS) leaf(f, `${snake(f)}_l0`);
    return;
  }
  if (node instanceof RNNCellLayer || node instanceof LSTMCellLayer || node instanceof GRUCellLayer) {
    for (const f of RECURRENT_FIELDS) leaf(f, snake(f));
    return;
  }
  if (node instanceof MultiHeadAttentionLayer) {
    const projs = ['qProj', 'kProj', 'vProj'] as const;
    out.push({ torch: joinPath(tp, 'in_proj_weight'), paths: projs.map((p) => joinPath(fx, `${p}.weight`)), tensors: projs.map((p) => node[p].weight) });
    const biases = projs.map((p) => node[p].bias);
    if (biases.every((b) => b !== null))
      out.push({ torch: joinPath(tp, 'in_proj_bias'), paths: projs.map((p) => joinPath(fx, `${p}.bias`)), tensors: biases as Tensor[] });
    walk(node.outProj, joinPath(fx, 'outProj'), joinPath(tp, 'out_proj'), out, seen);
    return;
  }
  // Dense, Conv, Embedding, LayerNorm, ... (weight and bias), and anything else: by field name
  for (const [k, v] of children(node)) {
    if (v instanceof Tensor) {
      if (!seen.has(v)) {
        seen.add(v);
        out.push({ torch: joinPath(tp, k), paths: [joinPath(fx, k)], tensors: [v] });
      }
    } else walk(v, joinPath(fx, k), joinPath(tp, k), out, seen);
  }
}

/**
 * The PyTorch state_dict names of a Fluxion model's tensors, in PyTorch's order: what
 * `torchStateDict` writes and `loadTorchState` reads (see the notes at the top of this file for
 * the rules).
 *
 * ```ts
 * // as nn.Sequential(Linear, ReLU, Linear) names them
 * torchNames(Chain(Dense(4, 8, relu), Dense(8, 3))).map((e) => e.torch);   // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export function torchNames(model: unknown): TorchName[] {
  const out: TorchName[] = [];
  walk(model, '', '', out, new Set());
  // every tensor collectWithPaths finds is named once; a walk that missed one would lose weights silently
  const named = new Set(out.flatMap((e) => e.tensors));
  const missed = collectWithPaths(model).filter(([, t]) => !named.has(t));
  if (missed.length > 0) throw new ArgumentError(`torchNames: no PyTorch name for ${missed.map(([p]) => `'${p}'`).join(', ')}`);
  return out;
}

/**
 * The model's tensors under PyTorch's state_dict names (a Map in PyTorch's order): the model's
 * own tensors, except in_proj_weight / in_proj_bias (new, stacked) and num_batches_tracked (a new
 * int32 0-d tensor holding 0). Save it with `saveTorchState`, or pass it to `loadState` of a
 * PyTorch-named source.
 *
 * ```ts
 * const m = Chain(Dense(4, 8, relu), Dense(8, 3));
 * [...torchStateDict(m).keys()];   // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export function torchStateDict(model: unknown): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const e of torchNames(model)) {
    if (e.counter) out.set(e.torch, zeros([], { dtype: 'int32' }));
    else out.set(e.torch, e.tensors.length === 1 ? e.tensors[0] : concat(e.tensors, 0));
  }
  return out;
}

/**
 * Writes the model as a PyTorch state_dict in a safetensors file (atomically, like `saveState`):
 * in Python, `model.load_state_dict(safetensors.torch.load_file(file))` loads it into the
 * equivalent PyTorch model.
 *
 * ```ts
 * saveTorchState('mlp.safetensors', Chain(Dense(4, 8, relu), Dense(8, 3)));
 * ```
 */
export function saveTorchState(file: string, model: unknown): void {
  if (typeof file !== 'string' || file === '') throw expected('saveTorchState', 'file', 'a file path', file);
  saveState(file, Object.fromEntries(torchStateDict(model)));
}

/**
 * Options of `loadTorchState`.
 *
 * ```ts
 * const m = Chain(Dense(4, 8, relu), Dense(8, 3));
 * saveTorchState('model.safetensors', m);
 * loadTorchState('model.safetensors', m, { rename: (n) => n.replace(/^module\./, '') });
 * ```
 */
export interface TorchLoadOptions {
  /** Refuse a source holding tensors the model lacks (default true), as `loadState` does. */
  strict?: boolean;
  /**
   * Renames the source's names before they are matched with PyTorch's names for the model (for
   * example `(n) => n.replace(/^module\./, '')` for a model saved from nn.DataParallel); null
   * leaves a tensor out.
   */
  rename?: Rename;
}

/** The source's tensors by name; an int64 entry (PyTorch's counters) kept as its name only. */
function readSource(source: StateSource): { label: string; tensors: Map<string, Tensor>; int64: Set<string> } {
  const tensors = new Map<string, Tensor>();
  const int64 = new Set<string>();
  if (typeof source === 'string') {
    for (const [name, e] of readSafetensors(source).entries) {
      if (e.dtype === 'int64') int64.add(name);
      else {
        const Arr = e.dtype === 'float32' ? Float32Array : e.dtype === 'float64' ? Float64Array : Int32Array;
        const data = new Arr(e.data.buffer as ArrayBuffer, e.data.byteOffset, e.data.byteLength / Arr.BYTES_PER_ELEMENT);
        tensors.set(name, tensor(data, { dtype: e.dtype, shape: e.shape }));
      }
    }
    return { label: source, tensors, int64 };
  }
  const pairs = source instanceof Map ? [...source] : source !== null && typeof source === 'object' ? Object.entries(source) : null;
  if (pairs === null) throw expected('loadTorchState', 'source', 'a file path, or a Map or object of tensors by name', source);
  for (const [name, t] of pairs) {
    if (!(t instanceof Tensor)) throw expected('loadTorchState', `source['${name}']`, 'a Tensor', t);
    tensors.set(name, t);
  }
  return { label: 'the given tensors', tensors, int64 };
}

/**
 * Loads a PyTorch state_dict (a safetensors file, or tensors by PyTorch name) into the
 * equivalent Fluxion model in place, checking every name, shape and dtype first, both ways
 * (names the model lacks are an error listing them unless `{ strict: false }`); on any error
 * the model is unchanged. BatchNorm's num_batches_tracked is read and ignored.
 *
 * ```ts
 * // PyTorch: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), saved with safetensors
 * const m = Chain(Dense(4, 8, relu), Dense(8, 3));
 * loadTorchState('mlp.safetensors', m);
 * ```
 */
export function loadTorchState(source: StateSource, model: unknown, opts: TorchLoadOptions = {}): void {
  if (opts === null || typeof opts !== 'object') throw expected('loadTorchState', 'opts', 'an options object { strict, rename }', opts);
  const strict = opts.strict ?? true;
  if (typeof strict !== 'boolean') throw expected('loadTorchState', 'opts.strict', 'a boolean', opts.strict);
  const { label, tensors: raw, int64 } = readSource(source);
  // the user's renaming first, then PyTorch's names are matched
  const rename = opts.rename;
  if (rename !== undefined && typeof rename !== 'function' && (rename === null || typeof rename !== 'object'))
    throw expected('loadTorchState', 'opts.rename', 'an object of new names or a function of the name', rename);
  const tensors = new Map<string, Tensor>();
  const counters = new Set<string>();
  const renameOne = (name: string): string | null => {
    const to = rename === undefined ? name : typeof rename === 'function' ? rename(name) : Object.hasOwn(rename, name) ? rename[name] : name;
    if (to !== null && (typeof to !== 'string' || to === '')) throw expected('loadTorchState', `rename('${name}')`, 'a non-empty name or null', to);
    return to;
  };
  for (const [name, t] of raw) {
    const to = renameOne(name);
    if (to === null) continue;
    if (tensors.has(to)) throw new ArgumentError(`loadTorchState: rename gives two tensors the one name '${to}'`);
    tensors.set(to, t);
  }
  for (const name of int64) {
    const to = renameOne(name);
    if (to !== null) counters.add(to);
  }

  const names = torchNames(model);
  const byTorch = new Map<string, string>(); // PyTorch name → Fluxion path, for loadState's rename
  const split = new Map<string, Tensor>(); // Fluxion path → its block of a stacked tensor
  const missing: string[] = [];
  const known = new Set<string>();
  for (const e of names) {
    known.add(e.torch);
    if (e.counter) continue; // PyTorch's counter: present or not, nothing of the model holds it
    const t = tensors.get(e.torch);
    if (t === undefined) {
      const shape = e.tensors.length === 1 ? shapeStr(e.tensors[0].shape) : shapeStr([e.tensors.reduce((n, x) => n + x.shape[0], 0), ...e.tensors[0].shape.slice(1)]);
      missing.push(`'${e.torch}' (for ${e.paths.join(', ')}, ${shape})`);
      continue;
    }
    if (e.tensors.length === 1) {
      byTorch.set(e.torch, e.paths[0]);
      continue;
    }
    // a stacked entry: split its rows into the blocks, each shaped like its Fluxion tensor
    const rows = e.tensors.reduce((n, x) => n + x.shape[0], 0);
    const rest = e.tensors[0].shape.slice(1);
    if (t.ndim !== rest.length + 1 || t.shape[0] !== rows || rest.some((d, i) => d !== t.shape[i + 1]))
      throw new CheckpointError(`loadTorchState: '${e.torch}' is ${shapeStr(t.shape)} in ${label}, but the model's ${e.paths.join(', ')} stack to ${shapeStr([rows, ...rest])}`);
    const data = t.data();
    let at = 0;
    e.paths.forEach((p, i) => {
      const n = numel(e.tensors[i].shape);
      split.set(p, tensor(data.slice(at, at + n), { dtype: t.dtype, shape: e.tensors[i].shape }));
      at += n;
    });
  }
  if (missing.length > 0) throw new CheckpointError(`loadTorchState: ${label} has no ${missing.join('; ')}`);
  const unknownCounters = [...counters].filter((n) => !known.has(n));
  if (strict && unknownCounters.length > 0)
    throw new CheckpointError(`loadTorchState: ${label} holds int64 tensors ${unknownCounters.map((n) => `'${n}'`).join(', ')}, which the model lacks (pass { strict: false } to load the rest)`);

  // one in-memory source under Fluxion's paths: the stacked entries' blocks, and the rest renamed
  const merged = new Map<string, Tensor>();
  const consumed = new Set(names.filter((e) => e.counter || e.tensors.length > 1).map((e) => e.torch)); // split above, or a counter
  for (const [name, t] of tensors) if (!consumed.has(name)) merged.set(name, t);
  for (const [p, t] of split) merged.set(p, t);
  loadTensorsFrom(label, merged, model, { strict, rename: (n) => byTorch.get(n) ?? n });
}
