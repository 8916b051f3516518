import { type EC2Client, paginateDescribeSpotPriceHistory } from '@aws-sdk/client-ec2';

export interface SpotPriceCacheOptions {
  readonly ec2: EC2Client;
  /** How long an answer is reused (Spot prices move a few times a day at most). */
  readonly ttlSeconds?: number;
  readonly now?: () => Date;
}

/** The current Spot price of one type in one zone. */
export interface SpotPrice {
  readonly instanceType: string;
  readonly zone: string;
  readonly hourlyUsd: number;
  /** When EC2 set this price. */
  readonly since: string;
}

/**
 * Current Spot prices from EC2's DescribeSpotPriceHistory (Linux/UNIX, the
 * latest price per type and zone), cached per process for `ttlSeconds`
 * (5 minutes by default) so a decision or launch does not page through the
 * history each time.
 *
 * @example
 * const spot = new SpotPriceCache({ ec2 });
 * (await spot.cheapestByType(['t3.medium', 't3a.medium'])).get('t3a.medium') // 0.0113
 */
export class SpotPriceCache {
  readonly #options: SpotPriceCacheOptions;
  readonly #cache = new Map<string, { at: number; prices: Promise<SpotPrice[]> }>();

  constructor(options: SpotPriceCacheOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now?.() ?? new Date()).getTime();
  }

  /** The latest price per (type, zone), zones limited to `zones` when given. */
  async latest(instanceTypes: readonly string[], zones?: readonly string[]): Promise<SpotPrice[]> {
    const key = [...instanceTypes].sort().join(',');
    const ttl = (this.#options.ttlSeconds ?? 300) * 1000;
    let hit = this.#cache.get(key);
    if (hit === undefined || this.#now() - hit.at >= ttl) {
      hit = { at: this.#now(), prices: this.#fetch(instanceTypes) };
      this.#cache.set(key, hit);
      hit.prices.catch(() => this.#cache.delete(key));
    }
    const prices = await hit.prices;
    return zones === undefined ? prices : prices.filter((p) => zones.includes(p.zone));
  }

  /** The cheapest current zone price of each type (types without a price are absent). */
  async cheapestByType(
    instanceTypes: readonly string[],
    zones?: readonly string[],
  ): Promise<Map<string, number>> {
    const cheapest = new Map<string, number>();
    for (const p of await this.latest(instanceTypes, zones)) {
      const seen = cheapest.get(p.instanceType);
      if (seen === undefined || p.hourlyUsd < seen) cheapest.set(p.instanceType, p.hourlyUsd);
    }
    return cheapest;
  }

  async #fetch(instanceTypes: readonly string[]): Promise<SpotPrice[]> {
    const latest = new Map<string, SpotPrice>();
    // StartTime now: EC2 answers with the price in force now per type and zone.
    const pages = paginateDescribeSpotPriceHistory(
      { client: this.#options.ec2 },
      {
        InstanceTypes: instanceTypes as never[],
        ProductDescriptions: ['Linux/UNIX'],
        StartTime: new Date(this.#now()),
      },
    );
    for await (const page of pages) {
      for (const h of page.SpotPriceHistory ?? []) {
        const price = Number(h.SpotPrice);
        if (!h.InstanceType || !h.AvailabilityZone || !Number.isFinite(price)) continue;
        const p: SpotPrice = {
          instanceType: String(h.InstanceType),
          zone: h.AvailabilityZone,
          hourlyUsd: price,
          since: h.Timestamp?.toISOString() ?? '',
        };
        const k = `${p.instanceType}/${p.zone}`;
        const seen = latest.get(k);
        if (seen === undefined || seen.since < p.since) latest.set(k, p);
      }
    }
    return [...latest.values()];
  }
}
