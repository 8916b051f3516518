export * from './alarm.js';
export * from './cluster.js';
export * from './decision.js';
export * from './envelope.js';
export * from './messages.js';
export * from './metrics.js';
export * from './state.js';
export * from './validation.js';
