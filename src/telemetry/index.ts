export * from './TrainEvent';
