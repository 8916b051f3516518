import type { CapacityType } from '@smartscale/contracts';
import type { Config } from './config.js';
import { hourlyPrice, staticFleetCostUsd } from './cost-model.js';
import type { PriceBook } from './prices.js';

/** What an action does to the hourly bill: positive adds, negative saves. */
export interface CostEffect {
  readonly onDemandNodes: number;
  readonly spotNodes: number;
  readonly onDemandHourlyUsd: number;
  readonly spotHourlyUsd: number;
  readonly hourlyUsd: number;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The hourly price change of adding and removing workers, by capacity type,
 * at the configured prices.
 *
 * @example
 * costEffect(['spot', 'on-demand'], [], config) // { spotNodes: 1, onDemandNodes: 1, hourlyUsd: 0.0541, ... }
 */
export function costEffect(
  added: readonly CapacityType[],
  removed: readonly CapacityType[],
  config: Config,
): CostEffect {
  const count = (type: CapacityType) =>
    added.filter((t) => t === type).length - removed.filter((t) => t === type).length;
  const onDemandNodes = count('on-demand');
  const spotNodes = count('spot');
  const onDemandHourlyUsd = round6(onDemandNodes * hourlyPrice('on-demand', config));
  const spotHourlyUsd = round6(spotNodes * hourlyPrice('spot', config));
  return {
    onDemandNodes,
    spotNodes,
    onDemandHourlyUsd,
    spotHourlyUsd,
    hourlyUsd: round6(onDemandHourlyUsd + spotHourlyUsd),
  };
}

/** A billed worker: an EC2 instance (or a node named without one). */
export interface BilledWorker {
  readonly id: string;
  readonly capacityType: CapacityType;
  /** Its instance type, when known: priced by type with a price book. */
  readonly instanceType?: string;
}

/** A change to the billed fleet, as the audit log tells it. */
export type FleetEvent =
  /** A sample saw exactly these workers registered. */
  | { readonly at: Date; readonly type: 'observed'; readonly workers: readonly BilledWorker[] }
  | { readonly at: Date; readonly type: 'launched'; readonly workers: readonly BilledWorker[] }
  | { readonly at: Date; readonly type: 'terminated'; readonly id: string };

/** Spend over a period, by capacity type, against a static on-demand fleet. */
export interface SpendAccount {
  readonly from: string;
  readonly to: string;
  /** When the fleet was first known inside the period (spend before it is not counted). */
  readonly coveredFrom: string | null;
  readonly byCapacityType: Record<CapacityType, { nodeHours: number; usd: number }>;
  readonly nodeHours: number;
  readonly usd: number;
  readonly baseline: { readonly nodes: number; readonly nodeHours: number; readonly usd: number };
  /** Baseline minus spend over the covered time; negative when SmartScale cost more. */
  readonly savingUsd: number;
  /** Saving as a share of the baseline (null when the baseline costs nothing). */
  readonly savingShare: number | null;
}

/**
 * Replays fleet events into node-seconds by capacity type between `from`
 * and `to`. Launched workers are billed from their launch; a sample is the
 * truth for registered workers (a worker seen before and now missing has
 * gone, whatever message was lost), while one launched and not yet seen
 * stays billed until it joins or is terminated. The baseline is `baselineNodes`
 * on-demand workers over the same covered time. With `prices`, each worker
 * is billed at its instance type's price (issue #23); without, at the
 * configured prices.
 *
 * @example
 * accountSpend(events, since, now, config, config.workers.max, priceBook(config))
 */
export function accountSpend(
  events: readonly FleetEvent[],
  from: Date,
  to: Date,
  config: Config,
  baselineNodes: number,
  prices?: PriceBook,
): SpendAccount {
  if (to.getTime() < from.getTime())
    throw new RangeError(`spend period: ${to.toISOString()} is before ${from.toISOString()}`);
  const billed = new Map<string, { type: CapacityType; instanceType?: string; seen: boolean }>();
  const seconds: Record<CapacityType, number> = { 'on-demand': 0, spot: 0 };
  const spent: Record<CapacityType, number> = { 'on-demand': 0, spot: 0 };
  let known = false;
  let coveredFrom: number | null = null;
  let clock = from.getTime();

  const accrue = (until: number) => {
    const end = Math.min(until, to.getTime());
    if (known && end > clock) {
      coveredFrom ??= clock;
      for (const w of billed.values()) {
        seconds[w.type] += (end - clock) / 1000;
        spent[w.type] +=
          ((end - clock) / 3_600_000) * hourlyPrice(w.type, config, w.instanceType, prices);
      }
    }
    clock = Math.max(clock, end);
  };

  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const event of ordered) {
    if (event.at.getTime() > to.getTime()) break;
    accrue(event.at.getTime());
    if (event.type === 'observed') {
      const present = new Set(event.workers.map((w) => w.id));
      for (const [id, w] of billed) if (w.seen && !present.has(id)) billed.delete(id);
      for (const w of event.workers)
        billed.set(w.id, {
          type: w.capacityType,
          instanceType: w.instanceType ?? billed.get(w.id)?.instanceType,
          seen: true,
        });
      known = true;
    } else if (event.type === 'launched') {
      for (const w of event.workers)
        if (!billed.has(w.id))
          billed.set(w.id, { type: w.capacityType, instanceType: w.instanceType, seen: false });
    } else {
      billed.delete(event.id);
    }
  }
  accrue(to.getTime());

  const covered = coveredFrom === null ? 0 : (to.getTime() - coveredFrom) / 1000;
  const byCapacityType = {
    'on-demand': { nodeHours: seconds['on-demand'] / 3600, usd: spent['on-demand'] },
    spot: { nodeHours: seconds.spot / 3600, usd: spent.spot },
  };
  const usd = byCapacityType['on-demand'].usd + byCapacityType.spot.usd;
  const baselineUsd = staticFleetCostUsd(baselineNodes, covered, config);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    coveredFrom: coveredFrom === null ? null : new Date(coveredFrom).toISOString(),
    byCapacityType,
    nodeHours: byCapacityType['on-demand'].nodeHours + byCapacityType.spot.nodeHours,
    usd,
    baseline: {
      nodes: baselineNodes,
      nodeHours: (baselineNodes * covered) / 3600,
      usd: baselineUsd,
    },
    savingUsd: baselineUsd - usd,
    savingShare: baselineUsd > 0 ? (baselineUsd - usd) / baselineUsd : null,
  };
}
