export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export { FileDataLoader, type FileDataLoaderOptions, type LoaderState } from './streaming.js';
export { AsyncDataLoader, type AsyncDataLoaderOptions, type Observation } from './async-loader.js';
export {
  train,
  trainAsync,
  metrics,
  type TrainOptions,
  type AsyncTrainOptions,
  type StepInfo,
  type EpochInfo,
  type ValidationInfo,
  type ValidateOptions,
  type Metric,
  type ProgressEvent,
  type LogStream,
  type BatchArgs,
} from './train.js';
export { oneHot, oneHotBatch, oneCold } from './onehot.js';
export * as schedules from './schedule.js';
export type { Schedule, SequencePart } from './schedule.js';
export { lossCurveSvg, type LossCurveOptions } from './plot.js';
