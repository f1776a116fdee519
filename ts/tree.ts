// Models are plain trees: objects, arrays, Maps, Sets and class instances holding tensors,
// other layers and functions. This module is the one walk over them, after Functors.jl:
// `children` says what a node holds (the one rule), `fmap` rebuilds a tree with its tensors
// mapped, `fmapstructure` mirrors it in plain arrays and objects (structural gradients,
// optimiser state), `fcollect` lists its nodes and `collect` its tensors. Every walk caches by
// identity, so a tensor or layer that appears twice (tied weights) is visited once and stays
// shared after a map, and cycles end.
//
// The rule for children:
//   - arrays: their elements, keyed '0', '1', ...;
//   - Maps: their values, keyed by the key (String of a string or number key; '#i' otherwise);
//   - Sets: their elements, keyed by position;
//   - other objects and callable layers: own enumerable fields, except those starting with '_'
//     (private state: caches, generators);
//   - leaves: tensors, numbers and other primitives, plain functions (activations), typed
//     arrays, Dates, RegExps, Promises.
// `{ trainable: true }` follows a node's `trainable()` instead, where it defines one.
import { Tensor } from './tensor.js';

/**
 * A layer can restrict which of its fields are trainable (Flux's `trainable`).
 *
 * ```ts
 * class Scaled extends Layer implements HasTrainable {
 *   w = ones(2);
 *   fixed = ones(2);
 *   forward(x: Tensor) {
 *     return x.mul(this.w).add(this.fixed);
 *   }
 *   trainable() {
 *     return { w: this.w };
 *   }
 * }
 * params(new Scaled()).length;   // 1
 * ```
 */
export interface HasTrainable {
  trainable(): Record<string, unknown>;
}

/**
 * Options of the tree walks (`collect`, `fmap`, ...): only trainable fields, and which nodes are leaves.
 *
 * ```ts
 * collect(Dense(2, 3), { trainable: true }).length;   // 2
 * const opt = setup(Adam(), Dense(2, 3));
 * fcollect(opt, { leaf: (x) => x instanceof Leaf, keep: (x) => x instanceof Leaf }).length;   // 2
 * ```
 */
export interface WalkOptions {
  /** Follow only trainable fields (a node's `trainable()`, where it has one). */
  trainable?: boolean;
  /** Nodes to treat as leaves (not walked into), e.g. the Leafs of an optimiser state tree. */
  leaf?: (x: unknown) => boolean;
}

/** True for the nodes whose children the walk visits. */
export function isNode(x: unknown): x is object {
  if (x === null) return false;
  // Callable layers are functions with a `forward`; plain functions (activations) are leaves.
  if (typeof x === 'function') return typeof (x as { forward?: unknown }).forward === 'function';
  if (typeof x !== 'object') return false;
  return !(x instanceof Tensor || ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp || x instanceof Promise);
}

function keyOf(k: unknown, i: number): string {
  return typeof k === 'string' || typeof k === 'number' ? String(k) : `#${i}`;
}

/**
 * The children of a node, keyed (see the rule above); [] for a leaf.
 *
 * ```ts
 * children({ a: tensor(1), b: [tensor(2)] }).map(([k]) => k);   // ['a', 'b']
 * children(tensor(1));   // []: a leaf
 * ```
 */
export function children(x: unknown, opts: WalkOptions = {}): [string, unknown][] {
  if (!isNode(x) || opts.leaf?.(x)) return [];
  if (Array.isArray(x)) return x.map((v, i) => [String(i), v]);
  if (x instanceof Map) return [...x].map(([k, v], i) => [keyOf(k, i), v]);
  if (x instanceof Set) return [...x].map((v, i) => [String(i), v]);
  if (opts.trainable && typeof (x as Partial<HasTrainable>).trainable === 'function') return Object.entries((x as HasTrainable).trainable());
  return Object.entries(x).filter(([k]) => !k.startsWith('_'));
}

/** The child of `x` under `key` as `children` names it; undefined when there is none. */
export function childAt(x: unknown, key: string): unknown {
  if (!isNode(x)) return undefined;
  if (x instanceof Map || x instanceof Set) return children(x).find(([k]) => k === key)?.[1];
  if (key.startsWith('_')) return undefined;
  return Object.hasOwn(x, key) ? (x as Record<string, unknown>)[key] : undefined;
}

/** `a.b` path of a child. */
export function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Every node of the tree, each once, in walk order (parents before their children), with its
 * path: the tree itself at '', then its children, ... Leaves are included; pass `keep` to
 * choose which nodes are listed (all are still walked).
 *
 * ```ts
 * fcollect({ a: tensor(1), b: [tensor(2)] }).map(([p]) => p);   // ['', 'a', 'b', 'b.0']
 * ```
 */
export function fcollect(tree: unknown, opts: WalkOptions & { keep?: (x: unknown) => boolean } = {}): [string, unknown][] {
  const out: [string, unknown][] = [];
  collectInto(tree, '', opts, new Set(), out);
  return out;
}

// The walks recurse through module-level functions rather than closures made per call: a
// gradient walks its arguments and results on every call, and a closure per walk is measurable
// there (more so under tsx, whose keepNames renames every closure it makes).
function collectInto(x: unknown, path: string, opts: WalkOptions & { keep?: (x: unknown) => boolean }, seen: Set<unknown>, out: [string, unknown][]): void {
  if ((typeof x === 'object' || typeof x === 'function') && x !== null) {
    if (seen.has(x)) return;
    seen.add(x);
  }
  if (opts.keep === undefined || opts.keep(x)) out.push([path, x]);
  for (const [k, v] of children(x, opts)) collectInto(v, joinPath(path, k), opts, seen, out);
}

function isTensor(x: unknown): boolean {
  return x instanceof Tensor;
}

/**
 * Every tensor in the tree, each once, in walk order, with its path (`layers.0.weight`).
 *
 * ```ts
 * collectWithPaths(Chain(Dense(2, 3), Dense(3, 1))).map(([p]) => p);   // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
 * ```
 */
export function collectWithPaths(tree: unknown, opts: WalkOptions = {}): [string, Tensor][] {
  return fcollect(tree, { ...opts, keep: isTensor }) as [string, Tensor][];
}

/**
 * Every tensor in the tree, each once.
 *
 * ```ts
 * collect(Chain(Dense(2, 3), Dense(3, 1))).length;   // 4
 * const w = tensor([1]);
 * collect({ a: w, b: [w] }).length;   // 1: each tensor once
 * ```
 */
export function collect(tree: unknown, opts: WalkOptions = {}): Tensor[] {
  // the common cases of a gradient's arguments and results, without a walk
  if (tree instanceof Tensor) return [tree];
  if (!isNode(tree)) return [];
  return collectWithPaths(tree, opts).map(([, t]) => t);
}

/**
 * A copy of the tree with every tensor replaced by `f(tensor, path)`. Objects are copied with
 * their prototype (so layers stay callable classes), Maps and Sets as Maps and Sets; `_`
 * fields (and, with `trainable`, the fields that are not trainable) are kept as they are.
 * Shared nodes stay shared.
 *
 * ```ts
 * const m = fmap((t) => t.mul(0), Dense(2, 3)) as DenseLayer;
 * m.weight.sum().item();   // 0
 * m(ones(2)).shape;   // [3]: still a layer
 * ```
 */
export function fmap(f: (t: Tensor, path: string) => Tensor, tree: unknown, opts: WalkOptions = {}): unknown {
  const cache = new Map<unknown, unknown>();
  const walk = (x: unknown, path: string): unknown => {
    if (cache.has(x)) return cache.get(x);
    if (x instanceof Tensor) {
      const y = f(x, path);
      cache.set(x, y);
      return y;
    }
    if (!isNode(x)) return x;
    if (Array.isArray(x)) {
      const out: unknown[] = [];
      cache.set(x, out);
      x.forEach((v, i) => {
        out.push(walk(v, joinPath(path, String(i))));
      });
      return out;
    }
    if (x instanceof Map) {
      const out = new Map();
      cache.set(x, out);
      [...x].forEach(([k, v], i) => {
        out.set(k, walk(v, joinPath(path, keyOf(k, i))));
      });
      return out;
    }
    if (x instanceof Set) {
      const out = new Set();
      cache.set(x, out);
      [...x].forEach((v, i) => {
        out.add(walk(v, joinPath(path, String(i))));
      });
      return out;
    }
    const mapped = new Set(children(x, opts).map(([k]) => k));
    // Callable layers are functions: the copy must be callable too, with the same prototype.
    const out = (typeof x === 'function' ? makeCallable(Object.getPrototypeOf(x)) : Object.create(Object.getPrototypeOf(x))) as Record<string, unknown>;
    cache.set(x, out);
    for (const [k, v] of Object.entries(x)) out[k] = mapped.has(k) ? walk(v, joinPath(path, k)) : v;
    return out;
  };
  return walk(tree, '');
}

/**
 * The tree mirrored in plain structure: arrays for arrays and Sets, Maps for Maps, plain
 * objects for every other node, `f(leaf, path)` at each leaf (a node without children counts
 * as a leaf). A shared node is mirrored once.
 * `prune`: a subtree whose leaves all map to null becomes null itself (not at the root), as
 * structural gradients do for parts of a model without a derivative.
 *
 * ```ts
 * const sizes = fmapstructure((x) => (x instanceof Tensor ? x.size : null), { w: zeros(2, 3), b: zeros(3) }) as { w: number; b: number };
 * sizes.w;   // 6
 * sizes.b;   // 3
 * ```
 */
export function fmapstructure(
  f: (leaf: unknown, path: string) => unknown,
  tree: unknown,
  opts: WalkOptions & { prune?: boolean } = {},
): unknown {
  // a leaf (a tensor argument's gradient) needs no walk
  if (!isNode(tree) || opts.leaf?.(tree)) return f(tree, '');
  return mirrorInto(f, tree, '', true, opts, new Map());
}

function mirrorInto(
  f: (leaf: unknown, path: string) => unknown,
  x: unknown,
  path: string,
  root: boolean,
  opts: WalkOptions & { prune?: boolean },
  cache: Map<unknown, unknown>,
): unknown {
  if (cache.has(x)) return cache.get(x);
  const kids = children(x, opts);
  // leaves, and nodes without children (a layer with no fields), are mapped by f
  if (kids.length === 0) {
    const y = f(x, path);
    if (typeof x === 'object' && x !== null) cache.set(x, y);
    return y;
  }
  const isList = Array.isArray(x) || x instanceof Set;
  const out: unknown[] | Map<unknown, unknown> | Record<string, unknown> = isList ? [] : x instanceof Map ? new Map() : {};
  cache.set(x, out);
  const keys = x instanceof Map ? [...x.keys()] : null;
  let any = false;
  for (let i = 0; i < kids.length; i++) {
    const [k, v] = kids[i];
    const y = mirrorInto(f, v, joinPath(path, k), false, opts, cache);
    if (y !== null && y !== undefined) any = true;
    if (Array.isArray(out)) out.push(y);
    else if (out instanceof Map) out.set((keys as unknown[])[i], y);
    else out[k] = y;
  }
  const result = opts.prune && !any && !root ? null : out;
  cache.set(x, result);
  return result;
}

/**
 * A function object with prototype `proto` that forwards calls to its `forward` method:
 * how layers are both objects with fields and callable like functions (`m(x)`).
 */
export function makeCallable(proto: object): unknown {
  const self = (...args: unknown[]) => (self as unknown as { forward: (...a: unknown[]) => unknown }).forward(...args);
  // A function's own `length` and `name` would shadow fields and getters of the layer.
  delete (self as { length?: number }).length;
  delete (self as { name?: string }).name;
  Object.setPrototypeOf(self, proto);
  return self;
}
