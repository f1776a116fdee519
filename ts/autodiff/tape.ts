// Recording. Every `gradient` call pushes its own Tape; while it records, each op whose
// inputs are tracked by that tape appends a Node. Nodes belong to one tape, so
// cotangent accumulators are per call and nested calls never see each other's.
//
// A tensor finds its node on a tape through a short linked list (`_ad`), usually one
// entry. Links to finished tapes are ignored, so long-lived tensors never confuse a
// later call.
import { GradientError } from '../errors.js';
import type { TapeLink, Tensor } from '../tensor.js';

/** Returns the gradient of one input, computed with public (differentiable) ops. */
export type GradThunk = () => Tensor;
/**
 * A backward rule: given the cotangent `g` of the output, returns one thunk per input
 * (null where the input has no derivative). Thunks are only called for inputs that need
 * a gradient, so rules never pay for unused branches.
 */
export type Vjp<C = unknown> = (g: Tensor, inputs: readonly Tensor[], out: Tensor, ctx: C) => readonly (GradThunk | null)[];

export interface Node {
  readonly name: string;
  vjp: Vjp<any> | null; // null for leaves (watched tensors)
  inputs: readonly Tensor[] | null;
  out: Tensor | null;
  ctx: unknown;
  parents: (Node | null)[] | null;
  versions: number[] | null;
  ct: Tensor | null; // accumulated cotangent
}

export interface AdLink extends TapeLink {
  readonly tape: Tape;
  readonly node: Node;
  next: AdLink | null;
}

/** The tape links of a tensor (Tensor declares the field loosely to stay free of this module). */
function links(t: Tensor): AdLink | null {
  return t._ad as AdLink | null;
}

export class Tape {
  recording = true;
  /** A user's backward rule (customRule) recorded here: its code may keep the cotangents it is given. */
  userRules = false;
  readonly nodes: Node[] = [];
  readonly watched: Tensor[] = [];
  constructor(readonly level: number) {}
}

/** Tapes now recording, innermost last. */
export const active: Tape[] = [];
// `ignoreDerivatives` hides the tapes open when it starts (active[0 .. hidden-1]), not a
// global switch: a `gradient` called inside it opens a fresh tape that must still record
// (gradgradcheck's finite differences differentiate f inside ignoreDerivatives).
let hidden = 0;

/** Marks the recording tapes as holding a user's backward rule. */
export function noteUserRule(): void {
  for (let k = hidden; k < active.length; k++) active[k].userRules = true;
}

/** True when some tape records: ops then check their inputs. */
export function isRecording(): boolean {
  return active.length > hidden;
}

/** True when `tape` is open and not hidden by an enclosing `ignoreDerivatives`. */
function live(tape: Tape): boolean {
  return tape.recording && tape.level > hidden;
}

export function nodeOn(t: Tensor, tape: Tape): Node | null {
  for (let l = links(t); l !== null; l = l.next) if (l.tape === tape) return l.node;
  return null;
}

/** True when any of `ts` is tracked by a recording tape (its backward must then be differentiable). */
export function isTracked(...ts: Tensor[]): boolean {
  if (!isRecording()) return false;
  for (const t of ts) for (let l = links(t); l !== null; l = l.next) if (live(l.tape)) return true;
  return false;
}

function link(t: Tensor, tape: Tape, node: Node): void {
  // Drop links to finished tapes while we are here, so lists stay short.
  let head = links(t);
  while (head !== null && !head.tape.recording) head = head.next;
  t._ad = { tape, node, next: head };
}

export function pushTape(): Tape {
  const tape = new Tape(active.length + 1);
  active.push(tape);
  return tape;
}

/** Stops recording on `tape` (it must be the innermost). */
export function popTape(tape: Tape): void {
  const i = active.lastIndexOf(tape);
  if (i >= 0) active.splice(i, 1);
  tape.recording = false;
}

/** Marks `t` as an input to differentiate with respect to. */
export function watch(tape: Tape, t: Tensor): Node {
  const existing = nodeOn(t, tape);
  if (existing) return existing;
  const node: Node = { name: 'leaf', vjp: null, inputs: null, out: t, ctx: null, parents: null, versions: null, ct: null };
  tape.watched.push(t);
  link(t, tape, node);
  return node;
}

/**
 * Records `out = op(inputs)` on every recording tape that tracks one of the inputs.
 * `ctx` carries whatever the backward rule needs besides inputs and output.
 */
export function record<C>(name: string, out: Tensor, inputs: readonly Tensor[], vjp: Vjp<C>, ctx?: C): Tensor {
  for (let k = hidden; k < active.length; k++) {
    const tape = active[k];
    let parents: (Node | null)[] | null = null;
    for (let i = 0; i < inputs.length; i++) {
      const p = nodeOn(inputs[i], tape);
      if (p !== null) {
        if (parents === null) parents = new Array<Node | null>(inputs.length).fill(null);
        parents[i] = p;
      }
    }
    if (parents === null) continue;
    const versions = new Array<number>(inputs.length + 1);
    for (let i = 0; i < inputs.length; i++) versions[i] = inputs[i]._root()._version;
    versions[inputs.length] = out._root()._version;
    const node: Node = { name, vjp, inputs, out, ctx, parents, versions, ct: null };
    tape.nodes.push(node);
    link(out, tape, node);
  }
  return out;
}

/**
 * Runs `fn` with recording paused: nothing inside is differentiated by the enclosing gradients.
 *
 * ```ts
 * const f = (x: Tensor) => x.mul(ignoreDerivatives(() => x.mul(2)));   // 2x², seen as c·x with c = 2x
 * gradient((x: Tensor) => f(x).sum(), tensor([3]))[0];   // Tensor [6]
 * ```
 */
export function ignoreDerivatives<T>(fn: () => T): T {
  const saved = hidden;
  hidden = active.length;
  try {
    return fn();
  } finally {
    hidden = saved;
  }
}

/** Throws if a tensor a node saved was modified in place after it was recorded. */
export function checkVersions(node: Node): void {
  const { inputs, out, versions } = node;
  if (!inputs || !versions || !out) return;
  for (let i = 0; i <= inputs.length; i++) {
    const t = i < inputs.length ? inputs[i] : out;
    const now = t._root()._version;
    if (now !== versions[i])
      throw new GradientError(
        `gradient: the ${i < inputs.length ? `input ${i}` : 'output'} of '${node.name}' (shape [${t.shape.join(', ')}]) ` +
          `was modified in place after it was used (version ${versions[i]} -> ${now}); ` +
          'its saved value is needed for the backward pass. Modify a copy (t.clone()) or move the in-place update outside the differentiated code.',
      );
  }
}

/** Throws when an in-place write would hit a tensor an active tape is differentiating. */
export function assertWritable(op: string, t: Tensor): void {
  if (!isRecording()) return;
  for (let l = links(t._root()); l !== null; l = l.next)
    if (live(l.tape))
      throw new GradientError(
        `${op}: cannot modify a tensor in place while it is being differentiated (shape [${t.shape.join(', ')}]); ` +
          'use the out-of-place op inside gradient(), or update after it returns',
      );
  for (let l = links(t); l !== null; l = l.next)
    if (live(l.tape))
      throw new GradientError(
        `${op}: cannot modify a tensor in place while it is being differentiated (shape [${t.shape.join(', ')}]); ` +
          'use the out-of-place op inside gradient(), or update after it returns',
      );
}

/** Releases everything a finished tape holds (closures, saved tensors). */
export function releaseTape(tape: Tape): void {
  for (const n of tape.nodes) {
    n.vjp = null;
    n.inputs = null;
    n.out = null;
    n.ctx = null;
    n.parents = null;
    n.versions = null;
    n.ct = null;
  }
  tape.nodes.length = 0;
  for (const t of tape.watched) {
    let prev: AdLink | null = null;
    for (let l = links(t); l !== null; l = l.next) {
      if (l.tape === tape) {
        if (prev) prev.next = l.next;
        else t._ad = l.next;
        break;
      }
      prev = l;
    }
  }
  tape.watched.length = 0;
}
