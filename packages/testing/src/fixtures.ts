import {
  type ClusterSnapshot,
  createMessage,
  type Envelope,
  type MessageContext,
  type NodeInfo,
  type PayloadInput,
  type PendingPod,
  type PodInfo,
} from '@smartscale/contracts';
import { type Config, parseConfig } from '@smartscale/core';

/** The cluster id the fixtures use unless told otherwise. */
export const TEST_CLUSTER = 'c-test';

/** An EC2-shaped instance id from a small number (i-00000000000000007). */
export function instanceIdOf(n: number): string {
  return `i-${n.toString(16).padStart(17, '0')}`;
}

/** A running pod of a ReplicaSet, 100m and 128 MiB unless told otherwise. */
export function pod(overrides: Partial<PodInfo> & { name: string }): PodInfo {
  return {
    namespace: 'shop',
    ownerKind: 'ReplicaSet',
    ownerName: 'web',
    cpuMillis: 100,
    memoryBytes: 128 * 1024 * 1024,
    hasPdb: false,
    doNotDisrupt: false,
    localStorage: false,
    ...overrides,
  };
}

/** A pod the scheduler could not place, pending since `pendingSince`. */
export function pendingPod(
  overrides: Partial<PendingPod> & { name: string; pendingSince: string },
): PendingPod {
  return { namespace: 'shop', cpuMillis: 500, memoryBytes: 512 * 1024 * 1024, ...overrides };
}

/**
 * Managed, Ready worker `n` (node `n<n>`, instance instanceIdOf(n)) of
 * 1800m and 3.5 GiB allocatable, registered two hours before `now`.
 */
export function workerNode(n: number, now: Date, overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name: `n${n}`,
    instanceId: instanceIdOf(n),
    managed: true,
    // Its instance carries the cluster's tags: a worker SmartScale launched.
    smartscaleInstance: true,
    ready: true,
    unschedulable: false,
    createdAt: new Date(now.getTime() - 7_200_000).toISOString(),
    allocatable: { cpuMillis: 1800, memoryBytes: 3_758_096_384 },
    pods: [],
    ...overrides,
  };
}

/** CPU and memory utilization as the sampler reports them (fractions of allocatable). */
export function utilization(cpu: number, memory = cpu): ClusterSnapshot['utilization'] {
  return {
    available: true,
    cpu: { now: cpu, upWindowMin: cpu, downWindowMax: cpu },
    memory: { now: memory, downWindowMax: memory },
  };
}

/** A snapshot taken at `takenAt`: `workers` idle workers (5%) unless nodes are given. */
export function snapshot(
  takenAt: Date,
  options: {
    workers?: number;
    nodes?: NodeInfo[];
    pendingPods?: PendingPod[];
    utilization?: ClusterSnapshot['utilization'];
  } = {},
): ClusterSnapshot {
  const count = options.workers ?? 5;
  return {
    takenAt: takenAt.toISOString(),
    nodes: options.nodes ?? Array.from({ length: count }, (_, i) => workerNode(i + 1, takenAt)),
    pendingPods: options.pendingPods ?? [],
    utilization: options.utilization ?? utilization(0.05, 0.1),
  };
}

/** The configuration from `overrides` laid over the defaults, validated as the services do. */
export function testConfig(overrides: unknown = {}): Config {
  return parseConfig(overrides);
}

/** A MetricsSampled of `snap`, sent when it was taken. */
export function sampled(
  snap: ClusterSnapshot,
  context: Partial<MessageContext> = {},
): Envelope<'MetricsSampled'> {
  return createMessage(
    'MetricsSampled',
    snap,
    { clusterId: TEST_CLUSTER, ...context },
    new Date(snap.takenAt),
  );
}

/** A DrainNode of a scale-down, sent at `sentAt`. */
export function drainCommand(
  payload: Partial<PayloadInput<'DrainNode'>> & Pick<PayloadInput<'DrainNode'>, 'deadline'>,
  sentAt: Date,
  context: Partial<MessageContext> = {},
): Envelope<'DrainNode'> {
  return createMessage(
    'DrainNode',
    { nodeName: 'n1', instanceId: instanceIdOf(1), reason: 'scale-down', ...payload },
    { clusterId: TEST_CLUSTER, ...context },
    sentAt,
  );
}

/** A VerifyJoin for instances launched at `launchedAt`, checked until `deadline`. */
export function verifyJoinCommand(
  payload: Pick<PayloadInput<'VerifyJoin'>, 'instanceIds' | 'launchedAt' | 'deadline'> &
    Partial<PayloadInput<'VerifyJoin'>>,
  sentAt: Date,
  context: Partial<MessageContext> = {},
): Envelope<'VerifyJoin'> {
  return createMessage('VerifyJoin', payload, { clusterId: TEST_CLUSTER, ...context }, sentAt);
}
