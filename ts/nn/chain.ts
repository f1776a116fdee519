// Chain: layers (or any functions) applied in order; `compose` is Flux's ∘.
import { ArgumentError, IndexError, expected } from '../errors.js';
import { Layer, functionName } from './layer.js';

type Fn = (x: any) => any;

/**
 * What a chain of `L` takes: its first layer's input (any, for named layers, whose order types do not keep).
 *
 * ```ts
 * type In = ChainInput<[(x: number) => string, (s: string) => boolean]>;   // number
 * const x: In = 1;
 * ```
 */
export type ChainInput<L> = L extends readonly [infer F extends Fn, ...unknown[]] ? Parameters<F>[0] : any;
/**
 * What a chain of `L` returns: its last layer's output.
 *
 * ```ts
 * type Out = ChainOutput<[(x: number) => string, (s: string) => boolean]>;   // boolean
 * const y: Out = true;
 * ```
 */
export type ChainOutput<L> = L extends readonly [...unknown[], infer F extends Fn] ? ReturnType<F> : any;

/**
 * The layer `Chain(...)` makes: `layers` (a list, or a record of named layers) applied in order, with
 * `at` and `slice` to take them apart without copying.
 *
 * ```ts
 * const m = Chain(Dense(2, 3, relu), Dense(3, 1));
 * m.length;   // 2
 * m.at(-1) === m.layers[1];   // true
 * m.slice(0, 1)(rand(4, 2)).shape;   // [4, 3]
 * ```
 */
export class ChainLayer<L extends Fn[] | Record<string, Fn> = Fn[]> extends Layer {
  constructor(public layers: L) {
    super();
  }

  forward(x: ChainInput<L>): ChainOutput<L> {
    const list = Array.isArray(this.layers) ? this.layers : Object.values(this.layers);
    let y = x;
    for (const f of list) y = f(y);
    return y;
  }

  /** The i-th layer (negative counts from the end), or the named one. */
  at(i: number | string): Fn {
    const list = this.layers as Fn[] | Record<string, Fn>;
    if (typeof i === 'string') {
      if (Array.isArray(list) || !(i in list)) throw new IndexError(`Chain: no layer named ${JSON.stringify(i)}`);
      return list[i];
    }
    const arr = Array.isArray(list) ? list : Object.values(list);
    const k = i < 0 ? i + arr.length : i;
    if (!Number.isInteger(i) || k < 0 || k >= arr.length) throw new IndexError(`Chain: index ${i} is out of range for ${arr.length} layers`);
    return arr[k];
  }

  /** A Chain of layers start..end-1 that shares them with this one (Flux's m[1:2]). */
  slice(start = 0, end?: number): ChainLayer {
    const arr = Array.isArray(this.layers) ? this.layers : Object.values(this.layers);
    return new ChainLayer(arr.slice(start, end));
  }

  override get length(): number {
    return Array.isArray(this.layers) ? this.layers.length : Object.keys(this.layers).length;
  }

  override toString(): string {
    const show = (f: Fn) => (f instanceof Layer ? f.toString() : functionName(f));
    if (Array.isArray(this.layers)) return `Chain(${this.layers.map(show).join(', ')})`;
    return `Chain(${Object.entries(this.layers)
      .map(([k, f]) => `${k} = ${show(f)}`)
      .join(', ')})`;
  }
}

/**
 * `Chain(l1, l2, ...)` applies l1, then l2, ...; any function works as a layer.
 * `Chain({ enc, dec })` names them (`m.layers.enc`, `m.at('enc')`).
 *
 * ```ts
 * const m = Chain(Dense(2, 3, relu), Dense(3, 1));
 * m(rand(5, 2)).shape;   // [5, 1]
 * Chain((x: number) => x * 2, (x: number) => x + 1)(5);   // 11
 * const ae = Chain({ enc: Dense(4, 2), dec: Dense(2, 4) });
 * ae.layers.enc.weight.shape;   // [2, 4]
 * ```
 */
export function Chain<F extends Fn[]>(...layers: F): ChainLayer<F>;
export function Chain<R extends Record<string, Fn>>(named: R): ChainLayer<R>;
export function Chain(...args: unknown[]): ChainLayer<Fn[] | Record<string, Fn>> {
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !Array.isArray(args[0])) {
    const named = args[0] as Record<string, unknown>;
    for (const [k, f] of Object.entries(named)) if (typeof f !== 'function') throw expected('Chain', `layer ${k}`, 'a layer or function', f);
    return new ChainLayer(named as Record<string, Fn>);
  }
  args.forEach((f, i) => {
    if (typeof f !== 'function') throw expected('Chain', `layer ${i}`, 'a layer or function', f);
  });
  return new ChainLayer(args as Fn[]);
}

/**
 * Flux's ∘: compose(f, g)(x) = f(g(x)); right to left.
 *
 * ```ts
 * compose((x: number) => x + 1, (x: number) => x * 2)(5);   // 11
 * ```
 */
export function compose(...fns: Fn[]): ChainLayer {
  if (fns.length === 0) throw new ArgumentError('compose: expected at least one function');
  return Chain(...fns.slice().reverse());
}
