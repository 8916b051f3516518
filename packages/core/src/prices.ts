import type { CapacityType } from '@smartscale/contracts';
import type { Config } from './config.js';
import { ON_DEMAND_HOURLY_USD } from './on-demand-prices.js';

/** Hourly prices per instance type and capacity type. */
export interface PriceBook {
  /** USD per hour of one worker; `instanceType` absent means the configured single type. */
  hourlyUsd(instanceType: string | undefined, capacityType: CapacityType): number;
}

export interface PriceBookOptions {
  /** The region of the cluster (us-east-1 when absent). */
  readonly region?: string;
  /** On-demand table by region and type (the bundled ON_DEMAND_HOURLY_USD when absent). */
  readonly onDemand?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Current Spot prices by type (from DescribeSpotPriceHistory, SpotPriceCache). */
  readonly spot?: ReadonlyMap<string, number>;
}

/**
 * Prices per instance type. A single-type configuration keeps its meaning:
 * `pricing` is the price of `instance.type` (and of a worker whose type is
 * unknown). Other types are priced on-demand from the table (a type or
 * region it lacks costs `pricing.onDemandHourlyUsd`); Spot from
 * the given current prices, else the type's on-demand price times the
 * configured Spot share of price (pricing.spotHourlyUsd over
 * pricing.onDemandHourlyUsd, 30 % by default), an estimate until
 * DescribeSpotPriceHistory is read.
 *
 * @example
 * priceBook(config).hourlyUsd('t3.large', 'on-demand') // 0.0832
 */
export function priceBook(config: Config, options: PriceBookOptions = {}): PriceBook {
  const table = (options.onDemand ?? ON_DEMAND_HOURLY_USD)[options.region ?? 'us-east-1'] ?? {};
  const { onDemandHourlyUsd, spotHourlyUsd } = config.pricing;
  const spotShare = onDemandHourlyUsd > 0 ? spotHourlyUsd / onDemandHourlyUsd : 1;
  const onDemand = (type: string | undefined) =>
    type === undefined ? onDemandHourlyUsd : (table[type] ?? onDemandHourlyUsd);
  const single =
    config.instance.types === undefined && config.instance.requirements === undefined
      ? config.instance.type
      : undefined;
  return {
    hourlyUsd(type, capacityType) {
      if (type === single) type = undefined;
      if (capacityType === 'on-demand') return onDemand(type);
      if (type === undefined) return spotHourlyUsd;
      return options.spot?.get(type) ?? onDemand(type) * spotShare;
    },
  };
}
