// Reads the facts the invariants are checked on from the real systems:
// EC2 (moto), the API server, the ledger, the DLQs and the lock.
import type { Filter, Instance } from '@aws-sdk/client-ec2';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  AuditLog,
  ClusterLock,
  ClusterStateStore,
  describeInstances,
  FleetTag,
} from '@smartscale/aws';
import { peekDeadLetters } from '@smartscale/cli';
import {
  CORDONED_BY_ANNOTATION,
  cpuMillis,
  isNodeReady,
  memoryBytes,
  NODE_LABELS,
  ownerOf,
  parseProviderId,
  podRequests,
} from '@smartscale/k8s';
import { InstancePoll } from '../aws/instance-poll.ts';
import type { LocalStack } from '../stack.ts';
import type {
  AuditFact,
  ClusterFacts,
  InstanceFact,
  LockFact,
  NodeFact,
  PodFact,
  TerminationFact,
} from './invariants.ts';

/** The decider's lease; the soak reads the lock with the same length. */
export const LEASE_MS = 30_000;

export async function readInstances(stack: LocalStack): Promise<InstanceFact[]> {
  return (await describeInstances(stack.aws.ec2, { Filters: clusterInstances(stack) })).map(
    instanceFact,
  );
}

/**
 * readInstances for a loop that reads every second: the same facts, at the
 * cost of the instances not yet terminated (see InstancePoll).
 */
export function instanceReader(stack: LocalStack): () => Promise<InstanceFact[]> {
  const poll = new InstancePoll(stack.aws.ec2, clusterInstances(stack));
  return async () => (await poll.read()).map(instanceFact);
}

function clusterInstances(stack: LocalStack): Filter[] {
  return [{ Name: `tag:${FleetTag.Cluster}`, Values: [stack.clusterId] }];
}

function instanceFact(i: Instance): InstanceFact {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    actionId: i.Tags?.find((t) => t.Key === FleetTag.ActionId)?.Value ?? null,
    // As the spot listener reads it (fleet.ts), so a replacement's action id matches.
    launchedAt: i.LaunchTime?.toISOString() ?? null,
  };
}

export async function readNodes(stack: LocalStack): Promise<NodeFact[]> {
  const nodes = (await stack.admin.makeApiClient(CoreV1Api).listNode()).items;
  return nodes.map((n) => ({
    name: n.metadata?.name ?? '',
    instanceId: parseProviderId(n.spec?.providerID)?.instanceId ?? null,
    ready: isNodeReady(n),
    managed: n.metadata?.labels?.[NODE_LABELS.managed] === 'true',
    unschedulable: n.spec?.unschedulable === true,
    cordonedBy: n.metadata?.annotations?.[CORDONED_BY_ANNOTATION] ?? null,
    allocatable: {
      cpuMilli: cpuMillis(n.status?.allocatable?.cpu),
      memoryBytes: memoryBytes(n.status?.allocatable?.memory),
    },
  }));
}

/** Every pod but DaemonSet pods (they need no worker room and leave with their node). */
export async function readPods(stack: LocalStack): Promise<PodFact[]> {
  const pods = (await stack.admin.makeApiClient(CoreV1Api).listPodForAllNamespaces()).items;
  return pods
    .filter((p) => ownerOf(p).kind !== 'DaemonSet')
    .map((p) => {
      const r = podRequests(p.spec);
      return {
        name: `${p.metadata?.namespace}/${p.metadata?.name}`,
        phase: p.status?.phase ?? 'Unknown',
        nodeName: p.spec?.nodeName ?? null,
        terminating: Boolean(p.metadata?.deletionTimestamp),
        requests: { cpuMilli: r.cpuMillis, memoryBytes: r.memoryBytes },
      };
    });
}

/** The audit log from `since`, with each scale-up decision's count. */
export async function readAudit(stack: LocalStack, since: Date): Promise<AuditFact[]> {
  const audit = new AuditLog({
    documents: stack.aws.documents,
    tableName: stack.applied.tables.audit.name,
  });
  return (await audit.between(stack.clusterId, since, new Date())).map((e) => {
    const decision = (e.detail as { decision?: { kind?: string; count?: unknown } }).decision;
    return {
      actionId: e.actionId,
      at: e.at,
      kind: e.kind,
      summary: e.summary,
      count:
        e.kind === 'decision' && decision?.kind === 'scale-up' && typeof decision.count === 'number'
          ? decision.count
          : null,
    };
  });
}

/**
 * Watches for terminations SmartScale makes: an instance seen live before
 * and now shutting down or terminated, that the soak did not hit, is
 * recorded with the non-DaemonSet pods still bound to its Node (not being
 * deleted) in the same look.
 */
export class TerminationWatch {
  readonly #live = new Set<string>();
  readonly #seen = new Set<string>();
  readonly terminations: TerminationFact[] = [];

  /** One look: the instances and pods read just now; `hitByTheSoak` are the soak's own. */
  observe(
    instances: readonly InstanceFact[],
    pods: readonly PodFact[],
    hitByTheSoak: ReadonlySet<string>,
    at = new Date(),
  ): void {
    for (const i of instances) {
      if (i.state === 'pending' || i.state === 'running') {
        this.#live.add(i.instanceId);
        continue;
      }
      const gone = i.state === 'shutting-down' || i.state === 'terminated';
      if (!gone || !this.#live.has(i.instanceId) || this.#seen.has(i.instanceId)) continue;
      this.#seen.add(i.instanceId);
      if (hitByTheSoak.has(i.instanceId)) continue;
      this.terminations.push({
        instanceId: i.instanceId,
        seenAt: at.toISOString(),
        state: i.state,
        pods: pods.filter((p) => p.nodeName === i.instanceId && !p.terminating).map((p) => p.name),
      });
    }
  }
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
  since: Date,
  terminations: readonly TerminationFact[],
  /**
   * The instances; by default what EC2 lists now. Once moto forgets
   * terminated instances (the soak's TTL), the final facts come from the
   * soak's 1 Hz reader, which remembers every instance it saw terminate,
   * so 5a still counts each action's launches.
   */
  instancesNow: () => Promise<InstanceFact[]> = () => readInstances(stack),
): Promise<ClusterFacts> {
  const [instances, nodes, pods, state, deadLetters, lockAfter, audit] = await Promise.all([
    instancesNow(),
    readNodes(stack),
    readPods(stack),
    stateStore(stack).load(stack.clusterId),
    readDeadLetters(stack),
    readLock(stack),
    readAudit(stack, since),
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
    pods,
    audit,
    terminations: [...terminations],
  };
}

/** The reconciler's repairs (audit kind 'repair') since `since`, by repair code. */
export async function readRepairs(stack: LocalStack, since: Date): Promise<Record<string, number>> {
  const audit = new AuditLog({
    documents: stack.aws.documents,
    tableName: stack.applied.tables.audit.name,
  });
  const byCode: Record<string, number> = {};
  for (const e of await audit.between(stack.clusterId, since, new Date())) {
    if (e.kind !== 'repair') continue;
    const code = (e.detail as { repair?: { code?: string } }).repair?.code ?? 'unknown';
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  return byCode;
}
