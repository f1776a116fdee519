// pow, the one binary op whose derivative needs unary ops (log) and where.
import { isTracked } from '../autodiff/tape.js';
import { ge, eq, mul, sub } from './binary.js';
import { defineBinary } from './elementwise.js';
import { log } from './unary.js';
import { where } from './where.js';

// d/da a^b = b a^(b-1); d/db a^b = a^b log a, taken as 0 where a = 0 and b >= 0 (as PyTorch does).
/**
 * x to the power y, elementwise with broadcasting (d/dy taken as 0 where x = 0, as PyTorch does).
 *
 * ```ts
 * pow(tensor([2, 3]), 2);   // Tensor [4, 9]
 * ```
 */
export const pow = defineBinary(
  'pow',
  (g, [a, b], y) => [
    () => {
      // a^0 is constant: its derivative is 0, not 0 * inf at a = 0. A one-element exponent
      // (x.pow(2)) is checked once on the host instead of masking every element.
      if (b.size === 1 && !isTracked(b)) return b.item() === 0 ? mul(g, 0) : mul(g, mul(b, pow(a, sub(b, 1))));
      return mul(g, where(eq(b, 0), 0, mul(b, pow(a, sub(b, 1)))));
    },
    // (a = 0 and b >= 0) as the product of two 0/1 masks
    () => mul(g, where(mul(eq(a, 0), ge(b, 0)), 0, mul(y, log(a)))),
  ],
  { float: true },
);
