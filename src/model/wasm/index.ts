export * from './loadWasmBackend';
export * from './registerWasmTrainingKernels';
