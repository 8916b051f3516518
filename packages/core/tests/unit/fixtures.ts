import type {
  ClusterSnapshot,
  ClusterState,
  NodeInfo,
  PendingPod,
  PodInfo,
} from '@smartscale/contracts';
import { emptyClusterState } from '@smartscale/contracts';

export const MiB = 1024 ** 2;
export const NOW = new Date('2026-11-22T12:00:00.000Z');
export const ago = (seconds: number, from: Date = NOW) =>
  new Date(from.getTime() - seconds * 1000).toISOString();

export function pod(overrides: Partial<PodInfo> = {}): PodInfo {
  return {
    namespace: 'shop',
    name: `web-${Math.random().toString(36).slice(2, 8)}`,
    cpuMillis: 500,
    memoryBytes: 512 * MiB,
    ownerKind: 'ReplicaSet',
    ownerName: 'web-abc',
    ownerReplicas: 5,
    hasPdb: false,
    doNotDisrupt: false,
    localStorage: false,
    ...overrides,
  };
}

let nodeSeq = 0;
export function node(overrides: Partial<NodeInfo> = {}): NodeInfo {
  nodeSeq += 1;
  const id = nodeSeq.toString(16).padStart(8, '0');
  return {
    name: `ip-10-0-0-${nodeSeq}`,
    instanceId: `i-${id}`,
    zone: 'eu-west-1a',
    instanceType: 't3.medium',
    capacityType: 'on-demand',
    managed: true,
    // Its instance carries the cluster's tags: a worker SmartScale launched.
    smartscaleInstance: true,
    ready: true,
    unschedulable: false,
    createdAt: ago(3600),
    allocatable: { cpuMillis: 1800, memoryBytes: 3584 * MiB },
    pods: [],
    ...overrides,
  };
}

export function pending(
  count: number,
  pendingForSeconds = 60,
  overrides: Partial<PendingPod> = {},
): PendingPod[] {
  return Array.from({ length: count }, (_, i) => ({
    namespace: 'shop',
    name: `web-pending-${i}`,
    cpuMillis: 500,
    memoryBytes: 512 * MiB,
    pendingSince: ago(pendingForSeconds),
    ...overrides,
  }));
}

export interface Load {
  cpu?: number;
  cpuUpMin?: number;
  cpuDownMax?: number;
  memory?: number;
  memoryDownMax?: number;
}

export function snapshot(
  nodes: NodeInfo[],
  pendingPods: PendingPod[] = [],
  load: Load | 'unavailable' = {},
): ClusterSnapshot {
  if (load === 'unavailable') {
    return {
      takenAt: NOW.toISOString(),
      nodes,
      pendingPods,
      utilization: { available: false, reason: 'prometheus timed out' },
    };
  }
  const cpu = load.cpu ?? 0.5;
  const memory = load.memory ?? 0.4;
  return {
    takenAt: NOW.toISOString(),
    nodes,
    pendingPods,
    utilization: {
      available: true,
      cpu: { now: cpu, upWindowMin: load.cpuUpMin ?? cpu, downWindowMax: load.cpuDownMax ?? cpu },
      memory: { now: memory, downWindowMax: load.memoryDownMax ?? memory },
    },
  };
}

export function state(overrides: Partial<ClusterState> = {}): ClusterState {
  return { ...emptyClusterState('test'), ...overrides };
}

export const nodes = (n: number, overrides: Partial<NodeInfo> = {}) =>
  Array.from({ length: n }, () => node(overrides));

/** Nodes with no room left for another 500m pod (three web pods each). */
export const fullNodes = (n: number, overrides: Partial<NodeInfo> = {}) =>
  Array.from({ length: n }, () => node({ pods: [pod(), pod(), pod()], ...overrides }));
