// Seeded random numbers. A generator is a seed and a counter; each draw of n numbers
// takes counters [c, c + n), and the native kernel computes number i from (seed, c + i)
// alone, so the same seed gives the same numbers on any thread count.
import { expected } from './errors.js';
import { callable } from './callable.js';

/**
 * A seeded generator of random numbers: the same seed gives the same numbers, on any thread count.
 * Constructible with or without `new`: `RNG(42)`.
 *
 * ```ts
 * const rng = RNG(42);
 * const x = randn(3, { rng });
 * randn(3, { rng: RNG(42) }).sub(x).abs().sum().item();   // 0
 * ```
 */
class RNG {
  seed: bigint;
  counter = 0n;
  constructor(seed: number | bigint = DEFAULT_SEED) {
    this.seed = toSeed(seed);
  }
  /** Reserves `n` counters and returns the first. */
  take(n: number): bigint {
    const c = this.counter;
    this.counter += BigInt(n);
    return c;
  }
  /** A uniform float in [0, 1) drawn in JavaScript (for shuffling and the like). */
  nextFloat(): number {
    // splitmix64 over the counter: cheap and good enough for permutations
    let z = (this.seed ^ (this.take(1) * 0x9e3779b97f4a7c15n)) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53;
  }
  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.nextFloat() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
  /** The state, to save and restore (`rng.state = saved`). */
  get state(): { seed: string; counter: string } {
    return { seed: this.seed.toString(), counter: this.counter.toString() };
  }
  set state(s: { seed: string; counter: string }) {
    this.seed = BigInt(s.seed);
    this.counter = BigInt(s.counter);
  }
}

const DEFAULT_SEED = 0x466c7578n;

function toSeed(seed: number | bigint): bigint {
  if (typeof seed === 'bigint') return seed & 0xffffffffffffffffn;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)
    throw expected('seed', 'seed', 'a non-negative integer', seed);
  return BigInt(seed) & 0xffffffffffffffffn;
}

/**
 * The generator used when no `rng` option is given.
 *
 * ```ts
 * defaultRNG instanceof RNG;   // true
 * ```
 */
export const defaultRNG = new RNG();

/**
 * Resets the default generator: the same seed gives the same numbers afterwards.
 *
 * ```ts
 * seed(1);
 * const a = rand(3);
 * seed(1);
 * rand(3).sub(a).abs().sum().item();   // 0
 * ```
 */
export function seed(s: number | bigint): void {
  defaultRNG.seed = toSeed(s);
  defaultRNG.counter = 0n;
}

// Constructible with or without `new`: `RNG(42)`.
const RNG_ = callable(RNG);
type RNG_ = RNG;
export { RNG_ as RNG };
