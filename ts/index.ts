// Fluxion: Flux-style deep learning for TypeScript. This file is the table of contents.
export { Tensor, type TensorLike, type NestedArray } from './tensor.js';
export type { DType, Device, TypedArray } from './dtype.js';
export * from './errors.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, type CreateOptions, type TensorOptions, type RandomOptions } from './creation.js';
export { RNG, seed, defaultRNG } from './random.js';
export * from './ops/index.js';
export { gradient, withGradient, pullback, vjp, jacobian, hessian, customRule, ignoreDerivatives } from './autodiff/gradient.js';
export { params, Params, Grads } from './autodiff/params.js';
export { memory, tidy, dispose, emptyCache, type MemoryInfo } from './memory.js';
export { children, collect, collectWithPaths, fcollect, fmap, fmapstructure, type HasTrainable, type WalkOptions } from './tree.js';
export { backends, setNumThreads, numThreads, setCudaGemm } from './config.js';
export { gradcheck, gradgradcheck, type CheckOptions } from './autodiff/check.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export { saveState, loadState, readSafetensors, CheckpointError, type LoadOptions, type Rename, type StateSource, type StoredDType } from './io/checkpoint.js';
export { torchNames, torchStateDict, saveTorchState, loadTorchState, type TorchName, type TorchLoadOptions } from './io/torch.js';
export { DatasetWriter, writeDataset, type DatasetData, type DatasetWriterOptions } from './io/dataset.js';
