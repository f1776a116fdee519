export { Distributed, DistributedError, initDistributed, type DistributedBackend, type DistributedOptions, type ReduceOp } from './group.js';
export { DistributedOptimizer, DistributedOptimizerRule, type DistributedOptimizerOptions } from './optimizer.js';
export { synchronize, type SynchronizeOptions } from './synchronize.js';
