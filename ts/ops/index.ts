// Loading this module installs every op as a Tensor method.
export * from './binary.js';
export {
  fusedBackward,
  neg,
  exp,
  log,
  sqrt,
  abs,
  sign,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  softplus,
  recip,
  log1p,
  expm1,
  gelu,
  σ,
} from './unary.js';
export * from './where.js';
export * from './reduce.js';
export * from './movement.js';
export * from './matmul.js';
export * from './cast.js';
export { addInPlace, subInPlace, mulInPlace, divInPlace, assign, fill } from './inplace.js';
export { opRegistry, type OpInfo } from './registry.js';
