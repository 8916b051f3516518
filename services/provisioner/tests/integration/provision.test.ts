import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { type AwsClients, DedupStore, Ec2Fleet, FleetTag, Publisher } from '@smartscale/aws';
import { freshTopology, motoClients, receiveAll } from '@smartscale/aws/test-support';
import {
  type AnyEnvelope,
  createMessage,
  type Envelope,
  type MessageType,
  parseMessageJson,
} from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../../packages/local/src/aws/bootstrap.js';
import { createWorkerNetwork } from '../../../../packages/local/src/services/worker-network.js';
import { type ProvisionerPorts, provision } from '../../launch-workers.js';

let clients: AwsClients;
/** Clients whose EC2 answers spot launches in us-east-1a with InsufficientInstanceCapacity. */
let faulty: AwsClients;
let topology: AppliedTopology;
let publisher: Publisher;
let subnets: { zone: string; subnetId: string }[];
let templateId: string;
const runInstances: { subnetId: string; market: string }[] = [];

beforeAll(async () => {
  clients = motoClients();
  faulty = motoClients();
  topology = await freshTopology(clients, 'provision');
  // The same worker network the local stack makes (a VPC, a subnet per zone, the template).
  const network = await createWorkerNetwork(clients.ec2, topology.prefix, [
    'us-east-1a',
    'us-east-1b',
  ]);
  subnets = [...network.subnets];
  templateId = network.launchTemplateId;
  const spotShortIn = subnets[0]?.subnetId;
  faulty.ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'RunInstancesCommand') {
        const input = args.input as {
          SubnetId?: string;
          InstanceMarketOptions?: { MarketType?: string };
        };
        const market = input.InstanceMarketOptions?.MarketType ?? 'on-demand';
        runInstances.push({ subnetId: input.SubnetId ?? '', market });
        if (market === 'spot' && input.SubnetId === spotShortIn) {
          // The shape the SDK gives a modelled EC2 error.
          throw Object.assign(
            new Error('There is no Spot capacity available that matches your request.'),
            { name: 'InsufficientInstanceCapacity', $fault: 'server' },
          );
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'spotShortInZoneA' },
  );
  publisher = new Publisher({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArns: {
      samples: topology.topics.samples.arn,
      commands: topology.topics.commands.arn,
      events: topology.topics.events.arn,
    },
  });
});
afterAll(() => {
  clients.destroy();
  faulty.destroy();
});

/** Real fleet, dedup store and publisher, for a cluster of its own (so no other test's workers count). */
function portsFor(
  clusterId: string,
  ec2 = faulty.ec2,
  purchase = { spotShare: 1, onDemandBase: 0 },
): ProvisionerPorts {
  const fleet = new Ec2Fleet({
    ec2,
    clusterId,
    launchTemplate: { id: templateId },
    subnets,
    dedup: new DedupStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      ttlSeconds: 86_400,
      claimSeconds: 300,
    }),
  });
  return {
    // All new workers on spot: slots go spot/a, spot/b, spot/a, ...
    config: parseConfig({
      purchase,
      instance: { bootSeconds: 1.5 },
    }),
    zones: fleet.zones,
    now: () => new Date(),
    findByAction: (actionId) => fleet.findByAction(actionId),
    describeWorkers: () => fleet.describeWorkers(),
    launch: (actionId, group) => fleet.launch(actionId, group),
    publish: async (message) => {
      await publisher.publish(message);
    },
    publishDelayed: async (message, delaySeconds) => {
      await publisher.publishDelayed(message, topology.queues['join-verifier'].url, delaySeconds);
    },
  };
}

async function liveTagged(actionId: string): Promise<{ id: string; zone: string }[]> {
  const res = await clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${FleetTag.ActionId}`, Values: [actionId] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return (res.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => ({ id: i.InstanceId ?? '', zone: i.Placement?.AvailabilityZone ?? '' }));
}

/** Messages of one action and type that reached `queueUrl` (consumed). */
async function received<T extends MessageType>(
  queueUrl: string,
  actionId: string,
  type: T,
  timeoutMs: number,
): Promise<Envelope<T>[]> {
  const raw = await receiveAll(clients.sqs, queueUrl, { timeoutMs, remove: true });
  return raw
    .map((m) => {
      const body = JSON.parse(m.Body ?? '{}') as { Message?: string };
      // Through SNS the envelope is wrapped; sent straight to SQS it is the body.
      const parsed = parseMessageJson(body.Message ?? m.Body ?? '');
      if (!parsed.ok) throw parsed.error;
      return parsed.value;
    })
    .filter(
      (e: AnyEnvelope) => e.type === type && e.actionId === actionId,
    ) as unknown as Envelope<T>[];
}

describe('provision on EC2 (moto) when spot is short in one zone', () => {
  for (const count of [2, 3]) {
    it(`ScaleUp of ${count}: ${count} distinct workers, reported once each, verified together; a redelivery launches nothing`, async () => {
      const clusterId = `${topology.prefix}-su${count}`;
      const ports = portsFor(clusterId);
      const command = createMessage(
        'ScaleUp',
        { count, reason: 'pending-pods' },
        { clusterId },
        new Date(),
      );
      const outcome = await provision(command, ports);

      const live = await liveTagged(command.actionId);
      expect(live).toHaveLength(count);
      const ids = live.map((i) => i.id).sort();
      expect(outcome.launched.map((w) => w.instanceId).sort()).toEqual(ids);
      // Spot in a is refused, so every worker landed on spot in b.
      expect(new Set(live.map((i) => i.zone))).toEqual(new Set(['us-east-1b']));

      const launched = await received(
        topology.queues.decider.url,
        command.actionId,
        'InstancesLaunched',
        3000,
      );
      expect(launched).toHaveLength(1);
      const reported = launched[0]?.payload.instances.map((i) => i.instanceId) ?? [];
      expect([...reported].sort()).toEqual(ids);
      expect(launched[0]?.payload.unavailablePools).toEqual([
        {
          zone: 'us-east-1a',
          capacityType: 'spot',
          error: 'InsufficientInstanceCapacity',
          reason: 'EC2 has no capacity for this instance type in this zone now',
        },
      ]);
      // bootSeconds 1.5 is sent as a 2 s delay: SQS refuses a fraction.
      const verify = await received(
        topology.queues['join-verifier'].url,
        command.actionId,
        'VerifyJoin',
        5000,
      );
      expect(verify).toHaveLength(1);
      expect([...(verify[0]?.payload.instanceIds ?? [])].sort()).toEqual(ids);

      const callsBefore = runInstances.length;
      const again = await provision(command, ports);
      expect(again.launched).toEqual([]);
      expect(runInstances.length).toBe(callsBefore);
      expect((await liveTagged(command.actionId)).map((i) => i.id).sort()).toEqual(ids);
    });
  }

  it("ReplaceCapacity launches one worker in the doomed worker's zone and capacity type", async () => {
    const clusterId = `${topology.prefix}-rc`;
    const ports = portsFor(clusterId);
    const command = createMessage(
      'ReplaceCapacity',
      {
        replacedInstanceId: 'i-0abc12345',
        zone: 'us-east-1a',
        capacityType: 'on-demand',
        reason: 'spot-interruption',
      },
      { clusterId },
      new Date(),
    );
    const outcome = await provision(command, ports);
    // The plan alone (all spot, zone a first) would have asked for spot in a.
    expect(outcome.launched).toHaveLength(1);
    expect(outcome.launched[0]).toMatchObject({ zone: 'us-east-1a', capacityType: 'on-demand' });
    expect(outcome.unavailablePools).toEqual([]);
    expect(await liveTagged(command.actionId)).toHaveLength(1);
  });
});

/**
 * EC2 clients whose RunInstances answers every launch of `market` with the
 * error the SDK would raise for `code` (modelled EC2 errors carry the code as
 * name), recording the market of every call.
 */
function refusing(market: 'spot' | 'on-demand', code: string, message: string) {
  const c = motoClients();
  const calls: string[] = [];
  c.ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'RunInstancesCommand') {
        const input = args.input as { InstanceMarketOptions?: { MarketType?: string } };
        const asked = input.InstanceMarketOptions?.MarketType === 'spot' ? 'spot' : 'on-demand';
        calls.push(asked);
        if (asked === market)
          throw Object.assign(new Error(message), { name: code, $fault: 'client' });
      }
      return next(args);
    },
    { step: 'initialize', name: `refuse-${market}-${code}` },
  );
  return { clients: c, calls };
}

const refusals = [
  {
    market: 'spot',
    code: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
    message:
      'The provided credentials do not have permission to create the service-linked role for EC2 Spot Instances.',
    reason: 'AWSServiceRoleForEC2Spot is missing',
  },
  {
    market: 'spot',
    code: 'UnauthorizedOperation',
    message: 'You are not authorized to launch Spot Instances: AWSServiceRoleForEC2Spot not found.',
    reason: 'AWSServiceRoleForEC2Spot is missing',
  },
  {
    market: 'spot',
    code: 'MaxSpotInstanceCountExceeded',
    message: 'Max spot instance count exceeded',
    reason: 'Spot vCPU quota',
  },
  {
    market: 'spot',
    code: 'InsufficientInstanceCapacity',
    message: 'There is no Spot capacity available that matches your request.',
    reason: 'no capacity for this instance type in this zone',
  },
  {
    market: 'on-demand',
    code: 'VcpuLimitExceeded',
    message: 'You have requested more vCPU capacity than your current vCPU limit of 0 allows.',
    reason: 'On-Demand vCPU quota',
  },
] as const;

describe('provision on EC2 (moto) when a capacity type is refused in every zone', () => {
  for (const r of refusals) {
    it(`${r.market} refused with ${r.code}: both workers launch on the other capacity type, the refusal reported per zone with its reason`, async () => {
      const { clients: c, calls } = refusing(r.market, r.code, r.message);
      try {
        const clusterId = `${topology.prefix}-${r.code.replace(/\W/g, '').slice(0, 20).toLowerCase()}`;
        const ports = portsFor(
          clusterId,
          c.ec2,
          r.market === 'spot'
            ? { spotShare: 1, onDemandBase: 0 }
            : { spotShare: 0, onDemandBase: 0 },
        );
        const command = createMessage(
          'ScaleUp',
          { count: 2, reason: 'pending-pods' },
          { clusterId },
          new Date(),
        );
        const outcome = await provision(command, ports);
        const other = r.market === 'spot' ? 'on-demand' : 'spot';
        expect(outcome.launched.map((w) => w.capacityType)).toEqual([other, other]);
        const live = await liveTagged(command.actionId);
        expect(live.map((i) => i.zone).sort()).toEqual(['us-east-1a', 'us-east-1b']);
        // At most one refused call per slot: a refusal for the whole type is not tried in the other zone.
        const refusedCalls = calls.filter((m) => m === r.market).length;
        if (r.code === 'InsufficientInstanceCapacity') expect(refusedCalls).toBeLessThanOrEqual(4);
        else expect(refusedCalls).toBeLessThanOrEqual(2);

        const [launched] = await received(
          topology.queues.decider.url,
          command.actionId,
          'InstancesLaunched',
          3000,
        );
        const pools = launched?.payload.unavailablePools ?? [];
        expect(pools.map((p) => `${p.zone}/${p.capacityType}/${p.error}`)).toEqual([
          `us-east-1a/${r.market}/${r.code}`,
          `us-east-1b/${r.market}/${r.code}`,
        ]);
        for (const p of pools) expect(p.reason).toContain(r.reason);
      } finally {
        c.destroy();
      }
    });
  }

  it('a permission error that is not the Spot role fails the delivery instead of launching on-demand', async () => {
    const { clients: c, calls } = refusing(
      'spot',
      'UnauthorizedOperation',
      'You are not authorized to perform this operation. Encoded authorization failure message: abc',
    );
    try {
      const clusterId = `${topology.prefix}-unauth`;
      const command = createMessage(
        'ScaleUp',
        { count: 1, reason: 'pending-pods' },
        { clusterId },
        new Date(),
      );
      await expect(provision(command, portsFor(clusterId, c.ec2))).rejects.toMatchObject({
        name: 'UnauthorizedOperation',
      });
      expect(calls).toEqual(['spot']);
      expect(await liveTagged(command.actionId)).toEqual([]);
    } finally {
      c.destroy();
    }
  });
});
