// The planner's types reach the launch (issue #23 part 2): a ScaleUp's
// `launches` give each slot its type, a fleet offers that type alone, and
// on insufficient capacity a slot falls back to the other types of its
// architecture at least as large, never to another architecture.
import { type AnyEnvelope, createMessage } from '@smartscale/contracts';
import { K3S_MAX_PODS, parseConfig, type ResolvedInstanceType } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import {
  imageIdsByType,
  type LaunchGroup,
  type ProvisionerPorts,
  provision,
  slotTypeTiers,
  typeOfSlot,
} from '../../launch-workers.js';

const MiB = 1024 ** 2;
function type(name: string, vcpu: number, memoryMiB: number, arch: 'x86_64' | 'arm64') {
  return {
    instanceType: name,
    vcpu,
    memoryMiB,
    architecture: arch,
    currentGeneration: true,
    capacity: { cpuMillis: vcpu * 1000, memoryBytes: memoryMiB * MiB },
    network: { maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 12, eniMaxPods: 35 },
    maxPods: K3S_MAX_PODS,
  } satisfies ResolvedInstanceType;
}
const resolved = [
  type('m7g.medium', 1, 4096, 'arm64'),
  type('m7g.large', 2, 8192, 'arm64'),
  type('t3.large', 2, 8192, 'x86_64'),
  type('m7g.xlarge', 4, 16384, 'arm64'),
];
const names = resolved.map((t) => t.instanceType);
const now = new Date('2026-12-02T01:00:00Z');

describe('typeOfSlot and slotTypeTiers', () => {
  const launches = [
    { instanceType: 'm7g.large', count: 2 },
    { instanceType: 't3.large', count: 1 },
  ];
  it('fills slots in the order of the launches; slots past them get no type', () => {
    expect([0, 1, 2, 3].map((s) => typeOfSlot(launches, s))).toEqual([
      'm7g.large',
      'm7g.large',
      't3.large',
      undefined,
    ]);
    expect(typeOfSlot(undefined, 0)).toBeUndefined();
  });

  it('offers the chosen type, then larger types of its architecture only', () => {
    expect(slotTypeTiers('m7g.large', names, resolved)).toEqual([['m7g.large'], ['m7g.xlarge']]);
    expect(slotTypeTiers('t3.large', names, resolved)).toEqual([['t3.large']]);
    // No chosen type, or one not resolved: every type at once, as before.
    expect(slotTypeTiers(undefined, names, resolved)).toEqual([names]);
    expect(slotTypeTiers('c9.huge', names, resolved)).toEqual([names]);
  });

  it("a Spot slot offers the planner's alternatives beside its type; on-demand the type alone", () => {
    const spot = { alternatives: ['m7g.xlarge', 't3.large', 'c9.huge'] };
    // Unresolved types are dropped; the others stay, even of another size.
    expect(slotTypeTiers('m7g.large', names, resolved, spot)).toEqual([
      ['m7g.large', 'm7g.xlarge', 't3.large'],
    ]);
    expect(slotTypeTiers('m7g.large', names, resolved, { alternatives: ['m7g.medium'] })).toEqual([
      ['m7g.large', 'm7g.medium'],
      ['m7g.xlarge'],
    ]);
    expect(slotTypeTiers('m7g.large', names, resolved)).toEqual([['m7g.large'], ['m7g.xlarge']]);
  });

  it('names the AMI of each type whose architecture instance.imageIds covers', () => {
    expect(imageIdsByType(resolved, { arm64: 'ami-0abc12345' })).toEqual({
      'm7g.medium': 'ami-0abc12345',
      'm7g.large': 'ami-0abc12345',
      'm7g.xlarge': 'ami-0abc12345',
    });
    expect(imageIdsByType(resolved, undefined)).toEqual({});
  });
});

describe('provision with planned types', () => {
  function ports(dry: readonly string[]) {
    const launches: LaunchGroup[] = [];
    const published: AnyEnvelope[] = [];
    let n = 0x100;
    const p: ProvisionerPorts = {
      config: parseConfig({ purchase: { spotShare: 0, onDemandBase: 0 } }),
      zones: ['us-east-1a'],
      now: () => now,
      findByAction: async () => [],
      describeWorkers: async () => [],
      async launch(_actionId, group) {
        launches.push(group);
        const types = group.instanceTypes ?? [];
        const type = types.find((t) => !dry.includes(`${t}/${group.capacityType}`));
        group.onPoolErrors?.(
          types
            .filter((t) => dry.includes(`${t}/${group.capacityType}`))
            .map((t) => ({
              instanceType: t,
              zone: group.zone,
              capacityType: group.capacityType,
              error: 'InsufficientInstanceCapacity',
              message: 'no capacity',
            })),
        );
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
      instanceTypes: names,
      resolvedTypes: resolved,
      imageIds: { 'm7g.large': 'ami-0abc12345', 'm7g.xlarge': 'ami-0abc12345' },
    };
    return { ports: p, launches, published };
  }
  const command = createMessage(
    'ScaleUp',
    {
      count: 3,
      reason: 'pending-pods',
      launches: [
        { instanceType: 'm7g.large', count: 2 },
        { instanceType: 't3.large', count: 1 },
      ],
    },
    { clusterId: 'c1' },
    now,
  );

  it('launches each slot as the planner chose, with the AMI of its architecture', async () => {
    const { ports: p, launches } = ports([]);
    const outcome = await provision(command, p);
    expect(outcome.launched.map((w) => w.instanceType).sort()).toEqual([
      'm7g.large',
      'm7g.large',
      't3.large',
    ]);
    expect(launches.map((l) => [l.slot, l.instanceTypes, l.imageIds])).toEqual([
      [0, ['m7g.large'], { 'm7g.large': 'ami-0abc12345' }],
      [1, ['m7g.large'], { 'm7g.large': 'ami-0abc12345' }],
      [2, ['t3.large'], undefined],
    ]);
  });

  it("a Spot slot's fleet lists the planner's alternatives; its on-demand fallback the type alone", async () => {
    const { ports: p, launches } = ports(['m7g.large/spot', 'm7g.xlarge/spot']);
    const spotOnly = {
      ...p,
      config: parseConfig({ purchase: { spotShare: 1, onDemandBase: 0 } }),
    };
    const spotUp = createMessage(
      'ScaleUp',
      {
        count: 1,
        reason: 'pending-pods',
        launches: [{ instanceType: 'm7g.large', count: 1, alternatives: ['m7g.xlarge'] }],
      },
      { clusterId: 'c1' },
      now,
    );
    const outcome = await provision(spotUp, spotOnly);
    expect(launches.map((l) => [l.capacityType, l.instanceTypes])).toEqual([
      ['spot', ['m7g.large', 'm7g.xlarge']],
      ['on-demand', ['m7g.large']],
    ]);
    expect(outcome.launched.map((w) => [w.instanceType, w.capacityType])).toEqual([
      ['m7g.large', 'on-demand'],
    ]);
  });

  it('moves a Graviton slot whose type is dry to a larger Graviton type, never to x86', async () => {
    const { ports: p, launches, published } = ports(['m7g.large/on-demand']);
    const outcome = await provision(command, p);
    expect(outcome.launched.map((w) => w.instanceType).sort()).toEqual([
      'm7g.xlarge',
      'm7g.xlarge',
      't3.large',
    ]);
    expect(launches.filter((l) => l.slot === 0).map((l) => l.instanceTypes)).toEqual([
      ['m7g.large'],
      ['m7g.xlarge'],
    ]);
    // The dry pool is said in the event.
    const event = published.find((m) => m.type === 'InstancesLaunched');
    expect(event?.type === 'InstancesLaunched' && event.payload.unavailablePools).toEqual([
      expect.objectContaining({ instanceType: 'm7g.large', error: 'InsufficientInstanceCapacity' }),
    ]);
  });
});
