import {
  type AnyEnvelope,
  type ClusterSnapshot,
  type ClusterState,
  createMessage,
  type Decision,
  emptyClusterState,
  followUp,
  type NodeInfo,
  type PendingPod,
} from '@smartscale/contracts';
import { defaultConfig as config } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { type DeciderPorts, evaluateSample, recordOutcome } from '../../decide-action.js';

const T0 = new Date('2026-11-22T12:00:00.000Z');
const CLUSTER = 'shop';
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const worker = (i: number): NodeInfo => ({
  name: `n${i}`,
  instanceId: `i-0000000${i}`,
  managed: true,
  ready: true,
  unschedulable: false,
  createdAt: at(-120).toISOString(),
  allocatable: { cpuMillis: 1800, memoryBytes: 3_758_096_384 },
  pods: [],
});

const idle = (takenAt: Date, pendingPods: PendingPod[] = []): ClusterSnapshot => ({
  takenAt: takenAt.toISOString(),
  nodes: [1, 2, 3, 4, 5].map(worker),
  pendingPods,
  utilization: {
    available: true,
    cpu: { now: 0.05, upWindowMin: 0.05, downWindowMax: 0.05 },
    memory: { now: 0.1, downWindowMax: 0.1 },
  },
});

const sample = (snapshot: ClusterSnapshot) =>
  createMessage('MetricsSampled', snapshot, { clusterId: CLUSTER }, new Date(snapshot.takenAt));

/** A decider whose clock the test moves, over an in-memory state, lock and topics. */
function decider(initial: ClusterState) {
  let state = initial;
  let now = T0;
  let saves = 0;
  const published: AnyEnvelope[] = [];
  const ports: DeciderPorts<string> = {
    config,
    now: () => now,
    acquireLock: async () => 'lease',
    releaseLock: async () => {},
    loadState: async () => state,
    // EC2 tags every worker of these samples as ours.
    smartscaleInstances: async () => new Set(Array.from({ length: 10 }, (_, i) => `i-0000000${i}`)),
    saveState: async (next) => {
      saves += 1;
      state = { ...next, version: next.version + 1 };
    },
    audit: async () => {},
    publish: async (message) => {
      published.push(message);
    },
  };
  const decisionMade = () => {
    const made = published.findLast((m) => m.type === 'DecisionMade');
    if (made?.type !== 'DecisionMade') throw new Error('no DecisionMade published');
    return made.payload.decision as Decision;
  };
  return {
    ports,
    published,
    decisionMade,
    state: () => state,
    saves: () => saves,
    setNow: (t: Date) => {
      now = t;
    },
  };
}

describe('decider: a failed drain is remembered and its node left alone (issue #16)', () => {
  it('records the ActionFailed with the pod that stopped it and picks another node next time', async () => {
    const d = decider(emptyClusterState(CLUSTER));
    await evaluateSample(sample(idle(T0)), d.ports);
    const drain = d.published.find((m) => m.type === 'DrainNode');
    if (drain?.type !== 'DrainNode') throw new Error('expected a DrainNode');
    const victim = drain.payload.nodeName;

    d.setNow(at(1));
    const refusal = {
      nodeName: victim,
      code: 'pdb-allows-no-disruption' as const,
      pod: 'shop/api-0',
      pdb: 'shop/api',
    };
    const failed = followUp(
      drain,
      'ActionFailed',
      { step: 'drain', reason: 'pod must not be moved', detail: 'x', refusal },
      at(1),
    );
    expect(await recordOutcome(failed, d.ports)).toBe(true);
    expect(d.state().failedVictims).toMatchObject([
      { nodeName: victim, actionId: drain.actionId, refusal },
    ]);

    d.setNow(at(2));
    d.published.length = 0;
    await evaluateSample(sample(idle(at(2))), d.ports);
    const next = d.decisionMade();
    expect(next.kind).toBe('scale-down');
    if (next.kind !== 'scale-down') return;
    expect(next.victim.nodeName).not.toBe(victim);
    expect(next.reasons.flatMap((r) => r.refusals ?? [])).toContainEqual({
      nodeName: victim,
      code: 'recently-failed-drain',
      pod: 'shop/api-0',
      pdb: 'shop/api',
      until: new Date(
        at(1).getTime() + config.scaleDown.failedVictimBackoffSeconds * 1000,
      ).toISOString(),
    });
  });
});

describe('decider: news is marked once and remembered (issue #16)', () => {
  const gpuPod: PendingPod = {
    namespace: 'ml',
    name: 'train-1',
    owner: 'Job/train',
    cpuMillis: 100,
    memoryBytes: 1,
    pendingSince: at(-10).toISOString(),
    nodeSelector: { 'nvidia.com/gpu.present': 'true' },
  };

  it('an unhostable owner is announced on the first sample only; later samples write nothing for it', async () => {
    // At min workers (5 of min 5), so every sample holds: only the news could change the state.
    const atMin = { ...config, workers: { ...config.workers, min: 5 } };
    const d = decider(emptyClusterState(CLUSTER));
    const ports = { ...d.ports, config: atMin };

    await evaluateSample(sample(idle(T0, [gpuPod])), ports);
    const first = d.decisionMade();
    expect(first.kind).toBe('hold');
    expect(first.reasons.find((r) => r.code === 'pending-unhostable')?.announce).toBe(true);
    expect(d.state().announced.map((a) => a.key)).toEqual([
      'unhostable:ml/Job/train:node-selector-unsatisfiable',
    ]);
    const saves = d.saves();

    d.setNow(at(1));
    await evaluateSample(sample(idle(at(1), [gpuPod, { ...gpuPod, name: 'train-2' }])), ports);
    const second = d.decisionMade();
    expect(second.reasons.find((r) => r.code === 'pending-unhostable')?.announce).toBeUndefined();
    expect(d.saves()).toBe(saves);
  });
});
