import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AuditLog,
  type AwsClients,
  ClusterLock,
  ClusterStateStore,
  type Lease,
  Publisher,
  SampleClaims,
} from '@smartscale/aws';
import { freshTopology, motoClients, receiveAll } from '@smartscale/aws/test-support';
import {
  type AnyEnvelope,
  type ClaimedSample,
  type ClusterSnapshot,
  createMessage,
  type PodInfo,
  parseDeliveredJson,
} from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../../packages/local/src/aws/bootstrap.js';
import { type DeciderPorts, evaluateClaimedSample } from '../../decide-action.js';

let clients: AwsClients;
let topology: AppliedTopology;
let publisher: Publisher;
let claims: SampleClaims;
let ports: DeciderPorts<Lease>;
const published: AnyEnvelope[] = [];
const bucket = `claims-${Date.now()}`;
const MiB = 1024 ** 2;
// Room above the 600 workers of the big sample, so its pending pods can scale it up.
const config = parseConfig({ workers: { min: 2, max: 1000 } });

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'decider-claims');
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  claims = new SampleClaims(clients.s3, bucket);
  publisher = new Publisher({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArns: {
      samples: topology.topics.samples.arn,
      commands: topology.topics.commands.arn,
      events: topology.topics.events.arn,
    },
    sampleClaims: claims,
  });
  const table = topology.tables.state.name;
  const lock = new ClusterLock({ documents: clients.documents, tableName: table, leaseMs: 30_000 });
  const store = new ClusterStateStore({ documents: clients.documents, tableName: table });
  const audit = new AuditLog({
    documents: clients.documents,
    tableName: topology.tables.audit.name,
  });
  ports = {
    config,
    now: () => new Date(),
    acquireLock: (clusterId) => lock.acquire(clusterId),
    releaseLock: async (clusterId, lease) => {
      await lock.release(clusterId, lease);
    },
    loadState: (clusterId) => store.load(clusterId),
    // EC2 tags every worker of the big sample as ours.
    smartscaleInstances: async () =>
      new Set(Array.from({ length: 600 }, (_, n) => `i-${(n + 1).toString(16).padStart(17, '0')}`)),
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
});
afterAll(() => clients.destroy());

const pod = (name: string, ownerName: string): PodInfo => ({
  namespace: 'shop',
  name,
  cpuMillis: 100,
  memoryBytes: 128 * MiB,
  ownerKind: 'ReplicaSet',
  ownerName,
  ownerReplicas: 3000,
  hasPdb: false,
  doNotDisrupt: false,
  localStorage: false,
});

/** 600 workers with 30 pods of 5 workloads each, and 3,000 pods pending for a minute: over 256 KB even compact. */
function bigSnapshot(now: Date): ClusterSnapshot {
  return {
    takenAt: now.toISOString(),
    nodes: Array.from({ length: 600 }, (_, n) => ({
      name: `ip-10-1-${Math.floor(n / 200)}-${n % 200}.ec2.internal`,
      instanceId: `i-${(n + 1).toString(16).padStart(17, '0')}`,
      zone: 'us-east-1a',
      instanceType: 'm6i.xlarge',
      capacityType: 'on-demand',
      managed: true,
      ready: true,
      unschedulable: false,
      createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
      allocatable: { cpuMillis: 3920, memoryBytes: 15_000 * MiB },
      pods: Array.from({ length: 30 }, (_, p) =>
        pod(`shop-${p % 5}-6c8f9-${n}-${p}`, `shop-${p % 5}-6c8f9`),
      ),
    })),
    pendingPods: Array.from({ length: 3000 }, (_, i) => ({
      namespace: 'shop',
      name: `checkout-6c8f9-${i}`,
      cpuMillis: 500,
      memoryBytes: 512 * MiB,
      pendingSince: new Date(now.getTime() - 60_000 - (i % 40) * 1000).toISOString(),
    })),
    utilization: {
      available: true,
      cpu: { now: 0.8, upWindowMin: 0.75, downWindowMax: 0.85 },
      memory: { now: 0.5, downWindowMax: 0.5 },
    },
  };
}

/** Publishes a big sample through SNS and returns what the decider's queue delivered. */
async function deliverBigSample(): Promise<{ claimed: ClaimedSample; fullBytes: number }> {
  const snapshot = bigSnapshot(new Date());
  const message = createMessage(
    'MetricsSampled',
    snapshot,
    { clusterId: `claims-${Date.now()}` },
    new Date(),
  );
  await publisher.publishSample(message);
  const [received] = await receiveAll(clients.sqs, topology.queues.decider.url, {
    count: 1,
    remove: true,
  });
  const delivered = parseDeliveredJson(received?.Body ?? '');
  if (!delivered.ok) throw delivered.error;
  if (delivered.value.kind !== 'claimed-sample') throw new Error('expected a claimed sample');
  return { claimed: delivered.value, fullBytes: Buffer.byteLength(JSON.stringify(message)) };
}

describe('samples over SNS limit travel by claim check through S3', () => {
  it('a snapshot over 256 KB is published, stored in S3 and decided', async () => {
    const { claimed, fullBytes } = await deliverBigSample();
    expect(fullBytes).toBeGreaterThan(256 * 1024);
    expect(claimed.claim.bytes).toBeGreaterThan(200 * 1024);
    expect(claimed.claim.workers).toBe(600);
    published.length = 0;
    const result = await evaluateClaimedSample(claimed, claims, ports);
    expect(result.status).toBe('decided');
    if (result.status !== 'decided') return;
    // 3,000 pending pods read back from S3 drive the scale-up.
    expect(result.decision.kind).toBe('scale-up');
    expect(result.decision.reasons.map((r) => r.code)).toContain('pending-pods');
    expect(published.map((m) => m.type)).toEqual(['ScaleUp', 'DecisionMade']);
  });

  it('an altered claim is held with sample-unreadable, naming the digest', async () => {
    const { claimed } = await deliverBigSample();
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: claimed.claim.key, Body: '{"tampered":true}' }),
    );
    published.length = 0;
    const result = await evaluateClaimedSample(claimed, claims, ports);
    expect(result.status === 'decided' && result.decision.kind).toBe('hold');
    if (result.status !== 'decided') return;
    expect(result.decision.reasons[0]?.code).toBe('sample-unreadable');
    expect(result.decision.reasons[0]?.message).toMatch(/differs from the claim's/);
    // The hold is announced like any decision, under the sample's action.
    expect(published.map((m) => [m.type, m.actionId])).toEqual([
      ['DecisionMade', claimed.header.actionId],
    ]);
  });

  it('a missing claim is held with sample-unreadable, naming the key', async () => {
    const { claimed } = await deliverBigSample();
    const gone = { ...claimed, claim: { ...claimed.claim, key: `${claimed.claim.key}.missing` } };
    const result = await evaluateClaimedSample(gone, claims, ports);
    expect(result.status === 'decided' && result.decision.reasons[0]?.code).toBe(
      'sample-unreadable',
    );
    if (result.status === 'decided')
      expect(result.decision.reasons[0]?.message).toMatch(/\.missing: no such object/);
  });
});
