// Optimiser state kept apart from the model (Optimisers.jl): `setup` mirrors the model's
// trainable fields with a Leaf per parameter (tied weights share one Leaf); `update` walks
// state, model and gradient together and steps each parameter once. The walks are the model
// walk of ts/tree.ts.
import { Grads } from '../autodiff/params.js';
import { empty } from '../backend/index.js';
import type { Device } from '../dtype.js';
import { ArgumentError, DeviceError, FluxionError, ShapeError, describe, expected, shapeStr } from '../errors.js';
import { sub } from '../ops/binary.js';
import { cast } from '../ops/cast.js';
import { sum } from '../ops/reduce.js';
import { checkTarget } from '../ops/inplace.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { childAt, children, fcollect, fmapstructure, isNode, joinPath } from '../tree.js';
import { Rule, type RuleState } from './rules.js';
import type { Mirror } from '../mirror.js';
import { callable } from '../callable.js';

/**
 * An optimiser step left parameters that are not finite: which ones, and how many values.
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * let err: unknown;
 * try {
 *   update(setup(Descent(), m), m, { w: tensor([Infinity, 0]) });
 * } catch (e) {
 *   err = e;
 * }
 * err instanceof NonFiniteError;   // true
 * (err as NonFiniteError).params[0][0];   // 'w': the path, with the count of values that are not finite
 * ```
 */
class NonFiniteError extends FluxionError {
  override name = 'NonFiniteError';
  constructor(
    message: string,
    /** [path, count of non-finite values] per parameter. */
    readonly params: [string, number][],
  ) {
    super(message);
  }
}

/**
 * One parameter's optimiser state: its rule, the rule's state `S`, and whether it is frozen.
 *
 * ```ts
 * const st = setup(Momentum(), { w: tensor([1, 2]) });
 * st.w instanceof Leaf;   // true
 * st.w.state;   // Tensor [0, 0]: the velocity
 * st.w.frozen;   // false
 * ```
 */
class Leaf<S = RuleState> {
  constructor(
    public rule: Rule<S>,
    public state: S,
    public frozen = false,
  ) {}
  toString(): string {
    return `Leaf(${this.rule}${this.frozen ? ', frozen' : ''})`;
  }
}

/**
 * A state tree: Leaf at each parameter, objects/arrays mirroring the model elsewhere, null for non-trainable fields.
 *
 * ```ts
 * const opt: StateTree = setup(Adam(), Chain(Dense(2, 3), Dense(3, 1)));
 * freeze(opt);
 * ```
 */
export type StateTree = Leaf<any> | readonly StateTree[] | { readonly [k: string]: StateTree } | ReadonlyMap<unknown, StateTree> | null;

/**
 * The state `setup(rule, model)` makes for a model of type `M`, with a rule keeping `S` per
 * parameter: the model's structure with a Leaf at each tensor (null at an int32 tensor).
 *
 * ```ts
 * const model = Chain(Dense(2, 3), Dense(3, 1));
 * const opt: StateOf<typeof model, AdamState> = setup(Adam(), model);
 * opt.layers[0].weight.state.t;   // 0
 * ```
 */
export type StateOf<M, S = RuleState> = unknown extends M ? StateTree : Mirror<M, Leaf<S> | null>; // (a model of unknown type: any state tree, as `ReturnType<typeof setup>` reads)

/**
 * The per-parameter state a rule keeps (`AdamState` for Adam).
 *
 * ```ts
 * type S = RuleStateOf<ReturnType<typeof Momentum>>;   // Tensor: the velocity
 * const v: S = zeros(2);
 * ```
 */
export type RuleStateOf<R> = R extends Rule<infer S> ? S : never;

const isLeaf = (x: unknown): x is Leaf => x instanceof Leaf;
const STATE = { leaf: isLeaf };

/**
 * The optimiser state for every trainable tensor of `model`.
 *
 * ```ts
 * const model = Chain(Dense(2, 3), Dense(3, 1));
 * const opt = setup(Adam(1e-3), model);
 * opt.layers[0].weight instanceof Leaf;   // true
 * opt.layers[1].bias.state.v.shape;   // [1]
 * ```
 */
export function setup<R extends Rule<any>, M>(rule: R, model: M): StateOf<M, RuleStateOf<R>> {
  if (!(rule instanceof Rule)) throw expected('setup', 'rule', 'an optimisation rule (Descent, Adam, ...)', rule);
  return fmapstructure((x) => (x instanceof Tensor && x.dtype !== 'int32' ? new Leaf(rule, rule.init(x)) : null), model, {
    trainable: true,
  }) as StateOf<M, RuleStateOf<R>>;
}

/** Throws unless `state` is a state tree made by `setup` (a rule in its place is the usual mistake). */
function checkState(op: string, state: unknown): void {
  if (state instanceof Rule)
    throw new ArgumentError(`${op}: expected the optimiser state from setup(rule, model), got the rule ${state}; call setup first: const opt = setup(${state}, model)`);
  if (state !== null && !isNode(state)) throw expected(op, 'state', 'the optimiser state from setup(rule, model)', state);
}

/**
 * One optimisation step in place: `update(state, model, grad)` with `grad` the structural
 * gradient of the model (from `gradient(m => loss(m), model)[0]`) or a `Grads`. A gradient
 * whose structure does not match the model is an error naming the first path that differs.
 *
 * ```ts
 * const model = Dense(2, 1, identity, { init: ones });
 * const opt = setup(Descent(0.5), model);
 * const grad = gradient((m) => m(tensor([1, 2])).sum(), model)[0];
 * update(opt, model, grad);
 * model.weight;   // Tensor [[0.5, 0]]
 * model.bias;   // Tensor [-0.5]
 * ```
 */
export function update(state: StateTree, model: unknown, grad: unknown): void {
  checkState('update', state);
  const implicit = grad instanceof Grads ? grad : null;
  if (!implicit && grad !== null && grad !== undefined && !(grad instanceof Tensor) && !isNode(grad))
    throw expected('update', 'grad', "the model's structural gradient (gradient(m => loss(m), model)[0]) or Grads", grad);
  if (!implicit) checkGradient(model, grad, '');
  const visited = new Set<Leaf>();
  const checks = new NonFiniteCheck();
  // Parameters of collective rules, stepped together after the walk (in walk order, which is
  // the same on every process, so their collectives match).
  const together = new Map<Rule, { states: RuleState[]; xs: Tensor[]; gs: Tensor[]; paths: string[] }>();
  const walk = (s: unknown, m: unknown, g: unknown, path: string): void => {
    if (s === null || s === undefined) return;
    if (s instanceof Leaf) {
      if (visited.has(s)) return; // a tied weight is stepped once
      visited.add(s);
      if (!(m instanceof Tensor)) throw new ArgumentError(`update: the model has no tensor at ${path || 'the root'} where the state has a parameter`);
      const dx = implicit ? (implicit.has(m) ? implicit.get(m) : null) : g;
      if (dx === null || dx === undefined || s.frozen) return;
      const grad = checkStep(m, dx, path);
      if (s.rule.collective) {
        let group = together.get(s.rule);
        if (group === undefined) together.set(s.rule, (group = { states: [], xs: [], gs: [], paths: [] }));
        group.states.push(s.state);
        group.xs.push(m);
        group.gs.push(grad);
        group.paths.push(path);
      } else step(s, m, grad, path, checks);
      return;
    }
    for (const [k, sub] of children(s, STATE)) walk(sub, childAt(m, k), implicit ? null : childAt(g, k), joinPath(path, k));
  };
  walk(state, model, grad, '');
  for (const [rule, group] of together) {
    const fused = rule.stepAll(group.states, group.xs, group.gs, (x) => checks.counter(x.device));
    group.xs.forEach((x, i) => {
      checks.add(group.paths[i], x, fused[i]);
    });
  }
  checks.finish();
}

/**
 * Every parameter an update stepped, and whether any value it now holds is not finite: the
 * fused steps count them in their own pass into one counter per device (read once, at the
 * end); a composed rule's result is checked with one sum. Only when something is found are
 * the parameters looked at one by one, to name them.
 */
class NonFiniteCheck {
  private readonly counters = new Map<Device, Tensor>();
  private readonly stepped: [string, Tensor][] = [];
  private composed = false;

  counter(device: Device): Tensor {
    let c = this.counters.get(device);
    if (c === undefined) this.counters.set(device, (c = empty([1], 'int32', device, true)));
    return c;
  }

  add(path: string, p: Tensor, fused: boolean): void {
    this.stepped.push([path, p]);
    if (!fused) this.composed = true;
  }

  finish(): void {
    let bad = false;
    for (const c of this.counters.values()) {
      if (c.item() > 0) bad = true;
      c.dispose();
    }
    if (!bad && this.composed) bad = this.stepped.some(([, p]) => !Number.isFinite(sum(sub(p, p)).item()));
    if (!bad) return;
    const found: [string, number][] = [];
    for (const [path, p] of this.stepped) {
      const n = Array.from(p.data()).filter((v) => !Number.isFinite(v)).length;
      if (n > 0) found.push([path, n]);
    }
    const total = found.reduce((a, [, n]) => a + n, 0);
    throw new NonFiniteError(
      `update: the step left ${total} non-finite value${total === 1 ? '' : 's'} in ${found.map(([p, n]) => `${p || 'the parameter'} (${n})`).join(', ')}: ` +
        'a NaN or infinite gradient got in (check the data, or lower the learning rate). The parameters hold those values now: restore them from a checkpoint',
      found,
    );
  }
}

/** The gradient of parameter m as its step takes it (checked, in m's dtype). */
function checkStep(m: Tensor, dx: unknown, path: string): Tensor {
  if (!(dx instanceof Tensor)) throw expected('update', `the gradient at ${path}`, 'a Tensor or null', dx);
  dx._check(`update (the gradient at ${path})`);
  if (!sameShape(dx.shape, m.shape))
    throw new ShapeError(`update: gradient at ${path} has shape ${shapeStr(dx.shape)} but the parameter has ${shapeStr(m.shape)}`);
  if (dx.device !== m.device) throw new DeviceError(`update: gradient at ${path} is on ${dx.device} but the parameter is on ${m.device}`);
  checkTarget('update', m); // the fused kernels write in place too: same guards
  return dx.dtype === m.dtype ? dx : cast(dx, m.dtype);
}

function step(s: Leaf, m: Tensor, g: Tensor, path: string, checks: NonFiniteCheck): void {
  const fused = s.rule.fused(s.state, m, g, checks.counter(m.device));
  if (!fused) m.subInPlace(s.rule.apply(s.state, m, g));
  checks.add(path, m, fused);
}

/**
 * A structural gradient mirrors the model: every field it names is a field of the model, a
 * tensor's gradient is a tensor (or null), and a layer's is a structure (or null). Checked
 * before any parameter changes, so a mismatch leaves the model as it was.
 */
function checkGradient(m: unknown, g: unknown, path: string): void {
  if (g === null || g === undefined) return;
  const at = path || 'the root';
  if (m instanceof Tensor) {
    if (!(g instanceof Tensor)) throw new ArgumentError(`update: the gradient at ${at} is ${describe(g)} but the model has a tensor there`);
    return;
  }
  if (g instanceof Tensor || !isNode(g)) throw new ArgumentError(`update: the gradient at ${at} is ${describe(g)} but the model has ${describe(m)} there`);
  if (!isNode(m)) throw new ArgumentError(`update: the gradient has ${at}, which the model lacks`);
  const keys = new Set(children(m).map(([k]) => k));
  const given = children(g);
  if (given.length === 0 && keys.size > 0)
    throw new ArgumentError(`update: the gradient at ${at} is empty but the model has ${[...keys].map((k) => joinPath(path, k)).join(', ')}`);
  for (const [k, v] of given) {
    if (!keys.has(k)) {
      const hint = Array.isArray(g) && !Array.isArray(m) && path === '' ? ' (withGradient returns one gradient per argument: pass grad[0])' : '';
      throw new ArgumentError(`update: the gradient has ${joinPath(path, k)}, which the model lacks${hint}`);
    }
    checkGradient(childAt(m, k), v, joinPath(path, k));
  }
}

/** Every Leaf with its path, in walk order (used by checkpoints). */
export function stateLeaves(state: StateTree): [string, Leaf][] {
  return fcollect(state, { ...STATE, keep: isLeaf }) as [string, Leaf][];
}

/**
 * Changes hyperparameters everywhere in the tree: `adjust(state, 0.01)` sets the learning rate; `adjust(state, { beta: [0.8, 0.99] })`.
 *
 * ```ts
 * const opt = setup(Adam(1e-3), Dense(2, 1));
 * adjust(opt, 1e-4);
 * opt.weight.rule.eta;   // 0.0001
 * adjust(opt, { beta: [0.8, 0.99] });
 * opt.weight.rule.beta;   // [0.8, 0.99]
 * ```
 */
export function adjust(state: StateTree, changes: number | Record<string, number | number[]>): void {
  checkState('adjust', state);
  const c = typeof changes === 'number' ? { eta: changes } : changes;
  if (c === null || typeof c !== 'object') throw expected('adjust', 'changes', 'a learning rate or an object of hyperparameters', changes);
  // A rule shared by many leaves stays shared (a collective rule steps its leaves together).
  const adjusted = new Map<Rule, Rule>();
  for (const [, l] of stateLeaves(state)) {
    let r = adjusted.get(l.rule);
    if (r === undefined) adjusted.set(l.rule, (r = l.rule.adjust(c)));
    l.rule = r;
  }
}

/**
 * Stops updating every parameter in this (sub)tree, e.g. `freeze(state.layers[0])`.
 *
 * ```ts
 * const model = Chain(Dense(2, 2, identity, { init: ones }), Dense(2, 1));
 * const opt = setup(Descent(0.1), model);
 * freeze(opt.layers[0]);
 * update(opt, model, gradient((m) => m(ones(1, 2)).sum(), model)[0]);
 * model.layers[0].weight.sum().item();   // 4: unchanged
 * ```
 */
export function freeze(state: StateTree): void {
  checkState('freeze', state);
  for (const [, l] of stateLeaves(state)) l.frozen = true;
}

/**
 * Undoes `freeze`.
 *
 * ```ts
 * const opt = setup(Descent(0.1), Chain(Dense(2, 2), Dense(2, 1)));
 * freeze(opt);
 * thaw(opt.layers[1]);
 * opt.layers[1].weight.frozen;   // false
 * opt.layers[0].weight.frozen;   // true
 * ```
 */
export function thaw(state: StateTree): void {
  checkState('thaw', state);
  for (const [, l] of stateLeaves(state)) l.frozen = false;
}

// Constructible with or without `new`, as the other public classes.
interface LeafClass {
  new <S>(rule: Rule<S>, state: S, frozen?: boolean): Leaf<S>;
  <S>(rule: Rule<S>, state: S, frozen?: boolean): Leaf<S>;
  readonly prototype: Leaf<any>;
}
const NonFiniteError_ = callable(NonFiniteError);
type NonFiniteError_ = NonFiniteError;
const Leaf_ = callable(Leaf) as LeafClass;
type Leaf_<S = RuleState> = Leaf<S>;
export { NonFiniteError_ as NonFiniteError, Leaf_ as Leaf };
