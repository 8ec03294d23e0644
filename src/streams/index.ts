export * from './Skip';
export * from './Sample';
export * from './BatchSource';
export * from './SampleStore';
export * from './RecordFile';
export * from './recordStore';
