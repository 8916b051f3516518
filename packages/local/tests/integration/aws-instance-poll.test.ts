import { randomBytes } from 'node:crypto';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { describeInstances } from '@smartscale/aws';
import { motoClients } from '@smartscale/aws/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { InstancePoll } from '../../src/aws/instance-poll.ts';

// Both run against the moto the `aws` project starts through serve_moto.py,
// which replaces moto's tag lookup (see its docstring).
const ec2 = motoClients().ec2;
let imageId = '';

beforeAll(async () => {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  imageId = images.Images?.[0]?.ImageId ?? '';
  expect(imageId).toMatch(/^ami-/);
});

async function launch(cluster: string, count: number): Promise<string[]> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'smartscale:cluster', Value: cluster },
            { Key: 'smartscale:managed', Value: 'true' },
            { Key: 'Name', Value: `worker-${cluster}` },
          ],
        },
      ],
    }),
  );
  return (out.Instances ?? []).map((i) => i.InstanceId ?? '');
}

const byCluster = (cluster: string) => [{ Name: 'tag:smartscale:cluster', Values: [cluster] }];

async function describeAll(client: EC2Client, cluster: string): Promise<Instance[]> {
  const out = await client.send(new DescribeInstancesCommand({ Filters: byCluster(cluster) }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

const states = (instances: readonly Instance[]) =>
  instances.map((i) => `${i.InstanceId}:${i.State?.Name}`).sort();

/** Counts the instances moto sent back in each DescribeInstances answer of `client`. */
function countAnswers(client: EC2Client): number[] {
  const sizes: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'DescribeInstancesCommand') {
        const out = result.output as { Reservations?: { Instances?: unknown[] }[] };
        sizes.push((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).length);
      }
      return result;
    },
    { step: 'initialize', name: 'countDescribedInstances' },
  );
  return sizes;
}

describe('InstancePoll on moto', () => {
  it('reads what an unfiltered DescribeInstances reads, and fetches a terminated instance once', async () => {
    const cluster = `poll-${randomBytes(3).toString('hex')}`;
    const client = motoClients().ec2;
    const answers = countAnswers(client);
    const poll = new InstancePoll(client, byCluster(cluster));
    const ids = await launch(cluster, 5);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(0, 2) }));

    // First read: a full one, the two terminated before it included.
    expect(states(await poll.read())).toEqual(states(await describeAll(ec2, cluster)));

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[2] ?? ''] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[3] ?? ''] }));
    const more = await launch(cluster, 1);
    answers.length = 0;
    const second = await poll.read();
    expect(states(second)).toEqual(states(await describeAll(ec2, cluster)));
    expect(second).toHaveLength(6);
    // Moto answered with the 3 not terminated (2 left, 1 new), then with the one that left.
    expect(answers).toEqual([3, 1]);

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[3] ?? '', ...more] }));
    answers.length = 0;
    expect(states(await poll.read())).toEqual(states(await describeAll(ec2, cluster)));
    expect(answers).toEqual([1, 2]);
    answers.length = 0;
    const settled = await poll.read();
    expect(states(settled)).toEqual(states(await describeAll(ec2, cluster)));
    // Five terminated, all from the reader's own memory: moto sent back the one running.
    expect(answers).toEqual([1]);
  });

  it("moto's tags on DescribeInstances and its tag filters agree with DescribeTags", async () => {
    const mine = `tags-${randomBytes(3).toString('hex')}`;
    const other = `tags-${randomBytes(3).toString('hex')}`;
    const ids = await launch(mine, 3);
    await launch(other, 2);
    const described = await describeAll(ec2, mine);
    expect(described.map((i) => i.InstanceId).sort()).toEqual([...ids].sort());
    for (const instance of described) {
      const tags = await ec2.send(
        new DescribeTagsCommand({
          Filters: [{ Name: 'resource-id', Values: [instance.InstanceId ?? ''] }],
        }),
      );
      const viaDescribeTags = (tags.Tags ?? []).map((t) => `${t.Key}=${t.Value}`).sort();
      expect((instance.Tags ?? []).map((t) => `${t.Key}=${t.Value}`).sort()).toEqual(
        viaDescribeTags,
      );
      expect(viaDescribeTags).toContain(`smartscale:cluster=${mine}`);
      expect(tags.Tags?.every((t) => t.ResourceType === 'instance')).toBe(true);
    }
  });

  it("reads past moto's first page of 100 reservations", async () => {
    const cluster = `pages-${randomBytes(3).toString('hex')}`;
    const launched: string[] = [];
    // One reservation per RunInstances, as the provisioner launches.
    for (let i = 0; i < 103; i += 1) launched.push(...(await launch(cluster, 1)));
    const firstPage = await ec2.send(new DescribeInstancesCommand({ Filters: byCluster(cluster) }));
    expect(firstPage.Reservations).toHaveLength(100);
    expect(firstPage.NextToken).toBeTruthy();
    const all = await describeInstances(ec2, { Filters: byCluster(cluster) });
    expect(all.map((i) => i.InstanceId).sort()).toEqual([...launched].sort());
    const poll = new InstancePoll(ec2, byCluster(cluster));
    expect(await poll.read()).toHaveLength(103);
    expect(await poll.read()).toHaveLength(103);
  });
});
