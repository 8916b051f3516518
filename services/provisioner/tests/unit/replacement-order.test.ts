// A replacement names the doomed worker's type (issue #23): the provisioner
// tries that type in its zone, then the same type in the other zones, then
// the other types that surely host its pods (same architecture, at least as
// large) by price per capacity, before on-demand. Offering every type in the
// crunched zone first took a type twice as dear per pod that ran for days.
import { type AnyEnvelope, createMessage } from '@smartscale/contracts';
import { K3S_MAX_PODS, parseConfig, type ResolvedInstanceType } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { type LaunchGroup, type ProvisionerPorts, provision } from '../../launch-workers.js';

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
  type('t3.medium', 2, 4096, 'x86_64'),
  type('c7g.xlarge', 4, 8192, 'arm64'),
  type('m7i.large', 2, 8192, 'x86_64'),
  type('t3.large', 2, 8192, 'x86_64'),
];
const names = resolved.map((t) => t.instanceType);
const now = new Date('2026-12-02T06:00:00Z');

/** A fleet whose pools `type/zone/capacityType` in `dry` answer insufficient capacity. */
function ports(dry: readonly string[]) {
  const launches: LaunchGroup[] = [];
  const published: AnyEnvelope[] = [];
  let n = 0x100;
  const p: ProvisionerPorts = {
    config: parseConfig({ instance: { types: names } }),
    zones: ['us-east-1a', 'us-east-1b'],
    now: () => now,
    findByAction: async () => [],
    describeWorkers: async () => [],
    async launch(_actionId, group) {
      launches.push(group);
      const isDry = (t: string) => dry.includes(`${t}/${group.zone}/${group.capacityType}`);
      const types = group.instanceTypes ?? [];
      group.onPoolErrors?.(
        types.filter(isDry).map((t) => ({
          instanceType: t,
          zone: group.zone,
          capacityType: group.capacityType,
          error: 'InsufficientInstanceCapacity',
          message: 'no capacity',
        })),
      );
      const type = types.find((t) => !isDry(t));
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
  };
  return { ports: p, launches, published };
}

const replace = (instanceType?: string) =>
  createMessage(
    'ReplaceCapacity',
    {
      replacedInstanceId: 'i-0abc12345',
      zone: 'us-east-1a',
      capacityType: 'spot',
      reason: 'spot-interruption',
      ...(instanceType ? { instanceType } : {}),
    },
    { clusterId: 'c1' },
    now,
  );
const tried = (launches: readonly LaunchGroup[]) =>
  launches.map((l) => `${l.instanceTypes?.join('+')} ${l.zone}/${l.capacityType}`);

describe('a replacement of a known type (issue #23)', () => {
  it('takes its type in another zone before any other type in its crunched zone', async () => {
    const { ports: p, launches } = ports(['t3.medium/us-east-1a/spot']);
    const outcome = await provision(replace('t3.medium'), p);
    expect(tried(launches)).toEqual(['t3.medium us-east-1a/spot', 't3.medium us-east-1b/spot']);
    expect(outcome.launched).toMatchObject([
      { instanceType: 't3.medium', zone: 'us-east-1b', capacityType: 'spot' },
    ]);
  });

  it('then the types of its architecture at least as large, cheapest per capacity first, before on-demand', async () => {
    const { ports: p, launches } = ports([
      't3.medium/us-east-1a/spot',
      't3.medium/us-east-1b/spot',
      't3.large/us-east-1a/spot',
    ]);
    const outcome = await provision(replace('t3.medium'), p);
    // t3.large (0.0832) before m7i.large (0.1008); c7g.xlarge (arm64) never.
    expect(tried(launches)).toEqual([
      't3.medium us-east-1a/spot',
      't3.medium us-east-1b/spot',
      't3.large us-east-1a/spot',
      't3.large us-east-1b/spot',
    ]);
    expect(outcome.launched).toMatchObject([{ instanceType: 't3.large', zone: 'us-east-1b' }]);
  });

  it('an older message without the type offers every type in its zone, as before', async () => {
    const { ports: p, launches } = ports(['t3.medium/us-east-1a/spot']);
    await provision(replace(), p);
    expect(tried(launches)).toEqual([`${names.join('+')} us-east-1a/spot`]);
  });
});
