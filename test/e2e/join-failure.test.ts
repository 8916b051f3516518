import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import {
  auditOf,
  auditSince,
  eventually,
  FAST_CONFIG,
  launchedIds,
  startTestStack,
} from './support.ts';

// Workers whose user data never registers a Node (every instance here):
// the join-verifier must terminate each one past the join timeout and
// report JoinFailed, and the decider must not count them as capacity.
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack('nojoin', { neverJoinShare: 1, visibilityTimeoutSeconds: 6 });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function instancesOf(
  ids: readonly string[],
): Promise<Map<string, { state: string; launchedAt: number }>> {
  const res = await stack.aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
  return new Map(
    (res.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => [
        i.InstanceId ?? '',
        { state: i.State?.Name ?? '', launchedAt: i.LaunchTime?.getTime() ?? Number.NaN },
      ]),
  );
}

describe('a worker that never joins', () => {
  it('is terminated past the join timeout and reported as JoinFailed', async () => {
    const audit = auditOf(stack);
    const launched = await eventually('the first InstancesLaunched', async () =>
      (await auditSince(stack)).find(
        (e) => e.kind === 'outcome' && e.summary === 'InstancesLaunched',
      ),
    );
    const instanceIds = launchedIds(launched);
    expect(instanceIds).toHaveLength(2);

    const failed = await eventually(
      'JoinFailed for every instance of the action',
      async () => {
        const entries = (await audit.byAction(launched.actionId)).filter(
          (e) => e.summary === 'JoinFailed',
        );
        return entries.length === instanceIds.length && entries;
      },
      60_000,
    );
    const payloads = failed.map(
      (e) =>
        (e.detail as { payload: { instanceId: string; terminated: boolean; reason: string } })
          .payload,
    );
    expect(payloads.map((p) => p.instanceId).sort()).toEqual([...instanceIds].sort());
    for (const p of payloads) {
      expect(p.terminated).toBe(true);
      expect(p.reason).toMatch(/no Ready node within the join timeout/);
    }
    // Not before the join timeout: boot plus join timeout after the launch,
    // as EC2 stamped it. (InstancesLaunched's audit time would not do: the
    // decider records it when it gets to it, which may be late.)
    const instances = await instancesOf(instanceIds);
    const timeoutMs = (FAST_CONFIG.instance.bootSeconds + FAST_CONFIG.join.timeoutSeconds) * 1000;
    for (const e of failed) {
      const { instanceId } = (e.detail as { payload: { instanceId: string } }).payload;
      const ec2LaunchedAt = instances.get(instanceId)?.launchedAt ?? Number.NaN;
      expect(Date.parse(e.at) - ec2LaunchedAt).toBeGreaterThanOrEqual(timeoutMs);
    }
    const launchedAt = Date.parse(launched.at);

    for (const id of instanceIds)
      expect(['shutting-down', 'terminated']).toContain(instances.get(id)?.state);
    const nodes = (await stack.admin.makeApiClient(CoreV1Api).listNode()).items;
    expect(nodes).toHaveLength(0);

    // Still below min with the failed workers gone: the decider tries again
    // with a new action instead of counting them.
    const retry = await eventually('a new scale-up after the failure', async () => {
      return (await auditSince(stack, new Date(launchedAt))).find(
        (e) =>
          e.kind === 'decision' &&
          e.summary.startsWith('scale up') &&
          e.actionId !== launched.actionId &&
          Date.parse(e.at) > Math.max(...failed.map((f) => Date.parse(f.at))),
      );
    });
    expect(retry.summary).toBe('scale up by 2');
  });
});
