// Implicit parameters, Flux style: `params(W, b)` or `params(model)` collects tensors
// (by identity, in order), and `gradient(() => loss(), ps)` returns `Grads` keyed by them.
import { ArgumentError, expected } from '../errors.js';
import { add, div, mul, sub } from '../ops/binary.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { collect } from '../tree.js';
import { zerosLike } from '../creation.js';
import { callable } from '../callable.js';

/**
 * A set of parameters (tensors, by identity, in the order added): what `params` makes and
 * `gradient(f, ps)` differentiates with respect to.
 *
 * ```ts
 * const W = randn(3, 2), b = zeros(3);
 * const ps = params(W, b);
 * ps.length;   // 2
 * ps.delete(b);   // true: b is no longer trained
 * ps.has(W);   // true
 * ```
 */
class Params implements Iterable<Tensor> {
  /** @internal */
  private readonly set = new Set<Tensor>();

  constructor(tensors: Iterable<Tensor> = []) {
    for (const t of tensors) this.add(t);
  }

  get length(): number {
    return this.set.size;
  }
  has(t: Tensor): boolean {
    return this.set.has(t);
  }
  /** Adds tensors, or every trainable tensor found in models / objects. */
  add(...things: unknown[]): this {
    for (const x of things) {
      if (x instanceof Tensor) this.set.add(x);
      else if (x instanceof Params) for (const t of x) this.set.add(t);
      else for (const t of collect(x, { trainable: true })) this.set.add(t);
    }
    return this;
  }
  delete(t: Tensor): boolean {
    return this.set.delete(t);
  }
  [Symbol.iterator](): Iterator<Tensor> {
    return this.set.values();
  }
  toArray(): Tensor[] {
    return [...this.set];
  }
  toString(): string {
    return `Params([${this.toArray()
      .map((t) => `[${t.shape.join(', ')}]`)
      .join(', ')}])`;
  }
}

/**
 * Collects tensors (by identity, in order) from tensors, arrays and models: Flux's `params`.
 *
 * ```ts
 * const m = Chain(Dense(2, 3), Dense(3, 1));
 * params(m).length;   // 4
 * const W = tensor([1, 2]);
 * params(W, [W]).length;   // 1: each tensor once
 * ```
 */
export function params(...things: unknown[]): Params {
  const p = new Params();
  for (const [i, x] of things.entries()) {
    if (x === null || x === undefined || typeof x === 'number' || typeof x === 'string')
      throw expected('params', `argument ${i}`, 'a tensor, an array, or a model', x);
    p.add(x);
  }
  return p;
}

/**
 * Gradients keyed by parameter. `get(p)` is null for a parameter the loss did not use.
 *
 * ```ts
 * const W = tensor([1, 2]), b = tensor([3]);
 * const gs = gradient(() => W.mul(2).sum(), params(W, b));
 * gs.get(W);   // Tensor [2, 2]
 * gs.get(b);   // null: the loss did not use it
 * ```
 */
class Grads implements Iterable<[Tensor, Tensor | null]> {
  constructor(
    readonly params: Params,
    /** @internal */
    private readonly grads: Map<Tensor, Tensor | null>,
  ) {}

  get(p: Tensor): Tensor | null {
    if (!this.grads.has(p)) throw new ArgumentError('Grads.get: this tensor is not one of the parameters');
    return this.grads.get(p) ?? null;
  }
  has(p: Tensor): boolean {
    return this.grads.has(p);
  }
  [Symbol.iterator](): Iterator<[Tensor, Tensor | null]> {
    return this.grads.entries();
  }
  /** Applies `fn` to every non-null gradient. */
  map(fn: (g: Tensor, p: Tensor) => Tensor | null): Grads {
    const out = new Map<Tensor, Tensor | null>();
    for (const [p, g] of this.grads) out.set(p, g === null ? null : fn(g, p));
    return new Grads(this.params, out);
  }
  /** @internal */
  private zip(op: string, other: Grads | TensorLike, fn: (a: Tensor, b: TensorLike) => Tensor): Grads {
    if (other instanceof Grads) {
      const out = new Map<Tensor, Tensor | null>();
      for (const [p, g] of this.grads) {
        if (!other.has(p)) throw new ArgumentError(`Grads.${op}: the other Grads has no entry for a parameter of shape [${p.shape.join(', ')}]`);
        const h = other.get(p);
        // null means a zero gradient
        out.set(p, g === null && h === null ? null : fn(g ?? zerosLike(h as Tensor), h ?? zerosLike(g as Tensor)));
      }
      return new Grads(this.params, out);
    }
    return this.map((g) => fn(g, other));
  }
  add(other: Grads | TensorLike): Grads {
    return this.zip('add', other, add);
  }
  sub(other: Grads | TensorLike): Grads {
    return this.zip('sub', other, sub);
  }
  mul(other: Grads | TensorLike): Grads {
    return this.zip('mul', other, mul);
  }
  div(other: Grads | TensorLike): Grads {
    return this.zip('div', other, div);
  }
  toString(): string {
    return `Grads(${this.grads.size} params)`;
  }
}

// Constructible with or without `new`, as the other public classes.
const Params_ = callable(Params);
type Params_ = Params;
const Grads_ = callable(Grads);
type Grads_ = Grads;
export { Params_ as Params, Grads_ as Grads };
