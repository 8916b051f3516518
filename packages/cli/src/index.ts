export * from './command.js';
export * from './commands/sim.js';
export * from './main.js';
