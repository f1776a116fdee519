// Models are plain trees: objects, arrays and class instances holding tensors, other
// layers, and functions. This module is the one walk over them (Functors.jl's idea):
// `children` lists what a node holds, `fmap` rebuilds a tree with tensors mapped, and
// `collect` lists its tensors. Every walk caches by identity, so a tensor or layer that
// appears twice (tied weights) is visited once and stays shared after a map.
import { Tensor } from './tensor.js';

/** A layer can restrict which of its fields are trainable (Flux's `trainable`). */
export interface HasTrainable {
  trainable(): Record<string, unknown>;
}

function isWalkable(x: unknown): x is object {
  if (x === null) return false;
  // Callable layers are functions with a `forward`; plain functions (activations) are leaves.
  if (typeof x === 'function') return typeof (x as { forward?: unknown }).forward === 'function';
  if (typeof x !== 'object') return false;
  if (x instanceof Tensor || ArrayBuffer.isView(x) || x instanceof ArrayBuffer) return false;
  if (x instanceof Map || x instanceof Set || x instanceof Date || x instanceof RegExp || x instanceof Promise) return false;
  return true;
}

/** The children of a node: array elements, or own enumerable fields (`_`-prefixed ones skipped). */
export function children(x: unknown): [string, unknown][] {
  if (!isWalkable(x)) return [];
  if (Array.isArray(x)) return x.map((v, i) => [String(i), v]);
  return Object.entries(x).filter(([k]) => !k.startsWith('_'));
}

/** Children that training may change: `trainable()` when the node defines it. */
export function trainableChildren(x: unknown): [string, unknown][] {
  if (isWalkable(x) && typeof (x as Partial<HasTrainable>).trainable === 'function') {
    const t = (x as HasTrainable).trainable();
    return Object.entries(t);
  }
  return children(x);
}

export interface WalkOptions {
  /** Follow only trainable fields. */
  trainable?: boolean;
}

/** Every tensor in the tree, each once, in walk order; with its path (`layers.0.weight`). */
export function collectWithPaths(tree: unknown, opts: WalkOptions = {}): [string, Tensor][] {
  const seen = new Set<unknown>();
  const out: [string, Tensor][] = [];
  const kids = opts.trainable ? trainableChildren : children;
  const walk = (x: unknown, path: string) => {
    if (x instanceof Tensor) {
      if (!seen.has(x)) {
        seen.add(x);
        out.push([path, x]);
      }
      return;
    }
    if (!isWalkable(x) || seen.has(x)) return;
    seen.add(x);
    for (const [k, v] of kids(x)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(tree, '');
  return out;
}

/** Every tensor in the tree, each once. */
export function collect(tree: unknown, opts: WalkOptions = {}): Tensor[] {
  return collectWithPaths(tree, opts).map(([, t]) => t);
}

/**
 * A copy of the tree with every tensor replaced by `fn(tensor, path)`. Objects are copied
 * with their prototype (so layers stay callable classes); shared nodes stay shared.
 * Callable layers (functions with fields) are rebuilt through their `_rebuild` hook.
 */
export function fmap(tree: unknown, fn: (t: Tensor, path: string) => Tensor, opts: WalkOptions = {}): unknown {
  const cache = new Map<unknown, unknown>();
  const trainableOnly = opts.trainable === true;
  const walk = (x: unknown, path: string): unknown => {
    if (cache.has(x)) return cache.get(x);
    if (x instanceof Tensor) {
      const y = fn(x, path);
      cache.set(x, y);
      return y;
    }
    if (!isWalkable(x)) return x;
    const mapChild = (k: string, v: unknown) => walk(v, path ? `${path}.${k}` : k);
    if (Array.isArray(x)) {
      const out: unknown[] = [];
      cache.set(x, out);
      for (let i = 0; i < x.length; i++) out.push(mapChild(String(i), x[i]));
      return out;
    }
    const allowed = trainableOnly ? new Set(trainableChildren(x).map(([k]) => k)) : null;
    // Callable layers are functions: the copy must be callable too, with the same prototype.
    const out = (typeof x === 'function' ? makeCallable(Object.getPrototypeOf(x)) : Object.create(Object.getPrototypeOf(x))) as Record<
      string,
      unknown
    >;
    cache.set(x, out);
    for (const [k, v] of Object.entries(x)) out[k] = k.startsWith('_') || (allowed && !allowed.has(k)) ? v : mapChild(k, v);
    return out;
  };
  return walk(tree, '');
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
