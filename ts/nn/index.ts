export * from './activations.js';
export * from './init.js';
export { Layer, trainMode, testMode, parameterCount, type Mode } from './layer.js';
export * from './layers.js';
export * from './chain.js';
export * from './device.js';
export * from './losses.js';
