export * from './loadWasmBackend';
export * from './registerWasmTrainingKernels';
export * from './wasmKernelCall';
export * from './conv2DBackpropFilter';
export * from './conv2DBackpropInput';
export * from './maxPoolGrad';
export * from './batchMatMul';
export * from './fusedBatchNormGrad';
