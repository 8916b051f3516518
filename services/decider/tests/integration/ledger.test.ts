import {
  AuditLog,
  type AwsClients,
  ClusterLock,
  ClusterStateStore,
  type Lease,
} from '@smartscale/aws';
import { freshTopology, motoClients } from '@smartscale/aws/test-support';
import {
  type AnyEnvelope,
  type ClusterSnapshot,
  createMessage,
  type Envelope,
  followUp,
  type NodeInfo,
} from '@smartscale/contracts';
import { defaultConfig as config } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../../packages/local/src/aws/bootstrap.js';
import { type DeciderPorts, evaluateSample, recordOutcome } from '../../decide-action.js';

let clients: AwsClients;
let topology: AppliedTopology;
let lock: ClusterLock;
let store: ClusterStateStore;
let audit: AuditLog;

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'decider-ledger');
  const table = topology.tables.state.name;
  lock = new ClusterLock({ documents: clients.documents, tableName: table, leaseMs: 30_000 });
  store = new ClusterStateStore({ documents: clients.documents, tableName: table });
  audit = new AuditLog({ documents: clients.documents, tableName: topology.tables.audit.name });
});
afterAll(() => clients.destroy());

/** The decider's ports on the real lock, state store and audit log; publishing is recorded. */
function deciderOn(now: () => Date = () => new Date()) {
  const published: AnyEnvelope[] = [];
  const ports: DeciderPorts<Lease> = {
    config,
    now,
    acquireLock: (clusterId) => lock.acquire(clusterId),
    releaseLock: async (clusterId, lease) => {
      await lock.release(clusterId, lease);
    },
    loadState: (clusterId) => store.load(clusterId),
    // EC2 tags every worker of these samples as ours.
    smartscaleInstances: async () => new Set(Array.from({ length: 10 }, (_, i) => `i-0000000${i}`)),
    saveState: async (state, lease) => {
      await store.save(state, lease);
    },
    audit: async (record) => {
      await audit.record(record);
    },
    publish: async (message) => {
      published.push(message);
    },
  };
  return { ports, published };
}

let clusterSeq = 0;
const newCluster = () => `${topology.prefix}-c${++clusterSeq}`;

const worker = (i: number, createdAt: Date): NodeInfo => ({
  name: `n${i}`,
  instanceId: `i-0000000${i}`,
  managed: true,
  ready: true,
  unschedulable: false,
  createdAt: new Date(createdAt.getTime() - 7200_000).toISOString(),
  allocatable: { cpuMillis: 1800, memoryBytes: 3_758_096_384 },
  pods: [],
});
const snapshot = (nodes: number, takenAt: Date): ClusterSnapshot => ({
  takenAt: takenAt.toISOString(),
  nodes: Array.from({ length: nodes }, (_, i) => worker(i + 1, takenAt)),
  pendingPods: [],
  utilization: {
    available: true,
    cpu: { now: 0.05, upWindowMin: 0.05, downWindowMax: 0.05 },
    memory: { now: 0.1, downWindowMax: 0.1 },
  },
});
const sample = (clusterId: string, nodes: number, takenAt = new Date()) =>
  createMessage('MetricsSampled', snapshot(nodes, takenAt), { clusterId }, takenAt);

const launched = (cause: AnyEnvelope, ids: string[]) =>
  followUp(
    cause,
    'InstancesLaunched',
    {
      requested: ids.length,
      instances: ids.map((instanceId) => ({
        instanceId,
        zone: 'us-east-1a',
        capacityType: 'on-demand' as const,
        instanceType: 't3.medium',
      })),
    },
    new Date(),
  );
const joined = (cause: AnyEnvelope, instanceId: string) =>
  followUp(
    cause,
    'NodeJoined',
    { instanceId, nodeName: `node-${instanceId}`, joinSeconds: 80 },
    new Date(),
  );
const joinFailed = (cause: AnyEnvelope, instanceId: string) =>
  followUp(
    cause,
    'JoinFailed',
    { instanceId, reason: 'not Ready in time', terminated: true },
    new Date(),
  );

describe('decider ledger on DynamoDB (moto)', () => {
  it('closes a scale-up once when its outcomes arrive out of order and twice; nothing phantom is left', async () => {
    const clusterId = newCluster();
    const { ports, published } = deciderOn();
    const first = sample(clusterId, 0);
    expect(await evaluateSample(first, ports)).toMatchObject({
      decision: { kind: 'scale-up', count: 2 },
    });
    const scaleUp = published.find((m) => m.type === 'ScaleUp') as Envelope<'ScaleUp'>;
    expect(scaleUp.actionId).toBe(first.actionId);

    // Joins first (the launch report went round a DLQ), then the report, then everything again.
    const outcomes = [
      joined(scaleUp, 'i-0aaaaaaaa'),
      joinFailed(scaleUp, 'i-0bbbbbbbb'),
      launched(scaleUp, ['i-0aaaaaaaa', 'i-0bbbbbbbb']),
    ];
    for (const event of [...outcomes, ...outcomes.reverse()])
      expect(await recordOutcome(event, ports)).toBe(true);

    const state = await store.load(clusterId);
    expect(state.inFlight).toEqual([]);
    expect(state.closed).toMatchObject([
      { actionId: first.actionId, kind: 'scale-up', end: 'completed' },
    ]);
    const entries = await audit.byAction(first.actionId);
    expect(entries.filter((e) => e.kind === 'outcome')).toHaveLength(6);
    expect(entries.filter((e) => e.detail.ledgerChanged === true)).toHaveLength(2);
  });

  it('does not open a replace action for a launch report repeated after close, but tracks a new replacement', async () => {
    const clusterId = newCluster();
    const { ports, published } = deciderOn();
    await evaluateSample(sample(clusterId, 0), ports);
    const scaleUp = published.find((m) => m.type === 'ScaleUp') as Envelope<'ScaleUp'>;
    const report = launched(scaleUp, ['i-0aaaaaaaa', 'i-0bbbbbbbb']);
    await recordOutcome(report, ports);
    await recordOutcome(joined(scaleUp, 'i-0aaaaaaaa'), ports);
    await recordOutcome(joined(scaleUp, 'i-0bbbbbbbb'), ports);
    await recordOutcome(report, ports);
    expect((await store.load(clusterId)).inFlight).toEqual([]);

    // A spot replacement: its own action, never decided here; its join came first.
    const replace = createMessage(
      'ReplaceCapacity',
      { replacedInstanceId: 'i-0cccccccc', reason: 'spot-interruption' },
      { clusterId },
      new Date(),
    );
    await recordOutcome(launched(replace, ['i-0dddddddd']), ports);
    expect((await store.load(clusterId)).inFlight).toMatchObject([
      {
        actionId: replace.actionId,
        kind: 'replace',
        pendingJoins: 1,
        instanceIds: ['i-0dddddddd'],
      },
    ]);
    await recordOutcome(joined(replace, 'i-0dddddddd'), ports);
    await recordOutcome(launched(replace, ['i-0dddddddd']), ports);
    expect((await store.load(clusterId)).inFlight).toEqual([]);
  });

  it('acknowledges a sample redelivered after its action closed without deciding again', async () => {
    const clusterId = newCluster();
    const { ports, published } = deciderOn();
    const first = sample(clusterId, 0);
    await evaluateSample(first, ports);
    const scaleUp = published.find((m) => m.type === 'ScaleUp') as Envelope<'ScaleUp'>;
    await recordOutcome(launched(scaleUp, ['i-0aaaaaaaa', 'i-0bbbbbbbb']), ports);
    await recordOutcome(joined(scaleUp, 'i-0aaaaaaaa'), ports);
    await recordOutcome(joined(scaleUp, 'i-0bbbbbbbb'), ports);
    published.length = 0;

    expect(await evaluateSample(first, ports)).toEqual({
      status: 'already-closed',
      actionId: first.actionId,
    });
    expect(published).toEqual([]);
    const decisions = (await audit.byAction(first.actionId)).filter((e) => e.kind === 'decision');
    expect(decisions).toHaveLength(1);
    expect((await store.load(clusterId)).inFlight).toEqual([]);
  });

  it('holds an hour-old sample of an idle fleet as stale instead of draining a node', async () => {
    const clusterId = newCluster();
    const { ports, published } = deciderOn();
    const fresh = sample(clusterId, 5);
    const stale = sample(clusterId, 5, new Date(Date.now() - 3600_000));
    const result = await evaluateSample(stale, ports);
    // Passed over (a decider behind its queue reaches the fresh samples):
    // nothing published, audited or recorded.
    expect(result).toEqual({ status: 'skipped-stale', actionId: stale.actionId });
    expect(published).toEqual([]);
    expect(await audit.byAction(stale.actionId)).toEqual([]);
    expect((await store.load(clusterId)).inFlight).toEqual([]);
    // The same cluster seen fresh is drained: the hold was the sample's age alone.
    expect(await evaluateSample(fresh, ports)).toMatchObject({ decision: { kind: 'scale-down' } });
  });
});
