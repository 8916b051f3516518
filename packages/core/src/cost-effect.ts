import type { AnyEnvelope, CapacityType, ClusterSnapshot, Decision } from '@smartscale/contracts';
import type { Config } from './config.js';
import { type PriceBook, priceBook } from './prices.js';
import { planPurchase } from './purchase-plan.js';
import { type CostEffect, costEffect } from './spend.js';

// Nodes the sampler could not type (no capacity-type label) are billed as on-demand.
const typeOf = (type: CapacityType | undefined): CapacityType => type ?? 'on-demand';

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The hourly price change a decision expects: a scale-up bought with the
 * purchase mix the provisioner applies to this fleet, a scale-down the
 * victim's price; none for a hold. A scale-up that names its types
 * (`launches`) prices each slot at its type and capacity type, slots
 * filled in the launches' order as the provisioner fills them (with
 * `prices`, else the bundled on-demand table and the Spot estimate): a
 * c7g.xlarge is not billed as the configured single type. The launch
 * outcome records what was actually bought.
 *
 * @example
 * decisionCostEffect(decision, sample.payload, config) // { spotNodes: 2, hourlyUsd: 0.025, ... }
 */
export function decisionCostEffect(
  decision: Decision,
  snapshot: ClusterSnapshot,
  config: Config,
  prices?: PriceBook,
): CostEffect | null {
  if (decision.kind === 'hold') return null;
  if (decision.kind === 'scale-up') {
    const existing = snapshot.nodes.map((n) => ({
      zone: n.zone ?? 'unknown',
      capacityType: typeOf(n.capacityType),
    }));
    const slots = planPurchase(decision.count, existing, ['any'], config);
    if (decision.launches) {
      const book = prices ?? priceBook(config);
      const types = decision.launches.flatMap((l) =>
        Array.from({ length: l.count }, () => l.instanceType),
      );
      const sum = (capacityType: CapacityType) =>
        slots.reduce(
          (acc, s, i) =>
            s.capacityType === capacityType ? acc + book.hourlyUsd(types[i], capacityType) : acc,
          0,
        );
      const onDemandHourlyUsd = round6(sum('on-demand'));
      const spotHourlyUsd = round6(sum('spot'));
      return {
        onDemandNodes: slots.filter((s) => s.capacityType === 'on-demand').length,
        spotNodes: slots.filter((s) => s.capacityType === 'spot').length,
        onDemandHourlyUsd,
        spotHourlyUsd,
        hourlyUsd: round6(onDemandHourlyUsd + spotHourlyUsd),
      };
    }
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
