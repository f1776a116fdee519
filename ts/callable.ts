// Public classes that construct with or without `new`: `Adam(1e-3)` and `new Adam(1e-3)` are
// the same, as layers are factories (`Dense(10, 5)`). A class alone cannot do this (calling
// one throws "cannot be invoked without 'new'"), so each public class is exported through a
// Proxy whose call does `new`. Everything else passes through to the class: `instanceof`,
// `extends`, static members, `name`, and the class's own name in error messages and printing.

/**
 * A class type that is also a function returning an instance: `X(...)` is `new X(...)`.
 *
 * ```ts
 * class Point {
 *   constructor(public x: number, public y: number) {}
 * }
 * const P: Callable<typeof Point> = callable(Point);
 * P(1, 2).x;   // 1
 * new P(3, 4).y;   // 4
 * ```
 */
export type Callable<C extends abstract new (...args: any) => any> = C &
  (C extends new (...args: infer A) => infer I ? (...args: A) => I : never);

/**
 * `cls`, callable without `new`. For a class of your own (a custom layer or rule):
 * `export const Affine = callable(class Affine extends Layer { ... })`.
 *
 * ```ts
 * const Double = callable(class Double extends Layer {
 *   forward(x: Tensor) {
 *     return x.mul(2);
 *   }
 * });
 * Double()(tensor([1, 2]));   // Tensor [2, 4]
 * ```
 */
export function callable<C extends new (...args: any) => any>(cls: C): Callable<C> {
  if (typeof cls !== 'function' || cls.prototype === undefined)
    throw new TypeError(`callable: expected a class, got ${typeof cls === 'function' ? 'a function without a prototype' : typeof cls}`);
  return new Proxy(cls, {
    apply: (target, _this, args) => Reflect.construct(target, args),
  }) as Callable<C>;
}
