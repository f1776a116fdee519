// Free functions become Tensor methods: `add(x, y)` is also `x.add(y)`.
import { Tensor } from '../tensor.js';

type OpFn = (self: Tensor, a?: any, b?: any, c?: any, d?: any) => unknown;

export function installMethods(methods: Record<string, OpFn>): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(methods)) {
    // A fixed-arity wrapper (no rest array): `undefined` still triggers defaults.
    proto[name] = function (this: Tensor, a?: unknown, b?: unknown, c?: unknown, d?: unknown) {
      return fn(this, a, b, c, d);
    };
  }
}
