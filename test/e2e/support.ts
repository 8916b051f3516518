import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { AuditLog, FleetTag, Publisher, type StoredAuditEntry } from '@smartscale/aws';
import type { LocalStack } from '../../packages/local/src/stack.ts';

/** Polls `check` until it returns something truthy, or fails naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false | null>,
  timeoutMs = 60_000,
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
  );
}

/** Live (pending or running) instances of the stack's cluster, optionally of one action. */
export async function liveInstances(stack: LocalStack, actionId?: string): Promise<string[]> {
  const filters = [
    { Name: `tag:${FleetTag.Cluster}`, Values: [stack.clusterId] },
    ...(actionId ? [{ Name: `tag:${FleetTag.ActionId}`, Values: [actionId] }] : []),
  ];
  const res = await stack.aws.ec2.send(new DescribeInstancesCommand({ Filters: filters }));
  return (res.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name === 'pending' || i.State?.Name === 'running')
    .map((i) => i.InstanceId ?? '');
}

/** The audit log of the stack's cluster. */
export function auditOf(stack: LocalStack): AuditLog {
  return new AuditLog({
    documents: stack.aws.documents,
    tableName: stack.applied.tables.audit.name,
  });
}

/** The decider's policy for tests: the design's rules on a short clock. */
export const FAST_CONFIG = {
  workers: { min: 2, max: 8 },
  scaleUp: { cpuSustainSeconds: 5, pendingGraceSeconds: 1, cooldownSeconds: 5 },
  scaleDown: {
    sustainSeconds: 8,
    cooldownSeconds: 8,
    minNodeAgeSeconds: 8,
    drainTimeoutSeconds: 20,
  },
  instance: { bootSeconds: 2 },
  join: { timeoutSeconds: 8 },
};

/** A resource prefix and cluster id unique to this run of a test file. */
export function stackName(what: string): string {
  return `${what}${Date.now().toString(36).slice(-6)}`;
}

/** Publishes envelopes to the stack's topics, as a service would. */
export function publisherOf(stack: LocalStack): Publisher {
  return new Publisher({
    sns: stack.aws.sns,
    sqs: stack.aws.sqs,
    topicArns: {
      samples: stack.applied.topics.samples.arn,
      commands: stack.applied.topics.commands.arn,
      events: stack.applied.topics.events.arn,
    },
  });
}

/** Instance ids an audited InstancesLaunched outcome reports. */
export function launchedIds(entry: StoredAuditEntry | undefined): string[] {
  if (entry?.summary !== 'InstancesLaunched')
    throw new Error(`expected an InstancesLaunched audit entry, got ${entry?.summary}`);
  const { payload } = entry.detail as { payload: { instances: { instanceId: string }[] } };
  return payload.instances.map((i) => i.instanceId);
}
