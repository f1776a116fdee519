// The base of every layer: an object with fields (tensors, other layers, functions) that
// is also callable, `m(x)`, like Flux's functors. Subclasses define `forward`.
import { isRecording } from '../autodiff/tape.js';
import { collect, fcollect, makeCallable } from '../tree.js';

// An interface (not a type alias) so it merges with the class below and gives instances a call
// signature: the one of their `forward` (`this` is each subclass), so `Dense(2, 3)(x)` is a Tensor.
export interface Layer {
  (...args: Parameters<this['forward']>): ReturnType<this['forward']>;
}

/**
 * The base of every layer: an object with fields (tensors, other layers, functions) that is also
 * callable, `m(x)` runs `forward`. Fluxion finds its parameters by walking its fields (those starting
 * with `_` are skipped), as Flux's functors do.
 *
 * ```ts
 * class Scale extends Layer {
 *   constructor(public s: Tensor) {
 *     super();
 *   }
 *   forward(x: Tensor) {
 *     return x.mul(this.s);
 *   }
 * }
 * const m = new Scale(tensor([2]));
 * m(tensor([1, 3]));   // Tensor [2, 6]
 * params(m).length;   // 1
 * ```
 */
export abstract class Layer {
  constructor() {
    // Calling `new SomeLayer()` yields a function object whose prototype is SomeLayer's.
    return makeCallable(new.target.prototype) as Layer;
  }

  abstract forward(...args: any[]): any;

  /** One line like Flux's `show`: `Dense(10 => 5, σ)`. */
  toString(): string {
    const fields = Object.entries(this)
      .filter(([k]) => !k.startsWith('_'))
      .map(([k, v]) => `${k}=${describeChild(v)}`);
    return `${this.constructor.name}(${fields.join(', ')})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const n = parameterCount(this);
    return `${this.toString()}${n > 0 ? `  # ${n.toLocaleString('en-US')} parameters` : ''}`;
  }
}

/** How a child prints inside a layer's one-line form. */
export function describeChild(v: unknown): string {
  if (v instanceof Layer) return v.toString();
  if (typeof v === 'function') return functionName(v);
  if (v !== null && typeof v === 'object' && 'shape' in v && 'dtype' in v)
    return `Tensor<${(v as { dtype: string }).dtype}>[${(v as { shape: number[] }).shape.join(', ')}]`;
  if (Array.isArray(v)) return `[${v.map(describeChild).join(', ')}]`;
  return String(v);
}

/** A function's printable name; activations carry theirs (`σ`, `relu`). */
export function functionName(f: unknown): string {
  if (typeof f !== 'function') return String(f);
  const display = (f as { displayName?: string }).displayName;
  if (display) return display;
  return f.name && f.name !== 'anonymous' ? f.name : 'λ';
}

/**
 * Number of trainable parameters (elements of trainable tensors, each tensor once).
 *
 * ```ts
 * parameterCount(Dense(2, 3));   // 9
 * parameterCount(Chain(Dense(2, 3), Dense(3, 1, identity, { bias: false })));   // 12
 * ```
 */
export function parameterCount(model: unknown): number {
  return collect(model, { trainable: true }).reduce((n, t) => n + t.size, 0);
}

// ---- train / test mode (Flux's trainmode! / testmode!) ----

/**
 * How a mode-dependent layer decides: forced on, forced off, or 'auto' = on inside gradient.
 *
 * ```ts
 * const d = Dropout(0.5);
 * d.mode;   // 'auto'
 * d.mode = true;   // always drop, also outside gradient
 * ```
 */
export type Mode = boolean | 'auto';

/**
 * A layer that behaves differently in training (Dropout, BatchNorm): `trainMode` and
 * `testMode` set its `mode`, and `isActive(mode)` says which behaviour applies now.
 *
 * ```ts
 * class Noise extends Layer implements HasMode {
 *   mode: Mode = 'auto';
 *   forward(x: Tensor) { return isActive(this.mode) ? x.add(randn(x.shape).mul(0.1)) : x; }
 * }
 * ```
 */
export interface HasMode {
  mode: Mode;
}

function setMode(model: unknown, mode: Mode): void {
  for (const [, layer] of fcollect(model, { keep: (x) => x instanceof Layer && 'mode' in x })) (layer as HasMode).mode = mode;
}

/**
 * Puts Dropout-like layers in training behaviour (or back to 'auto'). Returns the model.
 *
 * ```ts
 * const m = Chain(Dense(2, 2), Dropout(0.5));
 * trainMode(m).layers[1].mode;   // true
 * trainMode(m, 'auto').layers[1].mode;   // 'auto'
 * ```
 */
export function trainMode<M>(model: M, mode: Mode = true): M {
  setMode(model, mode);
  return model;
}

/**
 * Puts Dropout-like layers in inference behaviour. Returns the model.
 *
 * ```ts
 * const m = Chain(Dense(2, 2), Dropout(0.5));
 * testMode(m).layers[1].mode;   // false
 * ```
 */
export function testMode<M>(model: M): M {
  setMode(model, false);
  return model;
}

/**
 * Whether a layer in `mode` should act as in training now ('auto': only inside gradient).
 *
 * ```ts
 * isActive(true);   // true
 * isActive('auto');   // false: not inside gradient
 * let inside = false;
 * gradient((x: Tensor) => ((inside = isActive('auto')), x.sum()), tensor([1]));
 * inside;   // true
 * ```
 */
export function isActive(mode: Mode): boolean {
  return mode === 'auto' ? isRecording() : mode;
}

const OPTION_DEFAULTS: Record<string, unknown> = { stride: 1, pad: 0, dilation: 1, groups: 1, outputPad: 0 };

/** Flux-style options after the positional arguments, `stride=2, pad=1`, leaving out defaults (`keys` in order). */
export function optionsText(o: object, keys: readonly string[], defaults: Record<string, unknown> = OPTION_DEFAULTS): string {
  const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v));
  const parts: string[] = [];
  for (const key of keys) {
    const v = (o as Record<string, unknown>)[key];
    if (v !== undefined && v !== defaults[key]) parts.push(`${key}=${show(v)}`);
  }
  return parts.length > 0 ? `, ${parts.join(', ')}` : '';
}
