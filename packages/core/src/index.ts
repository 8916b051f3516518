export * from './action-ledger.js';
export * from './binpack.js';
export * from './capacity-planner.js';
export * from './config.js';
export * from './cost-model.js';
export * from './decide.js';
export * from './purchase-plan.js';
export * from './victim-selection.js';
