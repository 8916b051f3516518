import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { ServiceNames } from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import { auditSince, eventually, FAST_CONFIG, launchedIds, startTestStack } from './support.ts';

// A VerifyJoin that ends in its dead-letter queue (the join-verifier kept
// failing) leaves the launched workers running, unjoined, forever: nothing
// else looks at them. The reconciler must terminate each one within a pass
// of its join window (boot + join timeout + grace) closing.
const GRACE_SECONDS = 3;
const RECONCILE_MS = 2000;
const CONFIG = { ...FAST_CONFIG, reconcile: { graceSeconds: GRACE_SECONDS } };
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('orphan', {
    config: CONFIG,
    // Workers never register a Node, and the join-verifier is down.
    neverJoinShare: 1,
    services: ServiceNames.filter((s) => s !== 'join-verifier'),
    reconcileIntervalMs: RECONCILE_MS,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** Moves every message of the join-verifier queue to its DLQ, as failed receives would. */
async function deadLetterVerifyJoins(): Promise<Message[]> {
  const queue = stack.applied.queues['join-verifier'];
  const res = await stack.aws.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  for (const m of res.Messages ?? []) {
    await stack.aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.dlqUrl,
        MessageBody: m.Body ?? '',
        MessageAttributes: m.MessageAttributes,
      }),
    );
    await stack.aws.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }),
    );
  }
  return res.Messages ?? [];
}

describe('a VerifyJoin lost to its dead-letter queue', () => {
  it('the reconciler terminates the unjoined workers within two passes of their join window', async () => {
    const launched = await eventually('the first InstancesLaunched', async () =>
      (await auditSince(stack)).find(
        (e) => e.kind === 'outcome' && e.summary === 'InstancesLaunched',
      ),
    );
    const ids = launchedIds(launched);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    const dead = await eventually(
      'the delayed VerifyJoin, moved to the DLQ',
      async () => {
        const moved = await deadLetterVerifyJoins();
        return moved.some((m) => (m.Body ?? '').includes(ids[0] as string)) && moved;
      },
      20_000,
    );
    expect(dead.length).toBeGreaterThanOrEqual(1);

    const orphaned = await eventually(
      `an orphan-instance repair for each of ${ids.join(', ')}`,
      async () => {
        const entries = (await auditSince(stack)).filter(
          (e) =>
            e.kind === 'repair' &&
            ids.includes((e.detail as { repair: { instanceId?: string } }).repair.instanceId ?? ''),
        );
        return entries.length === ids.length && entries;
      },
      60_000,
    );
    for (const e of orphaned) expect(e.summary).toMatch(/^repair orphan-instance: i-/);

    const described = await stack.aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const instances = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    for (const i of instances) {
      expect(['shutting-down', 'terminated']).toContain(i.State?.Name);
      // Not before its join window closed, and within two passes after:
      // a pass that overruns its interval makes the next tick skip, and a
      // repair is stamped after its terminate and publish.
      const window =
        (i.LaunchTime?.getTime() ?? 0) +
        (FAST_CONFIG.instance.bootSeconds + FAST_CONFIG.join.timeoutSeconds + GRACE_SECONDS) * 1000;
      const at = Date.parse(
        orphaned.find(
          (e) =>
            (e.detail as { repair: { instanceId: string } }).repair.instanceId === i.InstanceId,
        )?.at ?? '',
      );
      expect(at).toBeGreaterThan(window);
      expect(at - window).toBeLessThanOrEqual(2 * RECONCILE_MS + 2000);
    }
  });
});
