import type { Policy } from '../simulator.js';

/**
 * The baseline: a fixed fleet of on-demand workers that never changes.
 *
 * @example
 * simulate(trace, staticPolicy(5), options);
 */
export function staticPolicy(nodes = 5): Policy {
  return {
    name: 'static',
    initialNodes: () => ({ count: nodes, onDemandOnly: true }),
    step: () => {},
  };
}
