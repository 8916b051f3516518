import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createAwsClients, localAwsOptions } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstancePoll } from '../../src/aws/instance-poll.ts';
import { type MotoServer, startMoto } from '../../src/aws/moto-server.ts';

// A moto of its own: the project's shared one keeps terminated instances for ever.
let moto: MotoServer;
let clients: ReturnType<typeof createAwsClients>;

beforeAll(async () => {
  moto = await startMoto({ terminatedTtlSeconds: 2 });
  clients = createAwsClients(localAwsOptions(moto.endpoint));
}, 120_000);

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

const cluster = [{ Name: 'tag:smartscale:cluster', Values: ['ttl'] }];

async function listed(): Promise<string[]> {
  const out = await clients.ec2.send(new DescribeInstancesCommand({ Filters: cluster }));
  return (out.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => `${i.InstanceId}:${i.State?.Name}`)
    .sort();
}

describe('moto with terminatedTtlSeconds (serve_moto.py), as EC2 after about an hour', () => {
  it('forgets a terminated instance and its tags after the TTL; the poll still remembers it', async () => {
    const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const run = await clients.ec2.send(
      new RunInstancesCommand({
        ImageId: images.Images?.[0]?.ImageId ?? '',
        MinCount: 2,
        MaxCount: 2,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'smartscale:cluster', Value: 'ttl' }] },
        ],
      }),
    );
    const [gone, stays] = (run.Instances ?? []).map((i) => i.InstanceId ?? '');
    const poll = new InstancePoll(clients.ec2, cluster);
    await poll.read();
    await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone ?? ''] }));
    expect(await listed()).toEqual([`${gone}:terminated`, `${stays}:running`].sort());
    await poll.read();

    const deadline = Date.now() + 20_000;
    while ((await listed()).length > 1 && Date.now() < deadline) await sleep(500);
    expect(await listed()).toEqual([`${stays}:running`]);
    const tags = await clients.ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [gone ?? ''] }] }),
    );
    expect(tags.Tags).toEqual([]);
    // The soak's 1 Hz reader saw it terminate and keeps it for the final facts (5a).
    expect((await poll.read()).map((i) => `${i.InstanceId}:${i.State?.Name}`).sort()).toEqual(
      [`${gone}:terminated`, `${stays}:running`].sort(),
    );
  });
});
