import type { ClusterSnapshot, NodeInfo, PodInfo } from '@smartscale/contracts';
import { emptyClusterState } from '@smartscale/contracts';
import { decide, parseConfig, pickVictim, planScaleUp } from '@smartscale/core';

const MiB = 1024 ** 2;
const NOW = new Date('2026-01-05T12:00:00.000Z');

/** One timing of the decision engine at scale (median of several runs). */
export interface EngineTiming {
  readonly name: string;
  readonly medianMs: number;
  readonly runs: number;
  readonly result: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function time(name: string, runs: number, fn: () => string): EngineTiming {
  fn();
  const ms: number[] = [];
  let result = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    ms.push(performance.now() - t0);
  }
  return { name, medianMs: Math.round(median(ms) * 100) / 100, runs, result };
}

function pod(i: number): PodInfo {
  return {
    namespace: 'shop',
    name: `web-${i}`,
    cpuMillis: 250 + (i % 4) * 100,
    memoryBytes: (256 + (i % 5) * 128) * MiB,
    ownerKind: 'ReplicaSet',
    ownerName: 'web',
    ownerReplicas: 3000,
    hasPdb: true,
    doNotDisrupt: false,
    localStorage: false,
  };
}

function nodes(count: number, podsEach: number): NodeInfo[] {
  return Array.from({ length: count }, (_, n) => ({
    name: `ip-10-0-${n >> 8}-${n & 255}`,
    instanceId: `i-${n.toString(16).padStart(17, '0')}`,
    zone: `eu-west-1${'abc'[n % 3]}`,
    instanceType: 't3.medium',
    capacityType: n % 2 ? 'spot' : 'on-demand',
    managed: true,
    smartscaleInstance: true,
    ready: true,
    unschedulable: false,
    createdAt: '2026-01-04T00:00:00.000Z',
    allocatable: { cpuMillis: 1800, memoryBytes: 3584 * MiB },
    pods: Array.from({ length: podsEach }, (_, k) => pod(n * podsEach + k)),
  }));
}

/**
 * Times the decision engine on a large cluster: planScaleUp for 5,000
 * pending pods next to 1,000 nodes, decide() scaling up for them, and
 * decide() scaling down 1,000 nodes (pickVictim included), plus pickVictim's
 * worst case where no node's pods fit elsewhere.
 */
export function benchEngine(runs = 7): EngineTiming[] {
  const config = parseConfig({ workers: { min: 2, max: 5000 }, scaleUp: { maxStep: 5000 } });
  const pendingPods = Array.from({ length: 5000 }, (_, i) => ({
    ...pod(i),
    name: `web-pending-${i}`,
    pendingSince: '2026-01-05T11:59:00.000Z',
  }));
  const lightNodes = nodes(1000, 2);
  const fullNodes = nodes(1000, 4);
  const state = emptyClusterState('bench');
  const idle = {
    available: true as const,
    cpu: { now: 0.1, upWindowMin: 0.1, downWindowMax: 0.12 },
    memory: { now: 0.2, downWindowMax: 0.22 },
  };
  const up: ClusterSnapshot = {
    takenAt: NOW.toISOString(),
    nodes: lightNodes,
    pendingPods,
    utilization: idle,
  };
  const down: ClusterSnapshot = { ...up, pendingPods: [] };
  return [
    time('planScaleUp: 5,000 pending pods, 1,000 nodes', runs, () => {
      const plan = planScaleUp({ pendingPods, currentWorkers: 1000, incomingWorkers: 0 }, config);
      return `${plan.nodesToAdd} nodes`;
    }),
    time('decide: scale-up for 5,000 pending pods on 1,000 nodes', runs, () => {
      const d = decide(up, state, config, NOW);
      return d.kind === 'scale-up' ? `scale-up ${d.count}` : d.kind;
    }),
    time('decide: scale-down on 1,000 nodes (pickVictim)', runs, () => {
      const d = decide(down, state, config, NOW);
      return d.kind === 'scale-down' ? `remove ${d.victim.nodeName}` : d.kind;
    }),
    time('pickVictim worst case: 1,000 full nodes, no victim fits', runs, () => {
      const c = pickVictim(fullNodes, config, NOW);
      return c.ok ? `remove ${c.node.name}` : c.reason;
    }),
  ];
}
