export * from './cluster.js';
export * from './demand-history.js';
export * from './model.js';
export * from './policies/index.js';
export * from './prng.js';
export * from './scenarios.js';
export * from './simulator.js';
export * from './trace.js';
