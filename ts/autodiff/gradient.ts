// The user-facing calculus: gradient, withGradient, pullback/vjp, jacobian, hessian,
// customRule. Every call opens its own tape; arguments (and the tensors inside model
// arguments) are watched on it, so closures that capture them are tracked too.
import { copyInto, empty, fromArray, hostScalar } from '../backend/index.js';
import { GradientError, expected } from '../errors.js';
import { stack } from '../ops/movement.js';
import { reshape } from '../ops/movement.js';
import type { GradsOf, Received } from '../mirror.js';
import { Tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { collect, fmapstructure } from '../tree.js';
import { backward } from './backward.js';
import { Grads, Params } from './params.js';
import { type Node, type Tape, ignoreDerivatives, isRecording, isTracked, noteUserRule, popTape, pushTape, record, releaseTape, watch } from './tape.js';

export { ignoreDerivatives } from './tape.js';

type Any = any;

interface Watched {
  args: unknown[]; // what f receives (numbers became 0-d float64 tensors)
  leaves: Map<Tensor, Node>;
}

function watchArgs(tape: Tape, args: unknown[]): Watched {
  const leaves = new Map<Tensor, Node>();
  const converted = args.map((a) => {
    if (typeof a === 'number') {
      const t = hostScalar(a);
      leaves.set(t, watch(tape, t));
      return t;
    }
    // every tensor inside the argument, each once (the model walk of tree.ts)
    for (const t of collect(a)) if (!leaves.has(t)) leaves.set(t, watch(tape, t._check('gradient')));
    return a;
  });
  return { args: converted, leaves };
}

/** The loss inside f's result: the value itself, `{ loss }`, or the first entry of a tuple. */
function lossOf(op: string, out: unknown): Tensor | null {
  let v = out;
  if (Array.isArray(v)) v = v[0];
  else if (v !== null && typeof v === 'object' && !(v instanceof Tensor) && 'loss' in v) v = (v as { loss: unknown }).loss;
  if (typeof v === 'number') return null; // a constant: every gradient is null
  if (!(v instanceof Tensor))
    throw expected(op, 'the value of f', 'a scalar Tensor, a number, { loss, ... } or [loss, ...]', v, GradientError);
  if (v.size !== 1)
    throw new GradientError(
      `${op}: f must return a scalar (one element) to differentiate, got shape [${v.shape.join(', ')}]; reduce it (e.g. .sum()) or use jacobian/pullback`,
    );
  return v;
}

/** An argument's structure with each tensor replaced by its gradient (null when none, and for subtrees without any). */
function mirror(x: unknown, grads: LeafGrads): unknown {
  return fmapstructure((leaf) => (leaf instanceof Tensor ? grads.of(leaf) : null), x, { prune: true });
}

function finalGrad(node: Node | undefined, taken: Set<Tensor>): Tensor | null {
  const g = node?.ct ?? null;
  if (g === null) return null;
  // Hand out plain tensors: a broadcast view would surprise in-place updates. So would a
  // gradient sharing storage with another one handed out (add's rule passes one cotangent
  // to both inputs, so two parameters could get the same tensor), with the caller's
  // cotangent, or with an argument: `taken` holds the storage owners of all of those.
  if (!g.isContiguous || g._strides.some((s, i) => s === 0 && g.shape[i] > 1) || taken.has(g._root())) {
    const out = empty(g.shape, g.dtype, g.device);
    copyInto(g, out);
    if (isRecording()) record('contiguous', out, [g], (gg) => [() => gg]);
    taken.add(out);
    return out;
  }
  taken.add(g._root());
  return g;
}

/** One gradient per leaf (a tensor appearing twice in the arguments gets the same one). */
class LeafGrads {
  private readonly memo = new Map<Tensor, Tensor | null>();
  private readonly taken = new Set<Tensor>();
  /** `seed`: the caller's cotangent, whose storage no gradient may share either. */
  constructor(
    private readonly leaves: Map<Tensor, Node>,
    seed?: Tensor,
  ) {
    for (const t of leaves.keys()) this.taken.add(t._root());
    if (seed !== undefined) this.taken.add(seed._root());
  }
  of(t: Tensor): Tensor | null {
    let g = this.memo.get(t);
    if (g === undefined) {
      g = finalGrad(this.leaves.get(t), this.taken);
      this.memo.set(t, g);
    }
    return g;
  }
}

interface Run {
  val: unknown;
  grads: unknown[] | Grads;
}

// Releasing a pass's temporaries pays only when they are big: small buffers cost the pool
// nothing to leave to the garbage collector, while the release itself (tracking every tensor
// the pass makes) would double the cost of a scalar gradient.
const RELEASE_FROM_ELEMENTS = 4096;

/** True when the values recorded on `tape` hold enough elements for releasing to pay. */
function worthReleasing(tape: Tape): boolean {
  let elements = 0;
  for (const node of tape.nodes) {
    elements += node.out?.size ?? 0;
    if (elements >= RELEASE_FROM_ELEMENTS) return true;
  }
  return false;
}

/** The backward pass of one gradient call and its gradients, shaped like the arguments. */
function pass(tape: Tape, loss: Tensor | null, w: Watched, args: unknown[], implicit: boolean): unknown[] | Grads {
  if (loss !== null) backward(tape, loss);
  const grads = new LeafGrads(w.leaves);
  if (implicit) {
    const ps = args[0] as Params;
    return new Grads(ps, new Map([...ps].map((p) => [p, grads.of(p)])));
  }
  const out = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'number') {
      const g = grads.of(w.args[i] as Tensor);
      out[i] = g === null ? null : isTracked(g) ? g : g.item(); // stays a tensor only when an outer gradient needs it
    } else out[i] = mirror(a, grads);
  }
  return out;
}

function run(op: string, f: (...args: Any[]) => unknown, args: unknown[]): Run {
  if (typeof f !== 'function') throw expected(op, 'f', 'a function', f);
  const implicit = args.length === 1 && args[0] instanceof Params;
  // Whether an enclosing gradient records this one's backward pass (a higher order)
  const nested = isRecording();
  const tape = pushTape();
  try {
    const w = implicit ? watchParams(tape, args[0] as Params) : watchArgs(tape, args);
    let val: unknown;
    try {
      val = implicit ? f() : f(...w.args);
    } finally {
      popTape(tape);
    }
    const loss = lossOf(op, val);
    // The cotangents of the intermediate values are made and used up inside the backward pass;
    // nothing outside can reach them but through the gradients returned, so their storage is
    // released as soon as the pass ends (reused by the next step at once, instead of waiting
    // for the garbage collector, with fresh memory from the OS meanwhile). Not when an outer
    // gradient records the pass (its tape holds them), nor when a user's backward rule ran
    // (its code may have kept what it was given).
    const grads =
      nested || tape.userRules || !worthReleasing(tape)
        ? pass(tape, loss, w, args, implicit)
        : tidy(() => pass(tape, loss, w, args, implicit));
    return { val, grads };
  } finally {
    popTape(tape);
    releaseTape(tape);
  }
}

function watchParams(tape: Tape, ps: Params): Watched {
  const leaves = new Map<Tensor, Node>();
  for (const p of ps) leaves.set(p, watch(tape, p._check('gradient')));
  return { args: [], leaves };
}

/**
 * Gradients of a scalar function: `gradient(f, ...args)` returns one gradient per argument,
 * shaped like it (numbers → numbers, tensors → tensors, models → the same structure,
 * null where there is none). `gradient(() => loss(), params(W, b))` returns `Grads`.
 *
 * ```ts
 * const f = (x: Tensor) => x.mul(x).sum();
 * gradient(f, tensor([1, 2]))[0];   // Tensor [2, 4]
 * gradient((x: Tensor, y: Tensor) => x.mul(y), 3, 4);   // [4, 3]
 * const W = tensor([1, 2]);
 * gradient(() => W.pow(2).sum(), params(W)).get(W);   // Tensor [2, 4]
 * ```
 */
export function gradient(f: () => unknown, ps: Params): Grads;
export function gradient<A extends unknown[]>(f: (...args: Received<A>) => unknown, ...args: A): GradsOf<A>;
export function gradient(f: (...args: Any[]) => unknown, ...args: Any[]): Any {
  return run('gradient', f, args).grads;
}

/**
 * The value and the gradients: `{ val, grad }`. If f returns `{ loss, ...aux }` or
 * `[loss, ...aux]`, the loss is differentiated and `val` is the whole value.
 *
 * ```ts
 * const { val, grad } = withGradient((x: Tensor) => x.pow(2).sum(), tensor([1, 2]));
 * val.item();   // 5
 * grad[0];   // Tensor [2, 4]
 * ```
 */
export function withGradient<V>(f: () => V, ps: Params): { val: V; grad: Grads };
export function withGradient<V, A extends unknown[]>(f: (...args: Received<A>) => V, ...args: A): { val: V; grad: GradsOf<A> };
export function withGradient(f: (...args: Any[]) => unknown, ...args: Any[]): Any {
  const r = run('withGradient', f, args);
  return { val: r.val, grad: r.grads };
}

/**
 * The value of f and its pullback: `back(ct)` returns the gradients of ⟨ct, f(args)⟩ for
 * any cotangent `ct` shaped like the value. `back` may be called many times.
 *
 * ```ts
 * const { val, back } = pullback((x: Tensor) => x.mul(3), tensor([1, 2]));
 * val;   // Tensor [3, 6]
 * back(tensor([1, 0]))[0];   // Tensor [3, 0]
 * ```
 */
export function pullback<A extends unknown[]>(f: (...args: Received<A>) => Tensor, ...args: A): { val: Tensor; back: (ct: Tensor | number) => GradsOf<A> } {
  if (typeof f !== 'function') throw expected('pullback', 'f', 'a function', f);
  const tape = pushTape();
  let w: Watched;
  let val: unknown;
  try {
    w = watchArgs(tape, args);
    val = f(...(w.args as Received<A>));
  } finally {
    popTape(tape);
  }
  if (!(val instanceof Tensor)) throw expected('pullback', 'the value of f', 'a Tensor', val, GradientError);
  const out = val;
  const back = (ct: Tensor | number): GradsOf<A> => {
    let seed = typeof ct === 'number' ? fromArray([ct], [], out.dtype, out.device) : ct;
    if (!(seed instanceof Tensor)) throw expected('pullback', 'the cotangent', 'a Tensor or a number', ct);
    if (seed.size !== out.size) throw new GradientError(`pullback: the cotangent has shape [${seed.shape.join(', ')}] but the value has shape [${out.shape.join(', ')}]`);
    if (seed.dtype !== out.dtype) seed = seed.cast(out.dtype);
    seed = reshape(seed, out.shape);
    backward(tape, out, seed);
    const leafGrads = new LeafGrads(w.leaves, seed);
    const grads = args.map((a, i) => {
      if (typeof a === 'number') return leafGrads.of(w.args[i] as Tensor);
      return mirror(a, leafGrads);
    });
    for (const n of w.leaves.values()) n.ct = null; // ready for the next cotangent
    return grads as GradsOf<A>;
  };
  return { val: out, back };
}

/**
 * `vjp(f, ...args)` is `pullback` under the name JAX uses.
 *
 * ```ts
 * const { back } = vjp((x: Tensor) => x.exp(), tensor([0, 0]));
 * back(tensor([1, 2]))[0];   // Tensor [1, 2]
 * ```
 */
export const vjp = pullback;

/**
 * The Jacobian of f at x: shape [...f(x).shape, ...x.shape]. Computed in reverse mode, one
 * backward pass per output element, so it costs about (outputs) × (one gradient).
 *
 * ```ts
 * jacobian((x: Tensor) => x.mul(x), tensor([1, 2]));   // Tensor [[2, 0], [0, 4]]
 * jacobian((x: Tensor) => x.sum(), tensor([1, 2, 3])).shape;   // [3]
 * ```
 */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor | number): Tensor {
  const isNum = typeof x === 'number';
  const xt = isNum ? hostScalar(x) : x;
  if (!(xt instanceof Tensor)) throw expected('jacobian', 'x', 'a Tensor or a number', x);
  const { val, back } = pullback(f, xt);
  const rows: Tensor[] = [];
  for (let i = 0; i < val.size; i++) {
    const unit = new Array<number>(val.size).fill(0);
    unit[i] = 1;
    const g = back(fromArray(unit, [val.size], val.dtype, val.device))[0] as Tensor | null;
    rows.push(g ?? empty(xt.shape, xt.dtype, xt.device, true));
  }
  if (rows.length === 0) return empty([...val.shape, ...xt.shape], xt.dtype, xt.device, true);
  return reshape(stack(rows, 0), [...val.shape, ...xt.shape]);
}

/**
 * The Hessian of a scalar f at x: shape [...x.shape, ...x.shape]; the Jacobian of the
 * gradient (reverse over reverse: one second-order pass per element of x).
 *
 * ```ts
 * hessian((x: Tensor) => x.pow(3).sum(), tensor([1, 2]));   // Tensor [[6, 0], [0, 12]]
 * ```
 */
export function hessian(f: (x: Tensor) => Tensor, x: Tensor | number): Tensor {
  return jacobian((y: Tensor) => {
    const g = gradient(f, y)[0] as Tensor | null;
    return g ?? y.mul(0);
  }, x);
}

/** True when the walker can bring gradient shape `g` to input shape `x` (sum over broadcast dims, or expand fewer dims). */
function fitsInput(g: readonly number[], x: readonly number[]): boolean {
  const n = Math.max(g.length, x.length);
  for (let i = 1; i <= n; i++) {
    const a = i <= g.length ? g[g.length - i] : 1;
    const b = i <= x.length ? x[x.length - i] : 1;
    if (a === b) continue;
    if (g.length >= x.length ? b !== 1 : a !== 1) return false;
  }
  return true;
}

/**
 * A differentiable function with a hand-written backward rule. `forward` runs untracked;
 * `backward(g, out, ...inputs)` returns one gradient per input (or null). For second and
 * higher derivatives the rule must itself be written with Fluxion ops (it is then
 * differentiated like any other code).
 *
 * ```ts
 * const square = customRule('square', (x: Tensor) => x.mul(x), (g, _out, x) => [g.mul(x).mul(2)]);
 * square(tensor([3]));   // Tensor [9]
 * gradient((x: Tensor) => square(x).sum(), tensor([3]))[0];   // Tensor [6]
 * ```
 */
export function customRule<A extends Tensor[]>(
  name: string,
  forward: (...inputs: A) => Tensor,
  backwardRule: (g: Tensor, out: Tensor, ...inputs: A) => readonly (Tensor | null)[],
): (...inputs: A) => Tensor {
  if (typeof forward !== 'function') throw expected('customRule', 'forward', 'a function', forward);
  if (typeof backwardRule !== 'function') throw expected('customRule', 'backward', 'a function', backwardRule);
  return (...inputs: A) => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw expected(name, `input ${i}`, 'a Tensor', t);
    });
    let out = ignoreDerivatives(() => forward(...inputs));
    if (!(out instanceof Tensor)) throw expected(name, 'the value of forward', 'a Tensor', out, GradientError);
    if (inputs.includes(out)) out = out.detach(); // a fresh identity for the tape
    if (isRecording()) {
      noteUserRule();
      record(name, out, inputs, (g, ins, y) => {
        const gs = backwardRule(g, y, ...(ins as A));
        if (!Array.isArray(gs) || gs.length !== ins.length)
          throw new GradientError(`${name}: the backward rule must return ${ins.length} gradients (one per input), got ${Array.isArray(gs) ? gs.length : typeof gs}`);
        // Checked here so a wrong rule names itself, rather than failing later in the walker
        // with a TypeError or a reshape error.
        return gs.map((v, i) => {
          if (v === null) return null;
          if (!(v instanceof Tensor)) throw expected(name, `the gradient of input ${i}`, 'a Tensor or null', v, GradientError);
          if (!fitsInput(v.shape, ins[i].shape))
            throw new GradientError(
              `${name}: the backward rule returned a gradient of shape [${v.shape.join(', ')}] for input ${i} of shape [${ins[i].shape.join(', ')}]`,
            );
          return () => v;
        });
      });
    }
    return out;
  };
}
