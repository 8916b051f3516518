// The provisioner's choice of types and its memory of dry pools (issue #23),
// on ports that answer like a fleet launch: each launch offers types, the
// fleet reports the pools it could not launch in, and launches the first
// type it has capacity for.
import { type AnyEnvelope, createMessage } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import {
  type AvoidedPool,
  type LaunchGroup,
  offeredTypes,
  POOL_AVOID_SECONDS,
  type ProvisionerPorts,
  provision,
} from '../../launch-workers.js';

const zones = ['us-east-1a', 'us-east-1b'];
const now = new Date('2026-12-02T01:00:00Z');

/** Ports whose fleet has no capacity in `dry` pools ("type/zone/capacity type"). */
function ports(dry: readonly string[], stored: AvoidedPool[] = []) {
  const launches: LaunchGroup[] = [];
  const published: AnyEnvelope[] = [];
  let n = 0x100;
  const p: ProvisionerPorts = {
    config: parseConfig({ purchase: { spotShare: 1, onDemandBase: 0 } }),
    zones,
    now: () => now,
    findByAction: async () => [],
    describeWorkers: async () => [],
    async launch(_actionId, group) {
      launches.push(group);
      const types = group.instanceTypes ?? [];
      const errors = types
        .filter((t) => dry.includes(`${t}/${group.zone}/${group.capacityType}`))
        .map((t) => ({
          instanceType: t,
          zone: group.zone,
          capacityType: group.capacityType,
          error: 'InsufficientInstanceCapacity',
          message: 'no capacity',
        }));
      if (errors.length > 0) group.onPoolErrors?.(errors);
      const type = types.find((t) => !dry.includes(`${t}/${group.zone}/${group.capacityType}`));
      if (type === undefined)
        throw Object.assign(new Error('no capacity'), { name: 'InsufficientInstanceCapacity' });
      n += 1;
      return [
        {
          instanceId: `i-${n.toString(16).padStart(8, '0')}`,
          zone: group.zone,
          capacityType: group.capacityType,
          instanceType: type,
          slot: group.slot,
        },
      ];
    },
    async publish(m) {
      published.push(m);
    },
    async publishDelayed() {},
    instanceTypes: ['t3.medium', 't3.large'],
    avoidedPools: {
      active: async (at) => stored.filter((s) => Date.parse(s.until) > at.getTime()),
      avoid: async (pools) => {
        stored.push(...pools);
      },
    },
  };
  return { ports: p, launches, published, stored };
}

const scaleUp = (count: number, instanceTypes?: string[]) =>
  createMessage(
    'ScaleUp',
    { count, reason: 'pending-pods', ...(instanceTypes ? { instanceTypes } : {}) },
    { clusterId: 'c1' },
    now,
  );

describe('offeredTypes', () => {
  it("keeps the command's choice to the resolved types, else offers them all", () => {
    expect(offeredTypes(['t3.large'], ['t3.medium', 't3.large'])).toEqual(['t3.large']);
    expect(offeredTypes(['p5.48xlarge'], ['t3.medium'])).toEqual(['t3.medium']);
    expect(offeredTypes(undefined, ['t3.medium'])).toEqual(['t3.medium']);
    expect(offeredTypes(['t3.large'], undefined)).toBeUndefined();
  });
});

describe('pools that answered insufficient capacity', () => {
  it('are remembered for 3 minutes and named in InstancesLaunched', async () => {
    const f = ports(['t3.medium/us-east-1a/spot']);
    const outcome = await provision(scaleUp(1), f.ports);
    expect(outcome.launched.map((w) => w.instanceType)).toEqual(['t3.large']);
    const until = new Date(now.getTime() + POOL_AVOID_SECONDS * 1000).toISOString();
    expect(f.stored).toEqual([
      expect.objectContaining({
        instanceType: 't3.medium',
        zone: 'us-east-1a',
        capacityType: 'spot',
        until,
      }),
    ]);
    const launched = f.published.find((m) => m.type === 'InstancesLaunched');
    expect(launched?.type === 'InstancesLaunched' && launched.payload.unavailablePools).toEqual([
      expect.objectContaining({ instanceType: 't3.medium', avoidedUntil: until }),
    ]);
  });

  it('are left out of later launches, and a zone whose offered types are all avoided is skipped', async () => {
    const stored: AvoidedPool[] = [
      {
        instanceType: 't3.medium',
        zone: 'us-east-1a',
        capacityType: 'spot',
        until: new Date(now.getTime() + 60_000).toISOString(),
        error: 'InsufficientInstanceCapacity',
        reason: 'no capacity',
      },
    ];
    const f = ports([], stored);
    await provision(scaleUp(1, ['t3.medium']), f.ports);
    // Spot in a offers only t3.medium, which is avoided: the launch goes to b.
    expect(f.launches.map((g) => [g.zone, g.capacityType, g.instanceTypes])).toEqual([
      ['us-east-1b', 'spot', ['t3.medium']],
    ]);
  });

  it('make ActionFailed name every pool and why when nothing launched', async () => {
    const dry = zones.flatMap((z) =>
      ['spot', 'on-demand'].flatMap((c) => ['t3.medium', 't3.large'].map((t) => `${t}/${z}/${c}`)),
    );
    const f = ports(dry);
    const outcome = await provision(scaleUp(1), f.ports);
    expect(outcome.launched).toEqual([]);
    const failed = f.published.find((m) => m.type === 'ActionFailed');
    const detail = failed?.type === 'ActionFailed' ? (failed.payload.detail ?? '') : '';
    expect(detail).toContain('t3.medium spot in us-east-1a: InsufficientInstanceCapacity');
    expect(detail).toContain('t3.large on-demand in us-east-1b: InsufficientInstanceCapacity');
    expect(detail).toContain(`avoided for ${POOL_AVOID_SECONDS} s`);
    expect(f.stored).toHaveLength(8);
  });
});
