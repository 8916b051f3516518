import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { AuditLog, FleetTag, Publisher, type StoredAuditEntry } from '@smartscale/aws';
import {
  type LocalStack,
  type StackOptions,
  startLocalStack,
} from '../../packages/local/src/stack.ts';

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
  // The local exporter reports a new kwok worker within 2 s and the local
  // rate window is 5 s: past 10 s its CPU reads right.
  metrics: { warmupSeconds: 10 },
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

/**
 * Starts a whole local stack for one test file: FAST_CONFIG, a 2 s boot,
 * a sample every 2 s, compressed visibility timeouts, quiet; `options`
 * override any of these.
 */
export function startTestStack(
  what: string,
  options: Partial<StackOptions> = {},
): Promise<LocalStack> {
  return startLocalStack({
    name: stackName(what),
    config: FAST_CONFIG,
    bootSeconds: 2,
    cpuUsage: () => 0.3,
    sampleIntervalMs: 2000,
    watchGraceMs: 1000,
    visibilityTimeoutSeconds: 8,
    log: () => {},
    ...options,
  });
}

/** The cluster's audit entries from `since` until now. */
export function auditSince(stack: LocalStack, since = new Date(0)): Promise<StoredAuditEntry[]> {
  return auditOf(stack).between(stack.clusterId, since, new Date());
}

/** A Deployment of `replicas` pods `app=<name>` requesting 500m and 512Mi (3 fit a worker), optionally pinned to one node. */
export function deployment(name: string, replicas: number, nodeName?: string): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(nodeName ? { nodeSelector: { 'kubernetes.io/hostname': nodeName } } : {}),
          containers: [
            {
              name,
              image: `${name}:1`,
              resources: { requests: { cpu: '500m', memory: '512Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** Creates `namespace` (if missing) and the Deployment in it. */
export async function deploy(
  stack: LocalStack,
  namespace: string,
  body: V1Deployment,
): Promise<void> {
  await stack.admin
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } })
    .catch(() => {});
  await stack.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace, body });
}

/** Names of the Nodes whose Ready condition is True. */
export async function readyNodeNames(stack: LocalStack): Promise<string[]> {
  const nodes = (await stack.admin.makeApiClient(CoreV1Api).listNode()).items;
  return nodes
    .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.metadata?.name ?? '');
}

/** Live pods of a namespace in phase Running. */
export async function runningPods(stack: LocalStack, namespace: string): Promise<number> {
  const pods = await stack.admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
  return pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
    .length;
}
