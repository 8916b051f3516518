import type { CapacityType } from '@smartscale/contracts';
import type { Config } from './config.js';
import type { PriceBook } from './prices.js';

/** Node-seconds used, split by how they were bought. */
export interface Usage {
  readonly onDemandSeconds: number;
  readonly spotSeconds: number;
}

/**
 * Hourly price of one worker: of the configured type at the configured
 * prices, or, given its instance type and a price book, that type's price.
 *
 * @example
 * hourlyPrice('on-demand', config, 't3.large', priceBook(config)) // 0.0832
 */
export function hourlyPrice(
  capacityType: CapacityType,
  config: Config,
  instanceType?: string,
  prices?: PriceBook,
): number {
  if (prices !== undefined) return prices.hourlyUsd(instanceType, capacityType);
  return capacityType === 'spot' ? config.pricing.spotHourlyUsd : config.pricing.onDemandHourlyUsd;
}

/** Node-hours of a usage record. */
export function nodeHours(usage: Usage): number {
  return (usage.onDemandSeconds + usage.spotSeconds) / 3600;
}

/**
 * Cost in USD of a usage record at the configured prices.
 *
 * @example
 * costUsd({ onDemandSeconds: 3600, spotSeconds: 0 }, config) // 0.0416
 */
export function costUsd(usage: Usage, config: Config): number {
  return (
    (usage.onDemandSeconds / 3600) * config.pricing.onDemandHourlyUsd +
    (usage.spotSeconds / 3600) * config.pricing.spotHourlyUsd
  );
}

/** Cost of `nodes` on-demand workers running for `seconds`: the static baseline. */
export function staticFleetCostUsd(nodes: number, seconds: number, config: Config): number {
  return costUsd({ onDemandSeconds: nodes * seconds, spotSeconds: 0 }, config);
}

/**
 * Blended hourly price of a fleet bought with the configured purchase mix,
 * so policies can be compared on decisions alone.
 */
export function blendedHourlyPrice(config: Config): number {
  const s = config.purchase.spotShare;
  return s * config.pricing.spotHourlyUsd + (1 - s) * config.pricing.onDemandHourlyUsd;
}
