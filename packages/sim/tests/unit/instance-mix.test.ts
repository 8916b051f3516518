import { describe, expect, it } from 'vitest';
import { DIVERSIFIED, ONE_TYPE } from '../../src/bench/instance-mix-bench.js';
import {
  defaultSpotPoolModel,
  SimCluster,
  type SpotPoolModel,
  SpotPools,
  simOptions,
  simulate,
  smartScalePolicy,
} from '../../src/index.js';
import { traceOf } from './helpers.js';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const busy: SpotPoolModel = { ...defaultSpotPoolModel, stress: 2000 };
/** The bench's set before t3a.medium joined it: no type of t3.medium's size beside it. */
const FIVE = ['t3.medium', 't3.large', 'm7i.large', 'm7g.large', 'c7g.xlarge'];

/** The first step (10 s) at which `dry` holds for these pools, seeded as a cluster's are. */
function firstTime(pools: SpotPools, dry: (p: SpotPools, t: number) => boolean): number {
  for (let t = 0; t < 90 * 86_400; t += 10) if (dry(pools, t)) return t;
  throw new Error('no such moment in 90 days');
}

describe('several instance types in the simulator', () => {
  it('gives each worker its type capacity: a c7g.xlarge holds more web pods than a t3.medium', () => {
    const cluster = new SimCluster(simOptions({ instanceTypes: ['t3.medium', 'c7g.xlarge'] }));
    const [small] = cluster.launch(1, 0, {
      initial: true,
      launches: [{ instanceType: 't3.medium', count: 1 }],
    });
    const [big] = cluster.launch(1, 0, {
      initial: true,
      launches: [{ instanceType: 'c7g.xlarge', count: 1 }],
    });
    expect(small?.instanceType).toBe('t3.medium');
    expect(big?.instanceType).toBe('c7g.xlarge');
    expect(big?.podCapacity ?? 0).toBeGreaterThan(2 * (small?.podCapacity ?? 0));
    expect(cluster.hourlyUsd('c7g.xlarge', 'spot')).toBeGreaterThan(
      cluster.hourlyUsd('t3.medium', 'spot'),
    );
  });

  it('moves a Spot launch into a dry pool to a larger type of its architecture in the same zone', () => {
    const options = simOptions({
      instanceTypes: FIVE,
      spotPools: busy,
      zones: ZONES,
      seed: 4,
    });
    const cluster = new SimCluster(options);
    const probe = new SpotPools(busy, FIVE, ZONES, 4);
    const t = firstTime(
      probe,
      (p, at) => p.isDry('t3.medium', 'us-east-1a', at) && !p.isDry('t3.large', 'us-east-1a', at),
    );
    const [node] = cluster.launch(1, t, {
      zone: 'us-east-1a',
      capacityType: 'spot',
      launches: [{ instanceType: 't3.medium', count: 1 }],
    });
    expect(node?.zone).toBe('us-east-1a');
    expect(node?.capacityType).toBe('spot');
    expect(['t3.large', 'm7i.large']).toContain(node?.instanceType);
    expect(cluster.counters.iceFallbacks).toBe(1);
    expect(cluster.counters.iceRefusals).toBe(1);
  });

  it('a replacement in a crunched zone takes the open type cheapest per pod, not per hour', () => {
    const cluster = new SimCluster(
      simOptions({ instanceTypes: FIVE, spotPools: busy, zones: ZONES, seed: 4 }),
    );
    const probe = new SpotPools(busy, FIVE, ZONES, 4);
    const t = firstTime(
      probe,
      (p, at) =>
        p.isDry('t3.medium', 'us-east-1a', at) &&
        !p.isDry('m7g.large', 'us-east-1a', at) &&
        !p.isDry('c7g.xlarge', 'us-east-1a', at),
    );
    // No chosen type (a ReplaceCapacity): m7g.large is the cheapest open
    // worker, c7g.xlarge the cheapest per web pod (7 pods for 0.145 x 0.3).
    const [node] = cluster.launch(1, t, { zone: 'us-east-1a', capacityType: 'spot' });
    expect(cluster.hourlyUsd('m7g.large', 'spot')).toBeLessThan(
      cluster.hourlyUsd('c7g.xlarge', 'spot'),
    );
    expect(node?.instanceType).toBe('c7g.xlarge');
  });

  it('a replacement takes its own type in another zone before a dearer type in its crunched zone (issue #23)', () => {
    const cluster = new SimCluster(
      simOptions({ instanceTypes: FIVE, spotPools: busy, zones: ZONES, seed: 4 }),
    );
    const probe = new SpotPools(busy, FIVE, ZONES, 4);
    const t = firstTime(
      probe,
      (p, at) =>
        p.isDry('t3.medium', 'us-east-1a', at) &&
        !p.isDry('t3.medium', 'us-east-1b', at) &&
        !p.isDry('c7g.xlarge', 'us-east-1a', at),
    );
    const doomed = cluster.launch(1, 0, {
      initial: true,
      zone: 'us-east-1a',
      capacityType: 'spot',
      launches: [{ instanceType: 't3.medium', count: 1 }],
    })[0];
    if (doomed === undefined) throw new Error('no worker launched');
    // Before: any type in us-east-1a, so c7g.xlarge, 2x t3.medium's cost for its 3 pods.
    const node = cluster.replace(doomed, t);
    expect(node).toMatchObject({
      instanceType: 't3.medium',
      zone: 'us-east-1b',
      capacityType: 'spot',
    });
  });

  it('a Spot launch with alternatives takes the pool least likely to crunch within instance.spotFlexibility', () => {
    const launch = (spotFlexibility: number) => {
      const options = simOptions({ instanceTypes: DIVERSIFIED, spotPools: busy, zones: ZONES });
      const cluster = new SimCluster({
        ...options,
        config: {
          ...options.config,
          instance: { ...options.config.instance, spotFlexibility },
        },
      });
      return cluster.launch(1, 0, {
        zone: 'us-east-1a',
        capacityType: 'spot',
        launches: [{ instanceType: 't3.medium', count: 1, alternatives: ['t3.large'] }],
      })[0]?.instanceType;
    };
    // t3.large costs twice as much per web pod but its pools crunch less:
    // inside a tolerance of 1 it wins, at 0.2 the chosen type stays.
    expect(launch(1)).toBe('t3.large');
    expect(launch(0.2)).toBe('t3.medium');
  });

  it('moves a one-type Spot launch into a dry pool to another zone', () => {
    const options = simOptions({ instanceTypes: ONE_TYPE, spotPools: busy, zones: ZONES, seed: 4 });
    const cluster = new SimCluster(options);
    const probe = new SpotPools(busy, ONE_TYPE, ZONES, 4);
    const t = firstTime(
      probe,
      (p, at) => p.isDry('t3.medium', 'us-east-1a', at) && !p.isDry('t3.medium', 'us-east-1b', at),
    );
    const [node] = cluster.launch(1, t, { zone: 'us-east-1a', capacityType: 'spot' });
    expect(node?.instanceType).toBe('t3.medium');
    expect(node?.zone).toBe('us-east-1b');
    expect(cluster.counters.iceFallbacks).toBe(1);
  });

  it('launches the types the ScaleUp names: the cheapest per pod, not the cheapest worker', () => {
    // t3.large is the cheaper worker (what a slot with no type gets), but a
    // c7g.xlarge holds 7 web pods to its 3: cheaper per pod, so core names it.
    const rows = Array.from({ length: 60 }, (_, m) => [m < 5 ? 4 : 24, 0.6] as const);
    const result = simulate(
      traceOf(rows, 'step'),
      smartScalePolicy(),
      simOptions({ instanceTypes: ['t3.large', 'c7g.xlarge'], zones: ZONES }),
    );
    const launched = result.details.instanceMix?.launchedByType ?? {};
    expect(launched['c7g.xlarge'] ?? 0).toBeGreaterThan(0);
    expect(result.details.instanceMix?.iceFallbacks).toBe(0);
  });

  it('launches several types with the diversified set and exactly one with one type', () => {
    // Two hours rising to 30 pods and back: scale-ups, Spot workers, and
    // (at this stress) crunches that send launches to other pools.
    const rows = Array.from({ length: 240 }, (_, m) => {
      const replicas = Math.round(4 + 26 * Math.sin((Math.PI * m) / 240));
      return [replicas, 0.6] as const;
    });
    const trace = traceOf(rows, 'hill');
    const run = (instanceTypes: readonly string[]) =>
      simulate(
        trace,
        smartScalePolicy(),
        simOptions({
          instanceTypes,
          spotPools: { ...busy, stress: 20_000 },
          zones: ZONES,
          seed: 2,
        }),
      );
    const one = run(ONE_TYPE).details.instanceMix;
    const many = run(DIVERSIFIED).details.instanceMix;
    expect(Object.keys(one?.launchedByType ?? {})).toEqual(['t3.medium']);
    expect(one?.spotInterruptions ?? 0).toBeGreaterThan(0);
    expect(Object.keys(many?.launchedByType ?? {}).length).toBeGreaterThan(1);
    // Seeded: the same run twice is the same run.
    expect(run(DIVERSIFIED).details.instanceMix).toEqual(many);
  });
});
