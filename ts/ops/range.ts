// The range form of an index: `x.get(range(0, 5))` is rows 0 to 4, while `x.get([0, 5])` is
// rows 0 and 5. A range has its own form, never a plain array, so that no index reads as a
// range to one reader and as a list of positions to another.
import { IndexError } from '../errors.js';
import { valueStr } from '../shape.js';

/**
 * start..end-1, step apart; null takes the default (0, the dim's size, 1). Negative start/end count from the end.
 *
 * ```ts
 * const r: Range = range(1, 4);
 * arange(5).get(r);   // Tensor [1, 2, 3]
 * ```
 */
export class Range {
  constructor(
    readonly start: number | null,
    readonly end: number | null,
    readonly step: number | null,
  ) {
    for (const [v, name] of [[start, 'start'], [end, 'end'], [step, 'step']] as const)
      if (v !== null && (typeof v !== 'number' || !Number.isInteger(v)))
        throw new IndexError(`range: expected ${name} to be an integer or null, got ${valueStr(v)}`);
    if (step !== null && step <= 0) throw new IndexError(`range: expected a positive step, got ${step}`);
    Object.freeze(this);
  }
  toString(): string {
    return `range(${this.start}, ${this.end}${this.step === null ? '' : `, ${this.step}`})`;
  }
}

/**
 * A range index, as Python's `range`/slices read: `range(5)` is 0..4, `range(1, 4)` is 1..3,
 * `range(0, null, 2)` every other one, `range(-2, null)` the last two.
 *
 * ```ts
 * const x = arange(10);
 * x.get(range(2, 5));   // Tensor [2, 3, 4]
 * x.get(range(null, null, 3));   // Tensor [0, 3, 6, 9]
 * x.get(range(-3, null));   // Tensor [7, 8, 9]
 * ```
 */
export function range(end?: number | null): Range;
export function range(start: number | null, end: number | null, step?: number | null): Range;
export function range(...args: (number | null | undefined)[]): Range {
  if (args.length > 3) throw new IndexError(`range: expected (end), (start, end) or (start, end, step), got ${args.length} arguments`);
  if (args.length <= 1) return new Range(null, args[0] ?? null, null);
  return new Range(args[0] ?? null, args[1] ?? null, args[2] ?? null);
}
