import {
  type AnyEnvelope,
  type ClusterSnapshot,
  type ClusterState,
  createMessage,
  type Envelope,
  emptyClusterState,
  followUp,
  type NodeInfo,
} from '@smartscale/contracts';
import { type AuditRecord, defaultConfig as config } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { type DeciderPorts, evaluateSample, recordOutcome } from '../../decide-action.js';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const CLUSTER = 'shop';
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

const worker = (i: number): NodeInfo => ({
  name: `n${i}`,
  instanceId: `i-0000000${i}`,
  managed: true,
  ready: true,
  unschedulable: false,
  createdAt: ago(7200).toISOString(),
  allocatable: { cpuMillis: 1800, memoryBytes: 3_758_096_384 },
  pods: [],
});

/** Five idle workers: a fresh look at this drains one. */
const idle = (takenAt: Date): ClusterSnapshot => ({
  takenAt: takenAt.toISOString(),
  nodes: [1, 2, 3, 4, 5].map(worker),
  pendingPods: [],
  utilization: {
    available: true,
    cpu: { now: 0.05, upWindowMin: 0.05, downWindowMax: 0.05 },
    memory: { now: 0.1, downWindowMax: 0.1 },
  },
});

const sampleAt = (takenAt: Date, actionId?: string): Envelope<'MetricsSampled'> =>
  createMessage(
    'MetricsSampled',
    idle(takenAt),
    actionId ? { clusterId: CLUSTER, actionId } : { clusterId: CLUSTER },
    takenAt,
  );

function portsOver(initial: ClusterState, now: Date) {
  let state = initial;
  const published: AnyEnvelope[] = [];
  const audited: AuditRecord[] = [];
  const ports: DeciderPorts<string> = {
    config,
    now: () => now,
    acquireLock: async () => 'lease',
    releaseLock: async () => {},
    loadState: async () => state,
    // EC2 tags every worker of these samples as ours.
    smartscaleInstances: async () => new Set(Array.from({ length: 10 }, (_, i) => `i-0000000${i}`)),
    saveState: async (next) => {
      state = { ...next, version: next.version + 1 };
    },
    audit: async (record) => {
      audited.push(record);
    },
    publish: async (message) => {
      published.push(message);
    },
  };
  return { ports, published, audited, state: () => state };
}

describe('evaluateSample', () => {
  it('passes over an hour-old sample: no lock, no audit, no announcement, nothing recorded', async () => {
    const { ports, published, audited, state } = portsOver(emptyClusterState(CLUSTER), NOW);
    let locks = 0;
    const counted: DeciderPorts<string> = {
      ...ports,
      acquireLock: async (clusterId) => {
        locks += 1;
        return ports.acquireLock(clusterId);
      },
    };
    const sample = sampleAt(ago(3600));
    const result = await evaluateSample(sample, counted);
    expect(result).toEqual({ status: 'skipped-stale', actionId: sample.actionId });
    expect(locks).toBe(0);
    expect(published).toEqual([]);
    expect(audited).toEqual([]);
    expect(state().inFlight).toEqual([]);
  });

  it('sends a recorded action again for a sample redelivered stale after a crash', async () => {
    const { ports, published, state } = portsOver(emptyClusterState(CLUSTER), NOW);
    const sample = sampleAt(NOW);
    expect(await evaluateSample(sample, ports)).toMatchObject({ decision: { kind: 'scale-down' } });
    expect(state().inFlight.map((a) => a.actionId)).toEqual([sample.actionId]);
    const later: DeciderPorts<string> = {
      ...ports,
      now: () => new Date(NOW.getTime() + (config.samples.maxAgeSeconds + 5) * 1000),
    };
    expect(await evaluateSample(sample, later)).toMatchObject({ status: 'replayed' });
    expect(published.filter((m) => m.type === 'DrainNode')).toHaveLength(2);
  });

  it('asks EC2 nothing for a sample it holds as stale, and asks for a fresh one', async () => {
    const { ports } = portsOver(emptyClusterState(CLUSTER), NOW);
    let reads = 0;
    const counted: DeciderPorts<string> = {
      ...ports,
      smartscaleInstances: async () => {
        reads += 1;
        return ports.smartscaleInstances();
      },
    };
    const stale = await evaluateSample(sampleAt(ago(config.samples.maxAgeSeconds + 1)), counted);
    expect(stale).toMatchObject({ status: 'skipped-stale' });
    expect(reads).toBe(0);
    await evaluateSample(sampleAt(NOW), counted);
    expect(reads).toBe(1);
  });

  it('acknowledges a sample redelivered after its action closed, deciding nothing', async () => {
    const { ports, published, audited, state } = portsOver(emptyClusterState(CLUSTER), NOW);
    const sample = sampleAt(NOW);
    const first = await evaluateSample(sample, ports);
    expect(first).toMatchObject({ decision: { kind: 'scale-down' } });
    const drain = published.find((m) => m.type === 'DrainNode');
    expect(drain?.actionId).toBe(sample.actionId);
    if (drain?.type !== 'DrainNode') throw new Error('expected a DrainNode');
    const { nodeName, instanceId } = drain.payload;
    const removed = followUp(drain, 'NodeRemoved', { nodeName, instanceId, terminated: true }, NOW);
    expect(await recordOutcome(removed, ports)).toBe(true);
    expect(state().inFlight).toEqual([]);
    published.length = 0;
    audited.length = 0;
    const again = await evaluateSample(sample, ports);
    expect(again).toEqual({ status: 'already-closed', actionId: sample.actionId });
    expect(published).toEqual([]);
    expect(audited).toEqual([]);
  });

  it('re-sends a recorded drain with its own deadline, and not at all past that deadline', async () => {
    const decidedAt = ago(300);
    const early = portsOver(emptyClusterState(CLUSTER), decidedAt);
    const sample = sampleAt(decidedAt);
    await evaluateSample(sample, early.ports);
    const recorded = early.state();
    const deadline = new Date(
      decidedAt.getTime() + config.scaleDown.drainTimeoutSeconds * 1000,
    ).toISOString();

    // Redelivered within the drain timeout (a crash before publishing): same drain, same deadline.
    const within = portsOver(recorded, NOW);
    expect(await evaluateSample(sample, within.ports)).toMatchObject({ status: 'replayed' });
    expect(within.published).toMatchObject([{ type: 'DrainNode', payload: { deadline } }]);

    // Redelivered past the drain deadline but before the ledger expires it: no new drain.
    const late = portsOver(recorded, new Date(Date.parse(deadline) + 60_000));
    expect(await evaluateSample(sample, late.ports)).toMatchObject({ status: 'replayed' });
    expect(late.published).toEqual([]);

    // Redelivered after the ledger gave up on it: closed, nothing decided or sent.
    const expired = portsOver(recorded, new Date(Date.parse(deadline) + 3600_000));
    expect(await evaluateSample(sample, expired.ports)).toMatchObject({ status: 'already-closed' });
    expect(expired.published).toEqual([]);
    expect(expired.audited.map((a) => a.kind)).toEqual(['expired']);
    expect(expired.state().closed).toMatchObject([{ actionId: sample.actionId, end: 'expired' }]);
  });
});
