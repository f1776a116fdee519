// Data-parallel optimisation: every rank computes gradients on its own part of the batch, and
// DistributedOptimizer averages them across ranks before the rule it wraps takes its step, so
// every rank takes the same step and the parameters stay identical. A rule like any other:
// `setup(DistributedOptimizer(dist, Adam()), model)`, `train(..., opt)`, or inside an
// OptimiserChain (it then averages what the rules before it produced).
//
// The average runs over buckets of many gradients (buckets.ts), one collective per bucket, when
// `update` hands the rule all of a step's gradients together (Rule.collective). Called on one
// parameter at a time (`rule.apply` directly), it reduces that one gradient.
import { ArgumentError, expected } from '../errors.js';
import { Rule, type RuleState } from '../optim/rules.js';
import type { Tensor } from '../tensor.js';
import { DEFAULT_BUCKET_BYTES, allReduceBuckets } from './buckets.js';
import { Distributed } from './group.js';
import { callable } from '../callable.js';

/**
 * Options of `DistributedOptimizer`: `bucketBytes`, how many bytes of gradients one collective
 * carries (default 25 MiB).
 *
 * ```ts no-run
 * const rule = DistributedOptimizer(dist, Adam(1e-3), { bucketBytes: 8 * 2 ** 20 });
 * ```
 */
export interface DistributedOptimizerOptions {
  /** Largest bucket of gradients reduced by one collective, in bytes (default 25 MiB). */
  bucketBytes?: number;
}

/**
 * The rule `DistributedOptimizer(dist, rule)` makes: it averages each step's gradients across
 * the ranks, in buckets, then `rule` steps; usable wherever a rule is.
 *
 * ```ts no-run
 * const rule = DistributedOptimizer(dist, Adam(1e-3));
 * rule instanceof DistributedOptimizerRule;   // true
 * const opt = setup(rule, model);
 * ```
 */
class DistributedOptimizerRule extends Rule {
  readonly name = 'DistributedOptimizer';
  readonly bucketBytes: number;
  constructor(
    readonly dist: Distributed,
    readonly rule: Rule,
    opts: DistributedOptimizerOptions = {},
  ) {
    super();
    if (!(dist instanceof Distributed)) throw expected('DistributedOptimizer', 'dist', 'the Distributed from initDistributed', dist);
    if (!(rule instanceof Rule)) throw expected('DistributedOptimizer', 'rule', 'an optimisation rule (Adam(), Descent(0.1), ...)', rule);
    if (rule instanceof DistributedOptimizerRule) throw new ArgumentError('DistributedOptimizer: the rule already averages across ranks; wrap it once');
    this.bucketBytes = opts.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    if (!Number.isInteger(this.bucketBytes) || this.bucketBytes < 1) throw expected('DistributedOptimizer', 'bucketBytes', 'a positive integer', opts.bucketBytes);
  }
  override get collective(): boolean {
    return true;
  }
  init(x: Tensor): RuleState {
    return this.rule.init(x);
  }
  apply(state: RuleState, x: Tensor, dx: Tensor): Tensor {
    return this.applyAll([state], [x], [dx])[0];
  }
  override applyAll(states: RuleState[], xs: Tensor[], dxs: Tensor[]): Tensor[] {
    const { results } = this.average(dxs);
    // the steps may be views of the buckets: they live until the scope of the update ends
    return this.rule.applyAll(states, xs, results);
  }
  override stepAll(states: RuleState[], xs: Tensor[], dxs: Tensor[], nonFinite: (x: Tensor) => Tensor): boolean[] {
    const { results, buckets } = this.average(dxs);
    try {
      return this.rule.stepAll(states, xs, results, nonFinite);
    } finally {
      for (const b of buckets) b.dispose();
    }
  }
  hyper(): Record<string, number | number[]> {
    return this.rule.hyper();
  }
  override adjust(changes: Record<string, number | number[]>): Rule {
    const inner = this.rule.adjust(changes);
    return inner === this.rule ? this : new DistributedOptimizerRule(this.dist, inner, { bucketBytes: this.bucketBytes });
  }
  override toString(): string {
    return `DistributedOptimizer(${this.rule})`;
  }

  private average(dxs: Tensor[]): { results: Tensor[]; buckets: Tensor[] } {
    return allReduceBuckets(this.dist, dxs, 'mean', this.bucketBytes);
  }
}

/**
 * A rule that averages gradients across the ranks of `dist` before `rule` steps (Horovod's DistributedOptimizer).
 *
 * ```ts no-run
 * const dist = initDistributed({ backend: 'nccl' });
 * const model = gpu(Chain(Dense(784, 256, relu), Dense(256, 10)));
 * const opt = setup(DistributedOptimizer(dist, Adam(1e-3)), synchronize(dist, model));
 * ```
 */
export function DistributedOptimizer(dist: Distributed, rule: Rule, opts?: DistributedOptimizerOptions): DistributedOptimizerRule {
  return new DistributedOptimizerRule(dist, rule, opts);
}

// Constructible with or without `new` (ts/callable.ts).
const DistributedOptimizerRule_ = callable(DistributedOptimizerRule);
type DistributedOptimizerRule_ = DistributedOptimizerRule;
export { DistributedOptimizerRule_ as DistributedOptimizerRule };
