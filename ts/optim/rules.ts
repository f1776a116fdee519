// Optimisation rules in the Optimisers.jl style: a rule holds only hyperparameters;
// `init(x)` makes the state for one parameter and `apply(state, x, dx)` returns the step
// to subtract from x (updating the state in place). Rules compose with OptimiserChain,
// so clipping and weight decay are rules too. Adam and Descent also have a fused native
// step used when they are the whole rule (a test shows both paths agree).
import { zerosLike } from '../creation.js';
import { ArgumentError, expected } from '../errors.js';
import { adamStep, ownsStorage, sgdStep } from '../ops/optim.js';
import { maximum, minimum, mul, div, add, sub } from '../ops/binary.js';
import { sqrt } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { callable } from '../callable.js';

/**
 * The state a rule keeps per parameter, when its type is not known.
 *
 * ```ts
 * const s: RuleState = Adam().init(tensor([1, 2]));   // AdamState { m, v, t }
 * ```
 */
export type RuleState = any;

/**
 * An optimisation rule; `S` is the state it keeps per parameter (what `init` makes and `apply` updates).
 *
 * ```ts
 * // a rule of your own: sign descent, keeping no state
 * class SignDescent extends Rule<null> {
 *   readonly name = 'SignDescent';
 *   init() { return null; }
 *   apply(_s: null, _x: Tensor, dx: Tensor) { return dx.sign().mul(0.5); }
 *   hyper() { return {}; }
 * }
 * const x = { w: tensor([1, -2]) };
 * update(setup(new SignDescent(), x), x, { w: tensor([3, -4]) });
 * x.w;   // Tensor [0.5, -1.5]
 * ```
 */
export abstract class Rule<S = RuleState> {
  abstract readonly name: string;
  /** Fresh state for parameter x. */
  abstract init(x: Tensor): S;
  /** Returns the step to subtract from x; may update `state` in place. */
  abstract apply(state: S, x: Tensor, dx: Tensor): Tensor;
  /**
   * Updates x in place directly, when the rule has a fused kernel; returns false if not.
   * `nonFinite` (a one-element int32 tensor) counts the new values that are not finite.
   */
  fused(_state: S, _x: Tensor, _dx: Tensor, _nonFinite?: Tensor): boolean {
    return false;
  }
  /**
   * True when the rule must see every gradient of a step at once (DistributedOptimizer: one
   * collective over all of them); `update` then hands it all its parameters in one stepAll.
   */
  get collective(): boolean {
    return false;
  }
  /** `apply` for every parameter of one update, in walk order; returns the steps. */
  applyAll(states: RuleState[], xs: Tensor[], dxs: Tensor[]): Tensor[] {
    return xs.map((x, i) => this.apply(states[i], x, dxs[i]));
  }
  /**
   * One update of all these parameters in place: the fused step where the rule has one, else
   * x -= apply(...). Returns, per parameter, whether the fused step ran. `nonFinite` gives the
   * counter of a device (see `fused`).
   */
  stepAll(states: RuleState[], xs: Tensor[], dxs: Tensor[], nonFinite: (x: Tensor) => Tensor): boolean[] {
    return xs.map((x, i) => {
      if (this.fused(states[i], x, dxs[i], nonFinite(x))) return true;
      x.subInPlace(this.apply(states[i], x, dxs[i]));
      return false;
    });
  }
  /** Hyperparameters, for printing and `adjust`. */
  abstract hyper(): Record<string, number | number[]>;
  /** A copy with some hyperparameters changed (unknown names are ignored, as in a chain). */
  adjust(changes: Record<string, number | number[]>): Rule<S> {
    const h = { ...this.hyper() };
    let changed = false;
    for (const [k, v] of Object.entries(changes))
      if (k in h) {
        h[k] = v;
        changed = true;
      }
    if (!changed) return this;
    const copy = Object.create(Object.getPrototypeOf(this)) as Rule<S>;
    Object.assign(copy, this, h);
    return copy;
  }
  toString(): string {
    const h = Object.entries(this.hyper()).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : v}`);
    return `${this.name}(${h.join(', ')})`;
  }
}

function positive(op: string, name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw expected(op, name, 'a non-negative number', v);
  return v;
}
function fraction(op: string, name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw expected(op, name, 'a number in [0, 1)', v);
  return v;
}

/**
 * Plain gradient descent: x -= eta·dx.
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(Descent(0.1), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.8, 1.6]
 * ```
 */
class Descent extends Rule<null> {
  readonly name = 'Descent';
  constructor(readonly eta = 0.1) {
    super();
    positive('Descent', 'eta', eta);
  }
  init(): null {
    return null;
  }
  apply(_s: null, _x: Tensor, dx: Tensor): Tensor {
    return mul(dx, this.eta);
  }
  override fused(_s: null, x: Tensor, dx: Tensor, nonFinite?: Tensor): boolean {
    if (!ownsStorage(x)) return false;
    sgdStep(x, dx, this.eta, nonFinite);
    return true;
  }
  hyper() {
    return { eta: this.eta };
  }
}

/**
 * Momentum: v = rho·v + eta·dx; x -= v.
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(Momentum(0.1, 0.9), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.8, 1.6]: the first step, v = eta·dx
 * ```
 */
class Momentum extends Rule<Tensor> {
  readonly name = 'Momentum';
  constructor(
    readonly eta = 0.01,
    readonly rho = 0.9,
  ) {
    super();
    positive('Momentum', 'eta', eta);
    fraction('Momentum', 'rho', rho);
  }
  init(x: Tensor): Tensor {
    return zerosLike(x);
  }
  apply(v: Tensor, _x: Tensor, dx: Tensor): Tensor {
    v.mulInPlace(this.rho).addInPlace(mul(dx, this.eta));
    return v;
  }
  hyper() {
    return { eta: this.eta, rho: this.rho };
  }
}

/**
 * Nesterov momentum: step = −rho²·v + (1 + rho)·eta·dx, then v = rho·v − eta·dx.
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(Nesterov(0.1, 0.9), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.62, 1.24]
 * ```
 */
class Nesterov extends Rule<Tensor> {
  readonly name = 'Nesterov';
  constructor(
    readonly eta = 0.001,
    readonly rho = 0.9,
  ) {
    super();
    positive('Nesterov', 'eta', eta);
    fraction('Nesterov', 'rho', rho);
  }
  init(x: Tensor): Tensor {
    return zerosLike(x);
  }
  apply(v: Tensor, _x: Tensor, dx: Tensor): Tensor {
    const step = sub(mul(dx, (1 + this.rho) * this.eta), mul(v, this.rho * this.rho));
    v.mulInPlace(this.rho).subInPlace(mul(dx, this.eta));
    return step;
  }
  hyper() {
    return { eta: this.eta, rho: this.rho };
  }
}

/**
 * RMSProp: a = rho·a + (1 − rho)·dx²; step = eta·dx / (√a + eps).
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(RMSProp(0.01), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.968377, 1.968377]
 * ```
 */
class RMSProp extends Rule<Tensor> {
  readonly name = 'RMSProp';
  constructor(
    readonly eta = 0.001,
    readonly rho = 0.9,
    readonly eps = 1e-8,
  ) {
    super();
    positive('RMSProp', 'eta', eta);
    fraction('RMSProp', 'rho', rho);
    positive('RMSProp', 'eps', eps);
  }
  init(x: Tensor): Tensor {
    return zerosLike(x);
  }
  apply(a: Tensor, _x: Tensor, dx: Tensor): Tensor {
    a.mulInPlace(this.rho).addInPlace(mul(mul(dx, dx), 1 - this.rho));
    return div(mul(dx, this.eta), add(sqrt(a), this.eps));
  }
  hyper() {
    return { eta: this.eta, rho: this.rho, eps: this.eps };
  }
}

/**
 * AdaGrad: a += dx²; step = eta·dx / (√a + eps).
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(AdaGrad(0.1), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.9, 1.9]
 * ```
 */
class AdaGrad extends Rule<Tensor> {
  readonly name = 'AdaGrad';
  constructor(
    readonly eta = 0.1,
    readonly eps = 1e-8,
  ) {
    super();
    positive('AdaGrad', 'eta', eta);
    positive('AdaGrad', 'eps', eps);
  }
  init(x: Tensor): Tensor {
    return zerosLike(x);
  }
  apply(a: Tensor, _x: Tensor, dx: Tensor): Tensor {
    a.addInPlace(mul(dx, dx));
    return div(mul(dx, this.eta), add(sqrt(a), this.eps));
  }
  hyper() {
    return { eta: this.eta, eps: this.eps };
  }
}

/**
 * Adam's state per parameter: the moving averages `m` and `v`, and `t`, the steps taken.
 *
 * ```ts
 * const st = setup(Adam(), { w: tensor([1, 2]) });
 * st.w.state.t;   // 0
 * st.w.state.m;   // Tensor [0, 0]
 * ```
 */
export interface AdamState {
  m: Tensor;
  v: Tensor;
  t: number;
}

/**
 * Adam with bias correction (the same formula as PyTorch): step = eta·m̂ / (√v̂ + eps).
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(Adam(0.1), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.9, 1.9]: the first step is eta·sign(dx)
 * ```
 */
class Adam extends Rule<AdamState> {
  readonly name: string = 'Adam';
  readonly beta: [number, number];
  constructor(
    readonly eta = 0.001,
    beta: [number, number] = [0.9, 0.999],
    readonly eps = 1e-8,
  ) {
    super();
    positive(this.name, 'eta', eta);
    if (!Array.isArray(beta) || beta.length !== 2) throw expected('Adam', 'beta', 'a pair [beta1, beta2]', beta);
    fraction('Adam', 'beta[0]', beta[0]);
    fraction('Adam', 'beta[1]', beta[1]);
    positive('Adam', 'eps', eps);
    this.beta = [beta[0], beta[1]];
  }
  init(x: Tensor): AdamState {
    return { m: zerosLike(x), v: zerosLike(x), t: 0 };
  }
  /**
   * @internal Decoupled weight decay factor (AdamW); 0 for Adam. (Not `protected`: the class is
   * exported behind `callable`, and a user's declaration file could not name it then.)
   */
  decay(): number {
    return 0;
  }
  apply(s: AdamState, x: Tensor, dx: Tensor): Tensor {
    const [b1, b2] = this.beta;
    s.t += 1;
    s.m.mulInPlace(b1).addInPlace(mul(dx, 1 - b1));
    s.v.mulInPlace(b2).addInPlace(mul(mul(dx, dx), 1 - b2));
    const mhat = div(s.m, 1 - b1 ** s.t);
    const vhat = div(s.v, 1 - b2 ** s.t);
    const step = div(mul(mhat, this.eta), add(sqrt(vhat), this.eps));
    return this.decay() > 0 ? add(step, mul(x, this.eta * this.decay())) : step;
  }
  override fused(s: AdamState, x: Tensor, dx: Tensor, nonFinite?: Tensor): boolean {
    if (!ownsStorage(x)) return false;
    adamStep(x, dx, s.m, s.v, { lr: this.eta, beta: this.beta, eps: this.eps, step: s.t + 1, decay: this.decay(), nonFinite });
    s.t += 1; // counted only once the step happened
    return true;
  }
  hyper(): Record<string, number | number[]> {
    return { eta: this.eta, beta: this.beta, eps: this.eps };
  }
}

/**
 * AdamW: Adam plus decoupled weight decay x -= eta·lambda·x (PyTorch's AdamW; lambda 0.01 by default).
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(AdamW(0.1, [0.9, 0.999], 0.01), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.899, 1.898]
 * ```
 */
class AdamW extends Adam {
  override readonly name = 'AdamW';
  constructor(
    eta = 0.001,
    beta: [number, number] = [0.9, 0.999],
    readonly lambda = 0.01,
    eps = 1e-8,
  ) {
    super(eta, beta, eps);
    positive('AdamW', 'lambda', lambda);
  }
  /** @internal */
  override decay(): number {
    return this.lambda;
  }
  override hyper() {
    return { eta: this.eta, beta: this.beta, lambda: this.lambda, eps: this.eps };
  }
}

/**
 * Adds lambda·x to the gradient (L2 regularisation, coupled).
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(OptimiserChain(WeightDecay(0.5), Descent(0.1)), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.75, 1.5]
 * ```
 */
class WeightDecay extends Rule<null> {
  readonly name = 'WeightDecay';
  constructor(readonly lambda = 5e-4) {
    super();
    positive('WeightDecay', 'lambda', lambda);
  }
  init(): null {
    return null;
  }
  apply(_s: null, x: Tensor, dx: Tensor): Tensor {
    return add(dx, mul(x, this.lambda));
  }
  hyper() {
    return { lambda: this.lambda };
  }
}

/**
 * Clamps every gradient element to [−delta, delta].
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(OptimiserChain(ClipGrad(1), Descent(0.1)), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.9, 1.9]
 * ```
 */
class ClipGrad extends Rule<null> {
  readonly name = 'ClipGrad';
  constructor(readonly delta = 10) {
    super();
    positive('ClipGrad', 'delta', delta);
  }
  init(): null {
    return null;
  }
  apply(_s: null, _x: Tensor, dx: Tensor): Tensor {
    return minimum(maximum(dx, -this.delta), this.delta);
  }
  hyper() {
    return { delta: this.delta };
  }
}

/**
 * Rescales the gradient of each parameter so its p-norm is at most omega.
 *
 * ```ts
 * const m = { w: tensor([1, 2]) };
 * const opt = setup(OptimiserChain(ClipNorm(1), Descent(1)), m);
 * update(opt, m, gradient((m) => m.w.pow(2).sum(), m)[0]);   // the gradient is [2, 4]
 * m.w;   // Tensor [0.5528, 1.1056]
 * ```
 */
class ClipNorm extends Rule<null> {
  readonly name = 'ClipNorm';
  constructor(
    readonly omega = 10,
    readonly p = 2,
  ) {
    super();
    positive('ClipNorm', 'omega', omega);
    if (!(p > 0)) throw expected('ClipNorm', 'p', 'a positive number', p);
  }
  init(): null {
    return null;
  }
  apply(_s: null, _x: Tensor, dx: Tensor): Tensor {
    const norm = this.p === Number.POSITIVE_INFINITY ? dx.abs().max().item() : dx.abs().pow(this.p).sum().item() ** (1 / this.p);
    return norm > this.omega ? mul(dx, this.omega / norm) : dx;
  }
  hyper() {
    return { omega: this.omega, p: this.p };
  }
}

/**
 * Applies rules in order, each to the step the previous one produced: `OptimiserChain(ClipNorm(1), Adam())`.
 *
 * ```ts
 * const model = Chain(Dense(2, 3, relu), Dense(3, 1));
 * const opt = setup(OptimiserChain(ClipNorm(1), Adam(1e-3)), model);
 * update(opt, model, gradient((m) => m(ones(4, 2)).sum(), model)[0]);
 * String(OptimiserChain(ClipGrad(1), Descent(0.1)));   // 'OptimiserChain(ClipGrad(delta=1), Descent(eta=0.1))'
 * ```
 */
class OptimiserChain extends Rule<RuleState[]> {
  readonly name = 'OptimiserChain';
  readonly rules: Rule[];
  constructor(...rules: Rule[]) {
    super();
    rules.forEach((r, i) => {
      if (!(r instanceof Rule)) throw expected('OptimiserChain', `rule ${i}`, 'an optimisation rule', r);
    });
    if (rules.length === 0) throw new ArgumentError('OptimiserChain: expected at least one rule');
    this.rules = rules;
  }
  init(x: Tensor): RuleState[] {
    return this.rules.map((r) => r.init(x));
  }
  apply(states: RuleState[], x: Tensor, dx: Tensor): Tensor {
    let d = dx;
    this.rules.forEach((r, i) => {
      d = r.apply(states[i], x, d);
    });
    return d;
  }
  override get collective(): boolean {
    return this.rules.some((r) => r.collective);
  }
  /** Rule by rule over every parameter (so a collective rule in the chain sees all the steps before it). */
  override applyAll(states: RuleState[][], xs: Tensor[], dxs: Tensor[]): Tensor[] {
    if (!this.collective) return super.applyAll(states, xs, dxs);
    let d = dxs;
    this.rules.forEach((r, k) => {
      d = r.applyAll(
        states.map((s) => s[k]),
        xs,
        d,
      );
    });
    return d;
  }
  override stepAll(states: RuleState[][], xs: Tensor[], dxs: Tensor[], nonFinite: (x: Tensor) => Tensor): boolean[] {
    if (!this.collective) return super.stepAll(states, xs, dxs, nonFinite);
    const steps = this.applyAll(states, xs, dxs);
    xs.forEach((x, i) => {
      x.subInPlace(steps[i]);
    });
    return xs.map(() => false);
  }
  hyper(): Record<string, number | number[]> {
    return {};
  }
  override adjust(changes: Record<string, number | number[]>): Rule<RuleState[]> {
    return new OptimiserChain(...this.rules.map((r) => r.adjust(changes)));
  }
  override toString(): string {
    return `OptimiserChain(${this.rules.map(String).join(', ')})`;
  }
}

// The rules are constructible with or without `new`: `OptimiserChain(ClipNorm(1), Adam(1e-3))`.
const Descent_ = callable(Descent);
type Descent_ = Descent;
const Momentum_ = callable(Momentum);
type Momentum_ = Momentum;
const Nesterov_ = callable(Nesterov);
type Nesterov_ = Nesterov;
const RMSProp_ = callable(RMSProp);
type RMSProp_ = RMSProp;
const AdaGrad_ = callable(AdaGrad);
type AdaGrad_ = AdaGrad;
const Adam_ = callable(Adam);
type Adam_ = Adam;
const AdamW_ = callable(AdamW);
type AdamW_ = AdamW;
const WeightDecay_ = callable(WeightDecay);
type WeightDecay_ = WeightDecay;
const ClipGrad_ = callable(ClipGrad);
type ClipGrad_ = ClipGrad;
const ClipNorm_ = callable(ClipNorm);
type ClipNorm_ = ClipNorm;
const OptimiserChain_ = callable(OptimiserChain);
type OptimiserChain_ = OptimiserChain;
export {
  Descent_ as Descent,
  Momentum_ as Momentum,
  Nesterov_ as Nesterov,
  RMSProp_ as RMSProp,
  AdaGrad_ as AdaGrad,
  Adam_ as Adam,
  AdamW_ as AdamW,
  WeightDecay_ as WeightDecay,
  ClipGrad_ as ClipGrad,
  ClipNorm_ as ClipNorm,
  OptimiserChain_ as OptimiserChain,
};
