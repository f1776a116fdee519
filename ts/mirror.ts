// Types of the trees that mirror a model (ts/tree.ts's fmapstructure): structural gradients
// (`gradient(m => loss(m), model)[0]`) and optimiser state (`setup(rule, model)`). The walk's
// rule, in types: a node's children are its own data fields (not methods, not `_` fields),
// array and tuple elements, Map values and Set elements; a layer (a callable with `forward`)
// is a node, a plain function (an activation) a leaf. Types cannot see a layer's
// `trainable()` subset, so the mirror names every field (the others hold null).
import type { Tensor } from './tensor.js';

type IsAny<T> = 0 extends 1 & T ? true : false;

/** The keys the model walk follows: own data fields, layers among them, but not methods or `_` fields. */
type ChildKeys<M> = {
  [K in keyof M]-?: K extends string ? (K extends `_${string}` ? never : M[K] extends (...a: any) => any ? (M[K] extends { forward: unknown } ? K : never) : K) : never;
}[keyof M];

type Fields<M, L, P> = { -readonly [K in ChildKeys<M>]: Child<M[K], L, P> };

/** Below the root: a tensor becomes L, a node its mirror (or P: null where pruning may drop it), anything else null. */
type Child<M, L, P> = IsAny<M> extends true ? any : M extends Tensor ? L : M extends object ? Mirror<M, L, P> | P : null;

/**
 * `M` with every tensor replaced by `L`: arrays and tuples stay arrays and tuples, Maps stay
 * Maps, Sets become arrays, layers and other objects become plain objects of their fields.
 * `P` is `null` for a pruned mirror (structural gradients: a subtree without a gradient is
 * null) and `never` otherwise.
 *
 * ```ts
 * type Sizes = Mirror<{ w: Tensor; b: Tensor }, number>;   // { w: number; b: number }
 * const sizes: Sizes = { w: 6, b: 3 };
 * ```
 */
export type Mirror<M, L, P = never> =
  IsAny<M> extends true
    ? any
    : M extends Tensor
      ? L
      : M extends readonly unknown[]
        ? { -readonly [K in keyof M]: Child<M[K], L, P> }
        : M extends ReadonlyMap<infer K, infer V>
          ? Map<K, Child<V, L, P>>
          : M extends ReadonlySet<infer V>
            ? Child<V, L, P>[]
            : M extends (...a: any) => any
              ? M extends { forward: unknown }
                ? Fields<M, L, P>
                : null
              : M extends object
                ? Fields<M, L, P>
                : null;

/**
 * The gradient of one argument: a number's is a number (a tensor when an enclosing gradient
 * needs to differentiate through it), a tensor's a tensor, a model's its structural gradient;
 * null where there is none.
 *
 * ```ts
 * const g: Grad<{ w: Tensor }> = gradient((m) => m.w.sum(), { w: tensor([1, 2]) })[0];
 * g.w;   // Tensor [1, 1]
 * ```
 */
export type Grad<M> = IsAny<M> extends true ? any : M extends number ? number | Tensor | null : Mirror<M, Tensor | null, null>;

/**
 * One gradient per argument.
 *
 * ```ts
 * const gs: GradsOf<[Tensor, number]> = gradient((x: Tensor, y: Tensor) => x.mul(y).sum(), tensor([1, 2]), 3);
 * gs[1];   // 3
 * ```
 */
export type GradsOf<A extends readonly unknown[]> = { -readonly [K in keyof A]: Grad<A[K]> };

/**
 * What the differentiated function receives for each argument: a number arrives as a 0-d tensor.
 *
 * ```ts
 * let shape: readonly number[] = [1];
 * gradient((x) => ((shape = x.shape), x.mul(x)), 3);
 * shape;   // []: the number 3 arrived as a 0-d tensor
 * ```
 */
export type Received<A extends readonly unknown[]> = { [K in keyof A]: A[K] extends number ? Tensor : A[K] };
