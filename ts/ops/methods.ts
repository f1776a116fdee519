// Free functions become Tensor methods: `add(x, y)` is also `x.add(y)`. ts/ops/index.ts
// installs every op its family modules export, and derives the methods' type declarations
// from the same modules, so an op's name is written once: where it is defined.
import { Tensor } from '../tensor.js';

const NOT_A_METHOD: unique symbol = Symbol('not a Tensor method');
/** An exported function that is not to become a Tensor method. */
export type NotMethod<F> = F & { readonly [NOT_A_METHOD]: true };

/** Marks an op that takes no tensor first (concat takes a list) or is internal to the library. */
export function notMethod<F extends (...args: any[]) => unknown>(f: F): NotMethod<F> {
  Object.defineProperty(f, NOT_A_METHOD, { value: true });
  return f as NotMethod<F>;
}

/** `f(self, ...a) => r` as the method `(...a) => r`. */
type Method<F> = F extends (self: infer _Self, ...a: infer A) => infer R ? (...a: A) => R : never;
/**
 * The methods of a table of ops: every function not marked notMethod. (Tensor is not named
 * here: the Tensor interface extends this type, and a base type may not depend on itself.)
 */
export type MethodsOf<M> = {
  [K in keyof M as M[K] extends { readonly [NOT_A_METHOD]: true } ? never : M[K] extends (...a: any[]) => unknown ? K : never]: Method<M[K]>;
};

type OpFn = (self: Tensor, ...args: unknown[]) => unknown;

/** Installs every function of `table` not marked notMethod as a Tensor method. */
export function installMethods(table: Record<string, unknown>): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(table)) {
    if (typeof value !== 'function' || (value as { [NOT_A_METHOD]?: true })[NOT_A_METHOD]) continue;
    const fn = value as OpFn;
    // The call's own arguments, no more (get's indices count them), without a rest array
    // for the usual zero to three.
    proto[name] = function (this: Tensor, a?: unknown, b?: unknown, c?: unknown) {
      // biome-ignore lint/complexity/noArguments: arity decides which call to make
      switch (arguments.length) {
        case 0:
          return fn(this);
        case 1:
          return fn(this, a);
        case 2:
          return fn(this, a, b);
        case 3:
          return fn(this, a, b, c);
        default:
          // biome-ignore lint/complexity/noArguments: the rare call with more arguments
          return fn(this, ...arguments);
      }
    };
  }
}
