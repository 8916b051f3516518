import type { SimOptions } from '../model.js';
import type { Policy } from '../simulator.js';
import type { Trace } from '../trace.js';
import { clusterAutoscalerPolicy } from './cluster-autoscaler.js';
import { karpenterPolicy } from './karpenter.js';
import { oraclePolicy } from './oracle.js';
import { seedPolicy } from './seed.js';
import { consolidationWithHeadroom, defaultDriver, smartScalePolicy } from './smartscale.js';
import { staticPolicy } from './static.js';

export {
  clusterAutoscalerDefaults,
  clusterAutoscalerPolicy,
  requestedShare,
} from './cluster-autoscaler.js';
export { disruptionBudget, karpenterPolicy, ProvisioningBatch } from './karpenter.js';
export { oraclePlan, oraclePolicy } from './oracle.js';
export { type SeedMemory, type SeedSample, seedDecision, seedPolicy, seedRules } from './seed.js';
export {
  consolidationWithHeadroom,
  defaultDriver,
  type PredictionReport,
  smartScalePolicy,
} from './smartscale.js';

/** Names of the policies the simulator compares, in report order. */
export const POLICY_NAMES = [
  'static',
  'seed',
  'cluster-autoscaler',
  'karpenter',
  'smartscale',
  'smartscale+predictive',
  'smartscale+consolidation',
  'smartscale+consolidation+headroom',
  'oracle',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/**
 * A fresh policy by name (policies keep state, so one per run).
 *
 * @example
 * const policy = createPolicy('seed', trace, options);
 */
export function createPolicy(name: PolicyName, trace: Trace, options: SimOptions): Policy {
  switch (name) {
    case 'static':
      return staticPolicy(5);
    case 'seed':
      return seedPolicy();
    case 'cluster-autoscaler':
      return clusterAutoscalerPolicy();
    case 'karpenter':
      return karpenterPolicy();
    case 'smartscale':
      return smartScalePolicy();
    case 'smartscale+predictive':
      return smartScalePolicy(defaultDriver, { predictive: true });
    case 'smartscale+consolidation':
      return smartScalePolicy(defaultDriver, { consolidation: true });
    case 'smartscale+consolidation+headroom':
      return smartScalePolicy(defaultDriver, {
        consolidation: consolidationWithHeadroom,
        name: 'smartscale+consolidation+headroom',
      });
    case 'oracle':
      return oraclePolicy(trace, options);
  }
}
