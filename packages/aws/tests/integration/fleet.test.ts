import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createMessage } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../local/src/aws/bootstrap.js';
import {
  type AwsClients,
  assertInstanceTypeOffered,
  createMessageHandler,
  DedupStore,
  Ec2Fleet,
  FleetTag,
  LaunchInProgressError,
  Publisher,
  QueueRunner,
} from '../../src/index.js';
import { eventually, freshTopology, motoClients, receiveAll } from './support.js';

let clients: AwsClients;
let topology: AppliedTopology;
let fleet: Ec2Fleet;
let clusterId: string;
let subnets: { zone: string; subnetId: string }[];
let imageId: string;

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'fleet');
  // moto's EC2 is shared by every test file; the cluster id keeps them apart.
  clusterId = topology.prefix;
  const vpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId;
  subnets = [];
  for (const [i, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
    const subnet = await clients.ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: `10.0.${i}.0/24`,
        AvailabilityZone: zone,
      }),
    );
    subnets.push({ zone, subnetId: subnet.Subnet?.SubnetId ?? '' });
  }
  const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  imageId = images.Images?.[0]?.ImageId ?? '';
  expect(imageId).toMatch(/^ami-/);
  const template = await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${topology.prefix}-workers`,
      LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.medium' },
    }),
  );
  fleet = new Ec2Fleet({
    ec2: clients.ec2,
    clusterId,
    launchTemplate: { id: template.LaunchTemplate?.LaunchTemplateId ?? '' },
    subnets,
    dedup: new DedupStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      ttlSeconds: 86_400,
      claimSeconds: 300,
    }),
  });
});
afterAll(() => clients.destroy());

async function taggedInstances(actionId: string): Promise<number> {
  const res = await clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [{ Name: `tag:${FleetTag.ActionId}`, Values: [actionId] }],
    }),
  );
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
}

describe('Ec2Fleet', () => {
  it('launches spot and on-demand workers across zones, tagged, and returns the same workers on repeats', async () => {
    const actionId = createMessage(
      'ScaleUp',
      { count: 3, reason: 't' },
      { clusterId },
      new Date(),
    ).actionId;
    const [zoneA, zoneB] = fleet.zones as [string, string];
    const groups = [
      { zone: zoneA, capacityType: 'spot', count: 1 },
      { zone: zoneB, capacityType: 'spot', count: 1 },
      { zone: zoneA, capacityType: 'on-demand', count: 1 },
    ] as const;
    const first = await fleet.launchWorkers(actionId, groups);
    const second = await fleet.launchWorkers(actionId, groups);
    const third = await fleet.launchWorkers(actionId, groups);
    expect(first).toHaveLength(3);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await taggedInstances(actionId)).toBe(3);

    expect(first.filter((w) => w.capacityType === 'spot')).toHaveLength(2);
    expect(new Set(first.map((w) => w.zone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    const res = await clients.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: first.map((w) => w.instanceId) }),
    );
    const instances = (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    for (const instance of instances) {
      const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags[FleetTag.Cluster]).toBe(clusterId);
      expect(tags[FleetTag.ActionId]).toBe(actionId);
      expect(tags[FleetTag.Managed]).toBe('true');
    }
    // The spot lifecycle comes from InstanceMarketOptions in the request.
    expect(instances.filter((i) => i.InstanceLifecycle === 'spot')).toHaveLength(2);
    expect(await fleet.findByAction(actionId)).toEqual(expect.arrayContaining(first));
  });

  it('launches once when the same ScaleUp command is delivered three times', async () => {
    const queue = topology.queues.provisioner;
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: { VisibilityTimeout: '2' },
      }),
    );
    const command = createMessage(
      'ScaleUp',
      { count: 4, reason: 'pending-pods' },
      { clusterId },
      new Date(),
    );
    const publisher = new Publisher({
      sns: clients.sns,
      sqs: clients.sqs,
      topicArns: {
        samples: topology.topics.samples.arn,
        commands: topology.topics.commands.arn,
        events: topology.topics.events.arn,
      },
    });
    for (let i = 0; i < 3; i++) await publisher.publish(command);

    let handled = 0;
    const launches: string[][] = [];
    const runner = new QueueRunner({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: 'provisioner',
      visibilityTimeoutSeconds: 2,
      waitTimeSeconds: 1,
      maxConcurrentBatches: 2,
      batchSize: 2,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      handler: createMessageHandler({
        sqs: clients.sqs,
        deadLetterQueueUrl: queue.dlqUrl,
        logger: new Logger({ serviceName: 'provisioner', logLevel: 'SILENT' }),
        async handle(message) {
          if (message.type !== 'ScaleUp') throw new Error(`unexpected ${message.type}`);
          // The command asks for 4: one spot and one on-demand in each zone.
          const workers = await fleet.launchWorkers(
            message.actionId,
            fleet.zones.flatMap((zone) => [
              { zone, capacityType: 'spot' as const, count: message.payload.count / 4 },
              { zone, capacityType: 'on-demand' as const, count: message.payload.count / 4 },
            ]),
          );
          launches.push(workers.map((w) => w.instanceId).sort());
          handled += 1;
        },
      }),
    });
    runner.start();
    try {
      await eventually(async () => handled === 3, 30_000, 'three deliveries to be handled');
    } finally {
      await runner.stop();
    }
    expect(await taggedInstances(command.actionId)).toBe(4);
    expect(launches[1]).toEqual(launches[0]);
    expect(launches[2]).toEqual(launches[0]);
    expect(await receiveAll(clients.sqs, queue.dlqUrl, { timeoutMs: 1000 })).toHaveLength(0);
  });

  it('lets one of three concurrent launches run; the others wait and then get its workers', async () => {
    const actionId = createMessage(
      'ScaleUp',
      { count: 2, reason: 't' },
      { clusterId },
      new Date(),
    ).actionId;
    const group = { zone: 'us-east-1a', capacityType: 'on-demand' as const, count: 2 };
    const results = await Promise.allSettled([1, 2, 3].map(() => fleet.launch(actionId, group)));
    const launched = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(launched.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) expect(r.reason).toBeInstanceOf(LaunchInProgressError);
    expect(await taggedInstances(actionId)).toBe(2);
    const retried = await fleet.launch(actionId, group);
    expect(retried.map((w) => w.instanceId).sort()).toEqual(
      (launched[0] as PromiseFulfilledResult<{ instanceId: string }[]>).value
        .map((w) => w.instanceId)
        .sort(),
    );
    expect(await taggedInstances(actionId)).toBe(2);
  });

  it('finds the instances of a launch that crashed before recording them', async () => {
    const actionId = createMessage(
      'ScaleUp',
      { count: 1, reason: 't' },
      { clusterId },
      new Date(),
    ).actionId;
    // What a provisioner that died right after RunInstances leaves behind.
    const tags = [
      { Key: FleetTag.Cluster, Value: clusterId },
      { Key: FleetTag.ActionId, Value: actionId },
      { Key: FleetTag.Managed, Value: 'true' },
    ];
    const orphan = await clients.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnets[1]?.subnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    );
    const workers = await fleet.launch(actionId, {
      zone: 'us-east-1b',
      capacityType: 'on-demand',
      count: 1,
    });
    expect(workers.map((w) => w.instanceId)).toEqual([orphan.Instances?.[0]?.InstanceId]);
    expect(await taggedInstances(actionId)).toBe(1);
  });

  it('keys a slot launch by its slot: two slots in one pool get two workers, a repeat gets the same', async () => {
    const actionId = createMessage(
      'ScaleUp',
      { count: 2, reason: 't' },
      { clusterId },
      new Date(),
    ).actionId;
    const pool = { zone: 'us-east-1b', capacityType: 'spot' as const, count: 1 };
    const [first] = await fleet.launch(actionId, { ...pool, slot: 0 });
    const [second] = await fleet.launch(actionId, { ...pool, slot: 1 });
    expect(first?.instanceId).toBeDefined();
    expect(second?.instanceId).not.toBe(first?.instanceId);
    expect(first?.slot).toBe(0);
    expect(second?.slot).toBe(1);
    expect(await fleet.launch(actionId, { ...pool, slot: 1 })).toEqual([second]);
    expect(await taggedInstances(actionId)).toBe(2);
    // The tag tells which slot a worker fills, wherever it landed.
    const found = await fleet.findByAction(actionId);
    expect(found.map((w) => w.slot).sort()).toEqual([0, 1]);
    // A later attempt for slot 1 in another pool finds slot 1's worker by tag
    // (its dedup record is new) instead of launching a third.
    const other = await fleet.launch(actionId, {
      zone: 'us-east-1a',
      capacityType: 'on-demand',
      count: 1,
      slot: 1,
    });
    expect(other.map((w) => w.instanceId)).toEqual([second?.instanceId]);
    expect(await taggedInstances(actionId)).toBe(2);
  });

  it('accepts an instance type EC2 offers and refuses one it does not, naming instance.type', async () => {
    await expect(assertInstanceTypeOffered(clients.ec2, 't3.medium')).resolves.toBeUndefined();
    const refusal = assertInstanceTypeOffered(clients.ec2, 't3.gigantic');
    await expect(refusal).rejects.toThrow(/instance\.type: 't3\.gigantic'/);
    await expect(refusal).rejects.toThrow(/expected an EC2 instance type/);
  });

  it('describes live managed workers and terminates only its own', async () => {
    const actionId = createMessage(
      'ScaleUp',
      { count: 1, reason: 't' },
      { clusterId },
      new Date(),
    ).actionId;
    const [mine] = await fleet.launchWorkers(actionId, [
      { zone: fleet.zones[0] as string, capacityType: 'on-demand', count: 1 },
    ]);
    const foreign = await clients.ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
      }),
    );
    const foreignId = foreign.Instances?.[0]?.InstanceId ?? '';
    if (!mine) throw new Error('no worker launched');

    const before = await fleet.describeWorkers();
    expect(before.map((w) => w.instanceId)).toContain(mine.instanceId);
    expect(before.map((w) => w.instanceId)).not.toContain(foreignId);
    expect(before.every((w) => w.state === 'running' || w.state === 'pending')).toBe(true);

    const result = await fleet.terminate([mine.instanceId, foreignId]);
    expect(result).toEqual({ terminated: [mine.instanceId], refused: [foreignId] });
    const after = await fleet.describeWorkers();
    expect(after.map((w) => w.instanceId)).not.toContain(mine.instanceId);
    expect((await fleet.findWorker(mine.instanceId))?.state).toMatch(/shutting-down|terminated/);
    expect(await fleet.findWorker(foreignId)).toBeNull();
    // An id EC2 never knew (or forgot an hour after termination) is not ours, not an error.
    expect(await fleet.findWorker('i-0123456789abcdef0')).toBeNull();
    const foreignNow = await clients.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [foreignId] }),
    );
    expect(foreignNow.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
  });
});
