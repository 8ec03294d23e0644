export * from './Skip';
