// Optimiser state kept apart from the model (Optimisers.jl): `setup` builds a tree that
// mirrors the model's trainable fields with a Leaf per parameter (tied weights share one
// Leaf); `update` walks model, gradient and state together and steps each parameter once.
import { Grads } from '../autodiff/params.js';
import { ArgumentError, DeviceError, ShapeError, expected, shapeStr } from '../errors.js';
import { cast } from '../ops/cast.js';
import { checkTarget } from '../ops/inplace.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { trainableChildren } from '../tree.js';
import { Rule, type RuleState } from './rules.js';

export class Leaf {
  constructor(
    public rule: Rule,
    public state: RuleState,
    public frozen = false,
  ) {}
  toString(): string {
    return `Leaf(${this.rule}${this.frozen ? ', frozen' : ''})`;
  }
}

/** A state tree: Leaf at each parameter, objects/arrays mirroring the model elsewhere, null for non-trainable fields. */
export type StateTree = Leaf | StateTree[] | { [k: string]: StateTree } | null;

/** The optimiser state for every trainable tensor of `model`. */
export function setup(rule: Rule, model: unknown): StateTree {
  if (!(rule instanceof Rule)) throw expected('setup', 'rule', 'an optimisation rule (Descent, Adam, ...)', rule);
  const cache = new Map<unknown, StateTree>();
  const walk = (x: unknown): StateTree => {
    if (cache.has(x)) return cache.get(x) as StateTree;
    if (x instanceof Tensor) {
      const leaf = x.dtype === 'int32' ? null : new Leaf(rule, rule.init(x));
      cache.set(x, leaf);
      return leaf;
    }
    const kids = trainableChildren(x);
    if (kids.length === 0) return null;
    const out: StateTree = Array.isArray(x) ? [] : {};
    cache.set(x, out);
    for (const [k, v] of kids) (out as Record<string, StateTree>)[k] = walk(v);
    return out;
  };
  return walk(model);
}

function child(x: unknown, k: string): unknown {
  if (x === null || x === undefined) return undefined;
  return (x as Record<string, unknown>)[k];
}

/**
 * One optimisation step in place: `update(state, model, grad)` with `grad` the structural
 * gradient of the model (from `gradient(m => loss(m), model)[0]`) or a `Grads`.
 */
export function update(state: StateTree, model: unknown, grad: unknown): void {
  const visited = new Set<Leaf>();
  const implicit = grad instanceof Grads ? grad : null;
  const walk = (s: StateTree, m: unknown, g: unknown, path: string): void => {
    if (s === null || s === undefined) return;
    if (s instanceof Leaf) {
      if (visited.has(s)) return; // a tied weight is stepped once
      visited.add(s);
      if (!(m instanceof Tensor)) throw new ArgumentError(`update: the model has no tensor at ${path || 'the root'} where the state has a parameter`);
      const dx = implicit ? (implicit.has(m) ? implicit.get(m) : null) : g;
      if (dx === null || dx === undefined || s.frozen) return;
      if (!(dx instanceof Tensor)) throw expected('update', `the gradient at ${path}`, 'a Tensor or null', dx);
      if (!sameShape(dx.shape, m.shape))
        throw new ShapeError(`update: gradient at ${path} has shape ${shapeStr(dx.shape)} but the parameter has ${shapeStr(m.shape)}`);
      if (dx.device !== m.device) throw new DeviceError(`update: gradient at ${path} is on ${dx.device} but the parameter is on ${m.device}`);
      const step: Tensor = dx.dtype === m.dtype ? dx : cast(dx, m.dtype);
      checkTarget('update', m); // the fused kernels write in place too: same guards
      if (s.rule.fused(s.state, m, step)) m._root()._version++;
      else m.subInPlace(s.rule.apply(s.state, m, step));
      return;
    }
    for (const [k, sub] of Object.entries(s)) walk(sub, child(m, k), implicit ? null : child(g, k), path ? `${path}.${k}` : k);
  };
  walk(state, model, grad, '');
}

function leaves(s: StateTree, fn: (l: Leaf) => void, seen = new Set<unknown>()): void {
  if (s === null || s === undefined || seen.has(s)) return;
  seen.add(s);
  if (s instanceof Leaf) fn(s);
  else for (const v of Object.values(s)) leaves(v, fn, seen);
}

/** Changes hyperparameters everywhere in the tree: `adjust(state, 0.01)` sets the learning rate; `adjust(state, { beta: [0.8, 0.99] })`. */
export function adjust(state: StateTree, changes: number | Record<string, number | number[]>): void {
  const c = typeof changes === 'number' ? { eta: changes } : changes;
  if (c === null || typeof c !== 'object') throw expected('adjust', 'changes', 'a learning rate or an object of hyperparameters', changes);
  leaves(state, (l) => {
    l.rule = l.rule.adjust(c);
  });
}

/** Stops updating every parameter in this (sub)tree, e.g. `freeze(state.layers[0])`. */
export function freeze(state: StateTree): void {
  leaves(state, (l) => {
    l.frozen = true;
  });
}

/** Undoes `freeze`. */
export function thaw(state: StateTree): void {
  leaves(state, (l) => {
    l.frozen = false;
  });
}

/** Every Leaf with its path, in walk order (used by checkpoints). */
export function stateLeaves(state: StateTree): [string, Leaf][] {
  const out: [string, Leaf][] = [];
  const seen = new Set<unknown>();
  const walk = (s: StateTree, path: string) => {
    if (s === null || s === undefined || seen.has(s)) return;
    seen.add(s);
    if (s instanceof Leaf) out.push([path, s]);
    else for (const [k, v] of Object.entries(s)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(state, '');
  return out;
}
