import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CoreV1Api } from '@kubernetes/client-node';
import { createMessage } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import {
  auditOf,
  deploy,
  deployment,
  eventually,
  liveInstances,
  runningPods,
  startTestStack,
} from './support.ts';

// The seven services as processes against real moto, a real API server with
// kwok workers and a real Prometheus: the main job, end to end.
let stack: LocalStack;
let load = 0.3;

beforeAll(async () => {
  stack = await startTestStack('e2e', { cpuUsage: () => load });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const ns = 'shop';

describe('SmartScale end to end', () => {
  it('flash sale: scales up, verifies the nodes, runs every pod, and audits why', async () => {
    await deploy(stack, ns, deployment('web', 12));
    await eventually(
      '12 web pods Running',
      async () => (await runningPods(stack, ns)) === 12,
      90_000,
    );
    const nodes = (await stack.admin.makeApiClient(CoreV1Api).listNode()).items;
    // 12 pods of 500m on nodes that hold 3 each: at least 4 workers, and no more than one spare.
    expect(nodes.length).toBeGreaterThanOrEqual(4);
    expect(nodes.length).toBeLessThanOrEqual(5);
    const entries = await auditOf(stack).between(
      stack.clusterId,
      new Date(Date.now() - 600_000),
      new Date(),
    );
    const ups = entries.filter((e) => e.kind === 'decision' && e.summary.startsWith('scale up'));
    expect(ups.length).toBeGreaterThan(0);
    const reasons = ups.flatMap((e) =>
      ((e.detail as { decision: { reasons: { code: string }[] } }).decision.reasons ?? []).map(
        (r) => r.code,
      ),
    );
    expect(reasons).toContain('pending-pods');
    // The join verifier re-checks on a delayed message (10 s, doubling), so the
    // pods can run on a Ready Node before its NodeJoined outcome is written.
    await eventually('a NodeJoined outcome in the audit', async () =>
      (
        await auditOf(stack).between(stack.clusterId, new Date(Date.now() - 600_000), new Date())
      ).some((e) => e.kind === 'outcome' && e.summary === 'NodeJoined'),
    );
  });

  it('launches once when the same ScaleUp is delivered three times', async () => {
    const command = createMessage(
      'ScaleUp',
      { count: 1, reason: 'test-triple-delivery' },
      { clusterId: stack.clusterId },
      new Date(),
    );
    const queue = stack.applied.queues.provisioner.url;
    for (let i = 0; i < 3; i++) {
      await stack.aws.sqs.send(
        new SendMessageCommand({
          QueueUrl: queue,
          MessageBody: JSON.stringify(command),
          MessageAttributes: { type: { DataType: 'String', StringValue: 'ScaleUp' } },
        }),
      );
    }
    await eventually(
      'the action launched',
      async () => (await liveInstances(stack, command.actionId)).length > 0,
    );
    await new Promise((r) => setTimeout(r, 4000));
    expect(await liveInstances(stack, command.actionId)).toHaveLength(1);
  });

  it('sends a malformed message to the DLQ with its reason, and keeps working', async () => {
    const queue = stack.applied.queues.decider;
    await stack.aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify({ type: 'ScaleUp', hello: 'world' }),
      }),
    );
    const dead = await eventually('the message in the decider DLQ', async () => {
      const res = await stack.aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.dlqUrl,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
        }),
      );
      return res.Messages?.find((m) => m.Body?.includes('hello'));
    });
    expect(dead.MessageAttributes?.reason?.StringValue).toMatch(
      /message envelope is invalid: id: /,
    );
    // Samples keep flowing and being decided.
    const since = new Date();
    await eventually('a decision after the bad message', async () => {
      const entries = await auditOf(stack).between(stack.clusterId, since, new Date());
      return entries.some((e) => e.kind === 'decision');
    });
  });

  it('replaces a Spot-interrupted worker at once and drains it', async () => {
    const [victim] = await liveInstances(stack);
    expect(victim).toBeDefined();
    const before = new Set(await liveInstances(stack));
    await stack.aws.eventbridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.ec2',
            DetailType: 'EC2 Spot Instance Interruption Warning',
            Detail: JSON.stringify({ 'instance-id': victim, 'instance-action': 'terminate' }),
            Resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${victim}`],
          },
        ],
      }),
    );
    const replacement = await eventually('a replacement instance', async () =>
      (await liveInstances(stack)).find((id) => !before.has(id)),
    );
    expect(replacement).toMatch(/^i-/);
    await eventually(
      'the interrupted worker terminated',
      async () => !(await liveInstances(stack)).includes(victim as string),
      60_000,
    );
  });

  it('holds with metrics-unavailable, never scaling down, when Prometheus is down', async () => {
    load = 0.05;
    await stack.prometheus.stop();
    const since = new Date();
    const held = await eventually('a hold for missing metrics', async () => {
      const entries = await auditOf(stack).between(stack.clusterId, since, new Date());
      return entries.find(
        (e) => e.kind === 'decision' && JSON.stringify(e.detail).includes('metrics-unavailable'),
      );
    });
    expect(held.summary).toBe('hold');
    const after = await auditOf(stack).between(stack.clusterId, since, new Date());
    expect(after.some((e) => e.summary.startsWith('scale down'))).toBe(false);
  });
});
