import type { Config, InstanceCatalog, ResolvedInstanceType } from '@smartscale/core';
import { priceBook } from '@smartscale/core';

/** Current Spot prices: the cheapest zone price per type (SpotPriceCache.cheapestByType). */
export type SpotPrices = (
  instanceTypes: readonly string[],
  zones?: readonly string[],
) => Promise<ReadonlyMap<string, number>>;

/**
 * What the decision chooses among when several instance types are
 * resolved: the types and their prices, on-demand from core's table and
 * Spot as EC2 quotes it now (cached by SpotPriceCache). Prices are read
 * here, before the decision, so core decides on data and fetches nothing.
 * Undefined with one type: the decision is the single-type one, and Spot
 * prices are not asked for. Spot prices that cannot be read do not stop the
 * decision: Spot is estimated from on-demand, and `warn` says so.
 *
 * @example
 * const catalog = await currentCatalog(types, config, 'us-east-1', (t, z) => spot.cheapestByType(t, z), log);
 */
export async function currentCatalog(
  types: readonly ResolvedInstanceType[],
  config: Config,
  region: string,
  spotPrices: SpotPrices,
  warn: (line: string) => void,
): Promise<InstanceCatalog | undefined> {
  if (types.length < 2) return undefined;
  let spot: ReadonlyMap<string, number> | undefined;
  try {
    spot = await spotPrices(
      types.map((t) => t.instanceType),
      config.instance.zones,
    );
  } catch (error) {
    warn(
      `Spot prices could not be read (${(error as Error).message}); Spot is estimated as the configured share of on-demand`,
    );
  }
  return { types, prices: priceBook(config, { region, ...(spot ? { spot } : {}) }) };
}
