import { describe, expect, it } from 'vitest';
import {
  defaultSpotPoolModel,
  inCrunch,
  SimCluster,
  SPOT_BAND_RANGE,
  type SpotPoolModel,
  SpotPools,
  simOptions,
} from '../../src/index.js';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const TYPES = ['t3.medium', 'm7g.large'];
const MONTH = 730 * 3600;
/** Crunches every few hours: enough events in a month to compare sequences. */
const busy: SpotPoolModel = { ...defaultSpotPoolModel, stress: 2000 };

const crunchesOver = (pools: SpotPools, seconds: number, step = 600) => {
  const seen = [];
  for (let t = 0; t <= seconds; t += step) seen.push(...pools.crunches(t));
  return seen;
};

describe('Spot pools', () => {
  it('crunch at the same times for the same seed, and at others for another seed', () => {
    const a = crunchesOver(new SpotPools(busy, TYPES, ZONES, 7), MONTH);
    const b = crunchesOver(new SpotPools(busy, TYPES, ZONES, 7), MONTH);
    const c = crunchesOver(new SpotPools(busy, TYPES, ZONES, 8), MONTH);
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('draw each pool on its own clock: asking one pool often does not move another', () => {
    const quiet = new SpotPools(busy, TYPES, ZONES, 3);
    const asked = new SpotPools(busy, TYPES, ZONES, 3);
    for (let t = 0; t < MONTH; t += 97) asked.isDry('t3.medium', 'us-east-1a', t);
    const others = (pools: SpotPools) =>
      crunchesOver(pools, MONTH).filter(
        (c) => !(c.instanceType === 't3.medium' && c.zone === 'us-east-1a'),
      );
    expect(others(asked)).toEqual(others(quiet));
    // A run with more types sees the same crunches in the pools it shares.
    const wider = new SpotPools(busy, [...TYPES, 'c7g.xlarge'], ZONES, 3);
    const shared = crunchesOver(wider, MONTH).filter((c) => c.instanceType !== 'c7g.xlarge');
    expect(shared).toEqual(crunchesOver(new SpotPools(busy, TYPES, ZONES, 3), MONTH));
  });

  it('set each pool a rate inside its advisor band, scaled by the stress', () => {
    const pools = new SpotPools(defaultSpotPoolModel, TYPES, ZONES, 1);
    for (const type of TYPES) {
      const band = defaultSpotPoolModel.bands[type] ?? defaultSpotPoolModel.defaultBand;
      const [lo, hi] = SPOT_BAND_RANGE[band];
      const rates = ZONES.map((z) => pools.ratePerHour(type, z));
      for (const rate of rates) {
        expect(rate).toBeGreaterThanOrEqual((lo / 730) * defaultSpotPoolModel.stress);
        expect(rate).toBeLessThanOrEqual((hi / 730) * defaultSpotPoolModel.stress);
      }
      // Seeded per zone: the zones of one type do not share one rate.
      expect(new Set(rates).size).toBe(ZONES.length);
    }
  });

  it('crunch a pool of a worse band more often', () => {
    const model: SpotPoolModel = { ...busy, bands: { bad: '>20%', good: '<5%' } };
    const crunches = crunchesOver(new SpotPools(model, ['bad', 'good'], ZONES, 1), 6 * MONTH);
    const counts = {
      bad: crunches.filter((c) => c.instanceType === 'bad').length,
      good: crunches.filter((c) => c.instanceType === 'good').length,
    };
    expect(counts.bad).toBeGreaterThan(4 * counts.good);
  });

  it('stay dry for drySeconds after a crunch, then take launches again', () => {
    const all = crunchesOver(new SpotPools(busy, TYPES, ZONES, 5), MONTH, 10);
    const samePool = (a: { instanceType: string; zone: string }, b: typeof a) =>
      a.instanceType === b.instanceType && a.zone === b.zone;
    // A crunch no other crunch of its pool follows within the dry spell.
    const alone = all.find(
      (c) => !all.some((d) => samePool(c, d) && d.at > c.at && d.at <= c.at + busy.drySeconds),
    );
    if (!alone) throw new Error('no lone crunch in a month at this stress');
    const pools = new SpotPools(busy, TYPES, ZONES, 5);
    const { instanceType, zone, at } = alone;
    expect(pools.isDry(instanceType, zone, at)).toBe(true);
    expect(pools.isDry(instanceType, zone, at + busy.drySeconds - 1)).toBe(true);
    expect(pools.isDry(instanceType, zone, at + busy.drySeconds)).toBe(false);
  });

  it('reclaim only the Ready Spot workers of the crunched pool', () => {
    const options = simOptions({ instanceTypes: ['t3.medium', 'm7g.large'], zones: ZONES });
    const cluster = new SimCluster(options);
    const at = (zone: string, capacityType: 'spot' | 'on-demand', instanceType: string) =>
      cluster.launch(1, 0, {
        initial: true,
        zone,
        capacityType,
        launches: [{ instanceType, count: 1 }],
      })[0];
    const a1 = at('us-east-1a', 'spot', 't3.medium');
    const a2 = at('us-east-1a', 'spot', 't3.medium');
    at('us-east-1b', 'spot', 't3.medium');
    at('us-east-1a', 'spot', 'm7g.large');
    at('us-east-1a', 'on-demand', 't3.medium');
    const reclaimed = inCrunch(cluster.nodes, {
      instanceType: 't3.medium',
      zone: 'us-east-1a',
      at: 0,
    });
    expect(reclaimed.map((n) => n.id).sort()).toEqual([a1?.id, a2?.id].sort());
  });
});
