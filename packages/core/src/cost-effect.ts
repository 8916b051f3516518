import type { AnyEnvelope, CapacityType, ClusterSnapshot, Decision } from '@smartscale/contracts';
import type { Config } from './config.js';
import { planPurchase } from './purchase-plan.js';
import { type CostEffect, costEffect } from './spend.js';

// Nodes the sampler could not type (no capacity-type label) are billed as on-demand.
const typeOf = (type: CapacityType | undefined): CapacityType => type ?? 'on-demand';

/**
 * The hourly price change a decision expects: a scale-up bought with the
 * purchase mix the provisioner applies to this fleet, a scale-down the
 * victim's price; none for a hold. The launch outcome records what was
 * actually bought.
 *
 * @example
 * decisionCostEffect(decision, sample.payload, config) // { spotNodes: 2, hourlyUsd: 0.025, ... }
 */
export function decisionCostEffect(
  decision: Decision,
  snapshot: ClusterSnapshot,
  config: Config,
): CostEffect | null {
  if (decision.kind === 'hold') return null;
  if (decision.kind === 'scale-up') {
    const existing = snapshot.nodes.map((n) => ({
      zone: n.zone ?? 'unknown',
      capacityType: typeOf(n.capacityType),
    }));
    const slots = planPurchase(decision.count, existing, ['any'], config);
    return costEffect(
      slots.map((s) => s.capacityType),
      [],
      config,
    );
  }
  const victim = snapshot.nodes.find((n) => n.name === decision.victim.nodeName);
  return costEffect([], [typeOf(victim?.capacityType)], config);
}

/** The hourly price change an outcome made: what a launch actually bought; null for the others. */
export function outcomeCostEffect(event: AnyEnvelope, config: Config): CostEffect | null {
  if (event.type !== 'InstancesLaunched') return null;
  return costEffect(
    event.payload.instances.map((i) => i.capacityType),
    [],
    config,
  );
}
