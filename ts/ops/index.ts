// Loading this module installs every op as a Tensor method.
export * from './binary.js';
export * from './unary.js';
export * from './where.js';
export * from './reduce.js';
export * from './movement.js';
export * from './matmul.js';
export * from './cast.js';
export { addInPlace, subInPlace, mulInPlace, divInPlace, assign, fill } from './inplace.js';
export { opRegistry, type OpInfo } from './registry.js';
