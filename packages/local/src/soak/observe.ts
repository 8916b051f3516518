// Reads the facts the invariants are checked on from the real systems:
// EC2 (moto), the API server, the ledger, the DLQs and the lock.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api } from '@kubernetes/client-node';
import { ClusterLock, ClusterStateStore, FleetTag } from '@smartscale/aws';
import { peekDeadLetters } from '@smartscale/cli';
import { CORDONED_BY_ANNOTATION, NODE_LABELS, parseProviderId } from '@smartscale/k8s';
import type { LocalStack } from '../stack.ts';
import type { ClusterFacts, InstanceFact, LockFact, NodeFact } from './invariants.ts';

/** The decider's lease; the soak reads the lock with the same length. */
export const LEASE_MS = 30_000;

export async function readInstances(stack: LocalStack): Promise<InstanceFact[]> {
  const res = await stack.aws.ec2.send(
    new DescribeInstancesCommand({
      Filters: [{ Name: `tag:${FleetTag.Cluster}`, Values: [stack.clusterId] }],
    }),
  );
  return (res.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => ({
      instanceId: i.InstanceId ?? '',
      state: i.State?.Name ?? 'unknown',
      actionId: i.Tags?.find((t) => t.Key === FleetTag.ActionId)?.Value ?? null,
    }));
}

export async function readNodes(stack: LocalStack): Promise<NodeFact[]> {
  const nodes = (await stack.admin.makeApiClient(CoreV1Api).listNode()).items;
  return nodes.map((n) => ({
    name: n.metadata?.name ?? '',
    instanceId: parseProviderId(n.spec?.providerID)?.instanceId ?? null,
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    managed: n.metadata?.labels?.[NODE_LABELS.managed] === 'true',
    unschedulable: n.spec?.unschedulable === true,
    cordonedBy: n.metadata?.annotations?.[CORDONED_BY_ANNOTATION] ?? null,
  }));
}

export function stateStore(stack: LocalStack): ClusterStateStore {
  return new ClusterStateStore({
    documents: stack.aws.documents,
    tableName: stack.applied.tables.state.name,
  });
}

export async function readLock(stack: LocalStack): Promise<LockFact | null> {
  const lock = new ClusterLock({
    documents: stack.aws.documents,
    tableName: stack.applied.tables.state.name,
    leaseMs: LEASE_MS,
  });
  const holder = await lock.holder(stack.clusterId);
  return holder ? { owner: holder.owner, fence: holder.fence, live: holder.live } : null;
}

export async function readDeadLetters(
  stack: LocalStack,
): Promise<Record<string, { type: string | null; reason: string | null }[]>> {
  const out: Record<string, { type: string | null; reason: string | null }[]> = {};
  for (const [name, queue] of Object.entries(stack.applied.queues)) {
    const letters = await peekDeadLetters(stack.aws.sqs, queue.dlqUrl, 100);
    out[name] = letters.map((l) => ({ type: l.type, reason: l.reason }));
  }
  return out;
}

export async function readFacts(
  stack: LocalStack,
  lockBefore: LockFact | null,
  lockBeforeAt: number,
): Promise<ClusterFacts> {
  const [instances, nodes, state, deadLetters, lockAfter] = await Promise.all([
    readInstances(stack),
    readNodes(stack),
    stateStore(stack).load(stack.clusterId),
    readDeadLetters(stack),
    readLock(stack),
  ]);
  return {
    at: new Date(),
    instances,
    nodes,
    state,
    deadLetters,
    lockBefore,
    lockAfter,
    lockGapMs: Date.now() - lockBeforeAt,
  };
}
