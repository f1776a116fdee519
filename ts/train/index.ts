export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export { train, type TrainOptions, type StepInfo, type EpochInfo } from './train.js';
export { oneHot, oneHotBatch, oneCold } from './onehot.js';
export * as schedules from './schedule.js';
export type { Schedule, SequencePart } from './schedule.js';
