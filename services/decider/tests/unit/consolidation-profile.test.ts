import {
  type AnyEnvelope,
  type ClusterSnapshot,
  createMessage,
  emptyClusterState,
  type NodeInfo,
} from '@smartscale/contracts';
import { type Config, parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { type DeciderPorts, evaluateSample } from '../../decide-action.js';

// The deployed decider runs requests-based consolidation when its
// configuration names the profile: the sampler's peak of requests travels in
// MetricsSampled and core's decide() acts on it.

const NOW = new Date('2026-11-22T12:00:00.000Z');
const MiB = 2 ** 20;

const worker = (i: number): NodeInfo => ({
  name: `n${i}`,
  instanceId: `i-0000000${i}`,
  managed: true,
  ready: true,
  unschedulable: false,
  createdAt: new Date(NOW.getTime() - 7_200_000).toISOString(),
  allocatable: { cpuMillis: 1800, memoryBytes: 3584 * MiB },
  pods: [
    {
      namespace: 'shop',
      name: `web-${i}`,
      cpuMillis: 500,
      memoryBytes: 512 * MiB,
      ownerKind: 'ReplicaSet',
      ownerName: 'web-abc',
      ownerReplicas: 4,
      hasPdb: true,
      doNotDisrupt: false,
      localStorage: false,
    },
  ],
});

/** Four workers with one busy pod each: CPU 40 %, above the 30 % rule; 3 workers hold the 4 pods. */
const snapshot: ClusterSnapshot = {
  takenAt: NOW.toISOString(),
  nodes: [1, 2, 3, 4].map(worker),
  pendingPods: [],
  utilization: {
    available: true,
    cpu: { now: 0.4, upWindowMin: 0.4, downWindowMax: 0.4 },
    memory: { now: 0.3, downWindowMax: 0.3 },
  },
  requestsWindowMax: { cpuMillis: 2000, memoryBytes: 2048 * MiB, windowSeconds: 600 },
};

async function decideWith(config: Config) {
  const published: AnyEnvelope[] = [];
  let state = emptyClusterState('shop');
  const ports: DeciderPorts<string> = {
    config,
    now: () => NOW,
    acquireLock: async () => 'lease',
    releaseLock: async () => {},
    loadState: async () => state,
    smartscaleInstances: async () => new Set(snapshot.nodes.map((n) => n.instanceId ?? '')),
    saveState: async (next) => {
      state = { ...next, version: next.version + 1 };
    },
    audit: async () => {},
    publish: async (message) => {
      published.push(message);
    },
  };
  const sample = createMessage('MetricsSampled', snapshot, { clusterId: 'shop' }, NOW);
  const result = await evaluateSample(sample, ports);
  return { result, published };
}

describe('the decider with scaleDown.profile "consolidation"', () => {
  it('drains a node the CPU rule keeps, saying why by requests', async () => {
    const config = parseConfig({ scaleDown: { profile: 'consolidation' } });
    const { result, published } = await decideWith(config);
    expect(result).toMatchObject({ status: 'decided', decision: { kind: 'scale-down' } });
    expect(published.map((m) => m.type)).toEqual(['DrainNode', 'DecisionMade']);
    const decision = result.status === 'decided' ? result.decision : null;
    expect(decision?.reasons.map((r) => r.code)).toEqual(['requests-low', 'victim-chosen']);
  });

  it('holds on the same sample under the default seed thresholds', async () => {
    const { result, published } = await decideWith(parseConfig({}));
    expect(result).toMatchObject({ status: 'decided', decision: { kind: 'hold' } });
    expect(published.map((m) => m.type)).toEqual(['DecisionMade']);
  });
});
