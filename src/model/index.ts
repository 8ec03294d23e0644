export * from './Trainer';
export * from './ReduceLROnPlateau';
export * from './TrainConfig';
export * from './Checkpoint';
export * from './CheckpointStore';
export * from './tenCropEvaluate';
export * from './train';
export * from './setupFromConfig';
