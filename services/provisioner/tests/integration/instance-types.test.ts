// Many instance types on moto (issue #23): the configuration resolves against
// EC2's DescribeInstanceTypes, launches are CreateFleet instant fleets of the
// resolved types, and a pool that answers insufficient capacity is avoided
// for three minutes by every later launch (kept in the state table).
import { type CreateFleetCommandOutput, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  AvoidedPoolStore,
  type AwsClients,
  DedupStore,
  Ec2Fleet,
  FleetTag,
  resolveConfig,
  resolveInstanceTypes,
} from '@smartscale/aws';
import { freshTopology, motoClients } from '@smartscale/aws/test-support';
import { type AnyEnvelope, createMessage, ValidationError } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../../packages/local/src/aws/bootstrap.js';
import { createWorkerNetwork } from '../../../../packages/local/src/services/worker-network.js';
import { POOL_AVOID_SECONDS, type ProvisionerPorts, provision } from '../../launch-workers.js';

let clients: AwsClients;
let topology: AppliedTopology;
let subnets: { zone: string; subnetId: string }[];
let templateId: string;

/** The pool the fault injection makes answer InsufficientInstanceCapacity. */
const DRY = { instanceType: 't3.medium', zone: 'us-east-1a', capacityType: 'spot' } as const;
/** Every CreateFleet sent through the faulty client: its capacity type, subnet and types. */
const fleets: { capacityType: string; subnetId: string; types: string[] }[] = [];

interface FleetInput {
  LaunchTemplateConfigs?: { Overrides?: { InstanceType?: string; SubnetId?: string }[] }[];
  TargetCapacitySpecification?: { DefaultTargetCapacityType?: string };
}

/**
 * EC2 with one dry pool, as EC2 answers it: an instant fleet's request
 * that offers the pool gets it back in `Errors` (InsufficientInstanceCapacity)
 * and launches from the other overrides, or launches nothing when the dry
 * pool was all it offered. SDK middleware: moto itself always has capacity.
 */
function withDryPool(ec2: AwsClients['ec2']): void {
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'CreateFleetCommand') return next(args);
      const input = args.input as FleetInput;
      const capacityType = input.TargetCapacitySpecification?.DefaultTargetCapacityType ?? '';
      const config = input.LaunchTemplateConfigs?.[0];
      const overrides = config?.Overrides ?? [];
      const subnetId = overrides[0]?.SubnetId ?? '';
      fleets.push({ capacityType, subnetId, types: overrides.map((o) => o.InstanceType ?? '') });
      const dryHere =
        capacityType === DRY.capacityType &&
        subnetId === subnets.find((s) => s.zone === DRY.zone)?.subnetId;
      const isDry = (o: { InstanceType?: string }) =>
        dryHere && o.InstanceType === DRY.instanceType;
      if (!overrides.some(isDry)) return next(args);
      const error = {
        LaunchTemplateAndOverrides: {
          Overrides: {
            InstanceType: DRY.instanceType,
            SubnetId: subnetId,
            AvailabilityZone: DRY.zone,
          },
        },
        Lifecycle: capacityType,
        ErrorCode: 'InsufficientInstanceCapacity',
        ErrorMessage: 'We currently do not have sufficient t3.medium capacity in us-east-1a.',
      };
      const rest = overrides.filter((o) => !isDry(o));
      if (rest.length === 0)
        return { output: { Errors: [error], Instances: [], $metadata: {} }, response: {} } as never;
      if (config) config.Overrides = rest;
      const result = await next(args);
      const output = result.output as CreateFleetCommandOutput;
      output.Errors = [...(output.Errors ?? []), error as never];
      return result;
    },
    { step: 'initialize', name: 'dryPool' },
  );
}

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'types');
  const network = await createWorkerNetwork(clients.ec2, topology.prefix, [
    'us-east-1a',
    'us-east-1b',
  ]);
  subnets = [...network.subnets];
  templateId = network.launchTemplateId;
  withDryPool(clients.ec2);
});
afterAll(() => clients.destroy());

describe('instance types resolved against EC2 (moto)', () => {
  it('resolves requirements to real types, smallest first, with EC2 capacity and network limits', async () => {
    const config = parseConfig({
      instance: {
        requirements: { families: ['t3', 'm7i'], vcpu: { min: 2, max: 2 }, memoryGiB: { max: 8 } },
      },
    });
    const types = await resolveInstanceTypes(clients.ec2, 'us-east-1', config);
    // t3.nano (512 MiB) is left out: reserved and DaemonSets take all of it.
    expect(types.map((t) => t.instanceType)).toEqual([
      't3.micro',
      't3.small',
      't3.medium',
      'm7i.large',
      't3.large',
    ]);
    const medium = types.find((t) => t.instanceType === 't3.medium');
    expect(medium).toMatchObject({
      vcpu: 2,
      memoryMiB: 4096,
      architecture: 'x86_64',
      capacity: { cpuMillis: 2000, memoryBytes: 4096 * 1024 ** 2 },
      maxPods: 110,
    });
    expect(medium?.network.maxNetworkInterfaces).toBeGreaterThan(0);
    expect(medium?.network.eniMaxPods).toBe(
      (medium?.network.maxNetworkInterfaces ?? 0) *
        ((medium?.network.ipv4AddressesPerInterface ?? 0) - 1) +
        2,
    );
    // The configured capacity is the smallest type's: it sizes a worker whose type is not known (one launching).
    const sized = await resolveConfig(clients.ec2, 'us-east-1', config);
    expect(sized.config.instance.type).toBe('t3.micro');
    expect(sized.config.instance.capacity.memoryBytes).toBe(1024 * 1024 ** 2);
  });

  it('resolves arm64 requirements to Graviton types only', async () => {
    const types = await resolveInstanceTypes(
      clients.ec2,
      'us-east-1',
      parseConfig({
        instance: {
          requirements: { families: ['m7g'], vcpu: { max: 4 }, architecture: 'arm64' },
        },
      }),
    );
    expect(types.map((t) => t.instanceType)).toEqual(['m7g.medium', 'm7g.large', 'm7g.xlarge']);
    expect(new Set(types.map((t) => t.architecture))).toEqual(new Set(['arm64']));
  });

  it('stops start-up on an unknown type, naming the setting and the region', async () => {
    const config = parseConfig({ instance: { types: ['t3.medium', 't3.large', 't3.gigantic'] } });
    const resolving = resolveInstanceTypes(clients.ec2, 'us-east-1', config);
    await expect(resolving).rejects.toThrow(ValidationError);
    await expect(resolving).rejects.toThrow(
      'instance.types[2]: "t3.gigantic" is not an EC2 instance type offered in us-east-1',
    );
    await expect(
      resolveInstanceTypes(
        clients.ec2,
        'us-east-1',
        parseConfig({ instance: { type: 't3.gigantic' } }),
      ),
    ).rejects.toThrow(
      'instance.type: "t3.gigantic" is not an EC2 instance type offered in us-east-1',
    );
  });

  it('stops start-up when requirements match nothing, or a family matches nothing', async () => {
    await expect(
      resolveInstanceTypes(
        clients.ec2,
        'us-east-1',
        parseConfig({ instance: { requirements: { families: ['t3'], vcpu: { min: 64 } } } }),
      ),
    ).rejects.toThrow(
      /^SmartScale configuration is invalid: instance\.requirements: no EC2 instance type/,
    );
    await expect(
      resolveInstanceTypes(
        clients.ec2,
        'us-east-1',
        parseConfig({ instance: { requirements: { families: ['t3', 'zz9'] } } }),
      ),
    ).rejects.toThrow('instance.requirements.families[1]: "zz9" matches no x86_64');
    await expect(
      resolveInstanceTypes(
        clients.ec2,
        'us-east-1',
        parseConfig({ instance: { types: ['t3.medium', 'm7g.large'] } }),
      ),
    ).rejects.toThrow('instance.types[1]: "m7g.large" is arm64 but "t3.medium" is x86_64');
  });
});

describe('launching several types with CreateFleet instant (moto)', () => {
  function portsFor(clusterId: string, clock: { now: Date }, published: AnyEnvelope[]) {
    const dedup = new DedupStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      ttlSeconds: 86_400,
      claimSeconds: 300,
    });
    const fleet = new Ec2Fleet({
      ec2: clients.ec2,
      clusterId,
      launchTemplate: { id: templateId },
      subnets,
      dedup,
    });
    const pools = new AvoidedPoolStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      clusterId,
    });
    const ports: ProvisionerPorts = {
      config: parseConfig({ purchase: { spotShare: 1, onDemandBase: 0 } }),
      zones: fleet.zones,
      now: () => clock.now,
      findByAction: (actionId) => fleet.findByAction(actionId),
      describeWorkers: () => fleet.describeWorkers(),
      launch: (actionId, group) => fleet.launch(actionId, group),
      publish: async (message) => {
        published.push(message);
      },
      publishDelayed: async () => {},
      instanceTypes: ['t3.medium', 't3.large'],
      avoidedPools: { active: (now) => pools.active(now), avoid: (p) => pools.avoid(p) },
    };
    return { ports, pools };
  }

  async function instancesOf(actionId: string) {
    const res = await clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: `tag:${FleetTag.ActionId}`, Values: [actionId] }],
      }),
    );
    return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  it('launches tagged workers of an offered type, found again by tag on a redelivery', async () => {
    const clusterId = `${topology.prefix}-fleet`;
    const published: AnyEnvelope[] = [];
    const { ports } = portsFor(clusterId, { now: new Date() }, published);
    // Spot in zone b (slot 1) and a: zone b has no dry pool.
    const command = createMessage(
      'ScaleUp',
      { count: 2, reason: 'pending-pods', instanceTypes: ['t3.large'] },
      { clusterId },
      new Date(),
    );
    const before = fleets.length;
    const outcome = await provision(command, ports);
    expect(outcome.launched).toHaveLength(2);
    // The command chose t3.large: only it was offered.
    expect(fleets.slice(before).map((f) => f.types)).toEqual([['t3.large'], ['t3.large']]);
    const instances = await instancesOf(command.actionId);
    expect(instances).toHaveLength(2);
    for (const i of instances) {
      const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({
        [FleetTag.Cluster]: clusterId,
        [FleetTag.Managed]: 'true',
        [FleetTag.ActionId]: command.actionId,
        [FleetTag.CapacityType]: 'spot',
      });
      expect(i.InstanceType).toBe('t3.large');
    }
    expect(new Set(instances.map((i) => i.Placement?.AvailabilityZone))).toEqual(
      new Set(['us-east-1a', 'us-east-1b']),
    );
    // The reconciler and a redelivery find them by tag: nothing launches twice.
    const again = await provision(command, ports);
    expect(again.launched).toEqual([]);
    expect(await instancesOf(command.actionId)).toHaveLength(2);
  });

  it("a Spot slot's CreateFleet offers the planner's alternatives, so a dry chosen pool still launches at once", async () => {
    const clusterId = `${topology.prefix}-alternatives`;
    const published: AnyEnvelope[] = [];
    const { ports } = portsFor(clusterId, { now: new Date('2026-12-02T01:00:00Z') }, published);
    // Slot 0 goes to Spot in us-east-1a, where t3.medium is dry.
    const command = createMessage(
      'ScaleUp',
      {
        count: 1,
        reason: 'pending-pods',
        launches: [{ instanceType: 't3.medium', count: 1, alternatives: ['t3.large'] }],
      },
      { clusterId },
      new Date('2026-12-02T01:00:00Z'),
    );
    const before = fleets.length;
    const outcome = await provision(command, ports);
    // One request with both overrides (not the chosen type alone, then a fallback).
    expect(fleets.slice(before)).toEqual([
      { capacityType: 'spot', subnetId: subnets[0]?.subnetId, types: ['t3.medium', 't3.large'] },
    ]);
    expect(outcome.launched.map((w) => [w.instanceType, w.zone, w.capacityType])).toEqual([
      ['t3.large', 'us-east-1a', 'spot'],
    ]);
  });

  it('moves a launch off a pool that answered insufficient capacity and avoids the pool for 3 minutes', async () => {
    const clusterId = `${topology.prefix}-ice`;
    const published: AnyEnvelope[] = [];
    const start = new Date('2026-12-02T01:00:00Z');
    const clock = { now: start };
    const { ports, pools } = portsFor(clusterId, clock, published);
    const scaleUp = (count = 1) =>
      createMessage('ScaleUp', { count, reason: 'pending-pods' }, { clusterId }, clock.now);

    // Slot 0 goes to spot in us-east-1a, where t3.medium is dry.
    const first = scaleUp();
    let before = fleets.length;
    const outcome = await provision(first, ports);
    expect(fleets.slice(before)).toEqual([
      {
        capacityType: 'spot',
        subnetId: subnets[0]?.subnetId,
        types: ['t3.medium', 't3.large'],
      },
    ]);
    expect(outcome.launched.map((w) => [w.instanceType, w.zone, w.capacityType])).toEqual([
      ['t3.large', 'us-east-1a', 'spot'],
    ]);
    const until = new Date(start.getTime() + POOL_AVOID_SECONDS * 1000).toISOString();
    const avoided = {
      zone: 'us-east-1a',
      capacityType: 'spot',
      error: 'InsufficientInstanceCapacity',
      instanceType: 't3.medium',
      avoidedUntil: until,
    };
    const launched = published.find((m) => m.type === 'InstancesLaunched');
    expect(launched?.type === 'InstancesLaunched' && launched.payload.unavailablePools).toEqual([
      expect.objectContaining(avoided),
    ]);
    // Kept in the state table, where the next invocation reads it.
    expect(await pools.active(start)).toEqual([
      expect.objectContaining({ ...DRY, until, error: 'InsufficientInstanceCapacity' }),
    ]);

    // A minute later another ScaleUp (one worker per zone) does not offer
    // the dry pool in zone a, still offers t3.medium in zone b, and its
    // event says the pool was left out and why.
    clock.now = new Date(start.getTime() + 60_000);
    published.length = 0;
    before = fleets.length;
    const second = await provision(scaleUp(2), ports);
    const bySubnet = Object.fromEntries(fleets.slice(before).map((f) => [f.subnetId, f.types]));
    expect(bySubnet).toEqual({
      [subnets[0]?.subnetId ?? 'a']: ['t3.large'],
      [subnets[1]?.subnetId ?? 'b']: ['t3.medium', 't3.large'],
    });
    expect(second.launched).toHaveLength(2);
    const event = published.find((m) => m.type === 'InstancesLaunched');
    expect(event?.type === 'InstancesLaunched' && event.payload.unavailablePools).toEqual([
      expect.objectContaining(avoided),
    ]);

    // Past the 3 minutes the pool is offered again (and answers again).
    clock.now = new Date(start.getTime() + (POOL_AVOID_SECONDS + 1) * 1000);
    expect(await pools.active(clock.now)).toEqual([]);
    before = fleets.length;
    await provision(scaleUp(2), ports);
    expect(fleets.slice(before).map((f) => f.types)).toEqual([
      ['t3.medium', 't3.large'],
      ['t3.medium', 't3.large'],
    ]);
  });

  it('falls back to the next zone when every offered type is dry in the planned one', async () => {
    const clusterId = `${topology.prefix}-dry`;
    const published: AnyEnvelope[] = [];
    const { ports } = portsFor(clusterId, { now: new Date() }, published);
    const command = createMessage(
      'ScaleUp',
      { count: 1, reason: 'pending-pods', instanceTypes: ['t3.medium'] },
      { clusterId },
      new Date(),
    );
    const outcome = await provision(command, ports);
    expect(outcome.launched.map((w) => [w.instanceType, w.zone, w.capacityType])).toEqual([
      ['t3.medium', 'us-east-1b', 'spot'],
    ]);
    expect(outcome.unavailablePools).toEqual([
      expect.objectContaining({
        zone: 'us-east-1a',
        capacityType: 'spot',
        error: 'InsufficientInstanceCapacity',
      }),
      expect.objectContaining({ ...avoidedOf(DRY) }),
    ]);
  });
});

function avoidedOf(p: typeof DRY) {
  return { zone: p.zone, capacityType: p.capacityType, instanceType: p.instanceType };
}
