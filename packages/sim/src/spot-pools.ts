import { seededRandom } from './prng.js';

/**
 * The Spot Instance Advisor's "frequency of interruption" bands: the share
 * of a pool's instances AWS reclaimed over the trailing month.
 */
export type SpotBand = '<5%' | '5-10%' | '10-15%' | '15-20%' | '>20%';

/** Each band as a range of monthly interruption frequency (>20 % read as up to 30 %). */
export const SPOT_BAND_RANGE: Readonly<Record<SpotBand, readonly [number, number]>> = {
  '<5%': [0, 0.05],
  '5-10%': [0.05, 0.1],
  '10-15%': [0.1, 0.15],
  '15-20%': [0.15, 0.2],
  '>20%': [0.2, 0.3],
};

/** Hours in the advisor's month (365 x 24 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * How Spot pools (one instance type in one zone) run dry. Each pool has
 * capacity crunches at its own seeded rate: at a crunch AWS reclaims every
 * Spot worker of that pool (a two-minute warning each), and for
 * `drySeconds` a Spot launch into it answers InsufficientInstanceCapacity.
 * Workers of other pools are untouched: that is what diversifying buys.
 */
export interface SpotPoolModel {
  /** The advisor band of each instance type; a type not listed gets `defaultBand`. */
  readonly bands: Readonly<Record<string, SpotBand>>;
  readonly defaultBand: SpotBand;
  /**
   * Crunches per pool-hour are the band's monthly frequency / 730 times
   * this: real bands give a pool one crunch in months, so a one-day trace
   * would see none and the bench would compare nothing.
   */
  readonly stress: number;
  /** How long a pool refuses Spot launches after a crunch. */
  readonly drySeconds: number;
}

/**
 * The bench's pools. The advisor's live figures are not readable here (no
 * AWS access), so the bands are assumptions of where these types usually
 * sit in us-east-1, not readings: the small burstable t3.medium, the
 * default of countless tutorials and node groups, in the contended 10-15 %
 * band; t3.large and m7i.large (large, x86) one band better; the Graviton
 * m7g.large and c7g.xlarge, less demanded, under 5 %; t3a.medium (AMD,
 * same size) assumed in t3.medium's band, no better, so it wins nothing on
 * interruptions it was not shown to have. A stress of 100 puts
 * a t3.medium pool at ~0.017 crunches an hour, the order of the
 * simulator's single-pool default (0.01 interruptions per Spot node-hour,
 * pessimistic on purpose); a dry pool stays dry 30 minutes (an assumption:
 * long enough that the next launch meets it, ten times Karpenter's 3-minute
 * unavailable-offerings cache).
 */
export const defaultSpotPoolModel: SpotPoolModel = {
  bands: {
    't3.medium': '10-15%',
    't3a.medium': '10-15%',
    't3.large': '5-10%',
    'm7i.large': '5-10%',
    'm7g.large': '<5%',
    'c7g.xlarge': '<5%',
  },
  defaultBand: '5-10%',
  stress: 100,
  drySeconds: 1800,
};

/** A pool that had a crunch: its Spot workers are being reclaimed. */
export interface PoolCrunch {
  readonly instanceType: string;
  readonly zone: string;
  /** When it started (seconds since the start of the run). */
  readonly at: number;
}

/** FNV-1a, so each pool's PRNG has a seed of its own derived from the run's. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

class Pool {
  readonly perHour: number;
  readonly #random: () => number;
  #next: number;
  #dryUntil = Number.NEGATIVE_INFINITY;
  readonly #unreported: number[] = [];

  constructor(
    readonly instanceType: string,
    readonly zone: string,
    band: SpotBand,
    model: SpotPoolModel,
    seed: number,
  ) {
    this.#random = seededRandom(hash(`${seed}/${instanceType}/${zone}`));
    const [lo, hi] = SPOT_BAND_RANGE[band];
    // Where in its band this pool sits: zones of one type differ, as the advisor's do by region.
    const monthly = lo + this.#random() * (hi - lo);
    this.perHour = (monthly / HOURS_PER_MONTH) * model.stress;
    this.#next = this.#gap();
  }

  /** Seconds to the next crunch: exponential, so crunches are a Poisson process. */
  #gap(): number {
    if (this.perHour <= 0) return Number.POSITIVE_INFINITY;
    return (-Math.log(1 - this.#random()) / this.perHour) * 3600;
  }

  /** Moves the pool's own clock to `t`; its draws never depend on who asks or when. */
  advance(t: number, drySeconds: number): void {
    while (this.#next <= t) {
      this.#unreported.push(this.#next);
      this.#dryUntil = this.#next + drySeconds;
      this.#next += this.#gap();
    }
  }

  dry(t: number): boolean {
    return t < this.#dryUntil;
  }

  takeUnreported(): number[] {
    return this.#unreported.splice(0);
  }
}

/**
 * The Spot pools of a run: every listed type in every zone, each crunching
 * on its own seeded clock, so two runs with the same seed see the same
 * crunches in the pools they share, whatever they launch.
 *
 * @example
 * const pools = new SpotPools(defaultSpotPoolModel, ['t3.medium'], ['us-east-1a'], 1);
 * pools.isDry('t3.medium', 'us-east-1a', 3600);
 */
export class SpotPools {
  readonly #pools = new Map<string, Pool>();

  constructor(
    readonly model: SpotPoolModel,
    instanceTypes: readonly string[],
    zones: readonly string[],
    seed: number,
  ) {
    for (const type of instanceTypes)
      for (const zone of zones)
        this.#pools.set(
          `${type}/${zone}`,
          new Pool(type, zone, model.bands[type] ?? model.defaultBand, model, seed),
        );
  }

  /** Crunches per hour of one pool (0 for a pool not modelled). */
  ratePerHour(instanceType: string, zone: string): number {
    return this.#pools.get(`${instanceType}/${zone}`)?.perHour ?? 0;
  }

  /** Whether a Spot launch of `instanceType` in `zone` at `t` answers insufficient capacity. */
  isDry(instanceType: string, zone: string, t: number): boolean {
    const pool = this.#pools.get(`${instanceType}/${zone}`);
    if (!pool) return false;
    pool.advance(t, this.model.drySeconds);
    return pool.dry(t);
  }

  /** Crunches up to `t` not returned before, oldest first. */
  crunches(t: number): PoolCrunch[] {
    const out: PoolCrunch[] = [];
    for (const pool of this.#pools.values()) {
      pool.advance(t, this.model.drySeconds);
      for (const at of pool.takeUnreported())
        out.push({ instanceType: pool.instanceType, zone: pool.zone, at });
    }
    return out.sort((a, b) => a.at - b.at);
  }
}
