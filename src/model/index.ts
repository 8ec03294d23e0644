export * from './Trainer';
