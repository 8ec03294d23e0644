export * from './Image';
export * from './Rng';
