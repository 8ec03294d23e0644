export * from './ops';
export * from './streams';
export * from './model';
export * from './telemetry';
