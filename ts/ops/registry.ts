// The TypeScript op registry: every differentiable op declares here which native
// kernel it runs and whether it has a backward rule. A test checks this table against
// the kernels compiled into the addon, both ways.
import { FluxionError } from '../errors.js';

export interface OpInfo {
  readonly name: string;
  readonly family: 'binary' | 'unary' | 'reduce' | 'movement' | 'matmul' | 'nn' | 'creation' | 'optim';
  /** native kernel entries this op calls, as `family:name` (e.g. `binary:add`, `other:copy`) */
  readonly kernels: readonly string[];
  /** false for ops with no derivative (comparisons, argmax, ...) */
  readonly differentiable: boolean;
}

const ops = new Map<string, OpInfo>();

export function registerOp(info: OpInfo): void {
  if (ops.has(info.name)) throw new FluxionError(`op '${info.name}' is defined twice`);
  ops.set(info.name, info);
}

export function opRegistry(): ReadonlyMap<string, OpInfo> {
  return ops;
}
