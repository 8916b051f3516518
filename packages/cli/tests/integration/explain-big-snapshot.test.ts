import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  AuditLog,
  type AwsClients,
  Publisher,
  type QueueRunner,
  SampleClaims,
} from '@smartscale/aws';
import { eventually, motoClients } from '@smartscale/aws/test-support';
import { type ClusterSnapshot, createMessage, type PodInfo } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/commands/explain.js';
import { deployForTest, smartscale, startConsumer, type TestDeployment } from './support.ts';

// Issue #17: at 1,000 workers even the compact snapshot is far over
// DynamoDB's 400 KB item limit, so the decider audits a summary and the
// sample's S3 object instead, and `smartscale explain` reads the object back
// with the operator's credentials. The real decider handler consumes the
// sample from its queue on moto; the CLI runs as the operator would.
const VISIBILITY_SECONDS = 5;
const MiB = 1024 ** 2;

let clients: AwsClients;
let deployment: TestDeployment;
let runner: QueueRunner;
let sampler: Publisher;

beforeAll(async () => {
  clients = motoClients();
  deployment = await deployForTest(clients, 'explain-big', {
    queueVisibilitySeconds: VISIBILITY_SECONDS,
    config: { workers: { min: 2, max: 1200 } },
  });
  ({ runner } = await startConsumer(clients, deployment, 'decider', VISIBILITY_SECONDS));
  // The sampler's publisher: the claim check to the deployment's bucket.
  sampler = new Publisher({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArns: deployment.resources.topics,
    sampleClaims: new SampleClaims(clients.s3, deployment.resources.buckets.samples),
  });
});
afterAll(async () => {
  await runner?.stop();
  clients?.destroy();
});

const pod = (name: string, ownerName: string): PodInfo => ({
  namespace: 'shop',
  name,
  cpuMillis: 100,
  memoryBytes: 128 * MiB,
  ownerKind: 'ReplicaSet',
  ownerName,
  ownerReplicas: 6000,
  hasPdb: false,
  doNotDisrupt: false,
  localStorage: false,
});

/** 1,000 workers x 30 pods of 5 workloads and 200 pending pods: the size issue #17 names. */
function thousandWorkers(now: Date): ClusterSnapshot {
  return {
    takenAt: now.toISOString(),
    nodes: Array.from({ length: 1000 }, (_, n) => ({
      name: `ip-10-2-${Math.floor(n / 200)}-${n % 200}.ec2.internal`,
      instanceId: `i-${(n + 1).toString(16).padStart(17, '0')}`,
      zone: n % 2 === 0 ? 'us-east-1a' : 'us-east-1b',
      instanceType: 'm6i.xlarge',
      capacityType: n % 3 === 0 ? 'spot' : 'on-demand',
      managed: true,
      ready: true,
      unschedulable: false,
      createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
      allocatable: { cpuMillis: 3920, memoryBytes: 15_000 * MiB },
      pods: Array.from({ length: 30 }, (_, p) =>
        pod(`shop-${p % 5}-6c8f9-${n}-${p}`, `shop-${p % 5}-6c8f9`),
      ),
    })),
    pendingPods: Array.from({ length: 200 }, (_, i) => ({
      namespace: 'shop',
      name: `checkout-6c8f9-${i}`,
      // More than the 920m each worker has left, less than a new t3.medium offers (1800m).
      cpuMillis: 1500,
      memoryBytes: 512 * MiB,
      pendingSince: new Date(now.getTime() - 120_000).toISOString(),
    })),
    utilization: {
      available: true,
      cpu: { now: 0.62, upWindowMin: 0.6, downWindowMax: 0.65 },
      memory: { now: 0.41, downWindowMax: 0.45 },
    },
  };
}

async function explain(actionId: string, ...flags: string[]) {
  return smartscale('explain', actionId, ...flags, '--resources', deployment.resourcesFile);
}

describe('a decision on a snapshot too big for its audit item', () => {
  const message = createMessage(
    'MetricsSampled',
    thousandWorkers(new Date()),
    { clusterId: 'c-explain-big' },
    new Date(),
  );
  const audit = () =>
    new AuditLog({ documents: clients.documents, tableName: deployment.resources.tables.audit });

  it('is audited with a summary and the S3 key; explain reads the snapshot from S3', async () => {
    await sampler.publishSample(message);
    let detail: Record<string, unknown> = {};
    await eventually(
      async () => {
        const entry = (await audit().byAction(message.actionId)).find((e) => e.kind === 'decision');
        detail = (entry?.detail ?? {}) as Record<string, unknown>;
        return entry !== undefined;
      },
      30_000,
      `the audited decision on ${message.actionId}`,
    );
    const ref = detail.snapshotRef as { key: string; sha256: string; bytes: number };
    const summary = detail.snapshotSummary as Record<string, number>;
    expect(detail).not.toHaveProperty('snapshot');
    expect(ref.key).toBe(`samples/c-explain-big/${message.actionId}.json`);
    expect(ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    // What the audit item could not have held: the old inline write was refused by DynamoDB.
    expect(summary.compactBytes).toBeGreaterThan(400 * 1024);
    expect(summary).toMatchObject({ workers: 1000, readyWorkers: 1000, pendingPods: 200 });
    expect(summary.cpu).toBeCloseTo(0.62);
    console.info(
      `1,000 x 30 + 200 pending: compact snapshot ${summary.compactBytes} bytes, S3 object ${ref.bytes} bytes`,
    );

    const run = await explain(message.actionId, '--json');
    expect(run.code, run.stderr).toBe(0);
    const x = JSON.parse(run.stdout) as Explanation;
    expect(x.decision?.kind).toBe('scale-up');
    expect(x.snapshotRef?.key).toBe(ref.key);
    expect(x.snapshotNote).toBeNull();
    expect(x.snapshot?.nodes).toHaveLength(1000);
    expect(x.snapshot?.nodes.reduce((n, node) => n + node.pods.length, 0)).toBe(30_000);
    expect(x.snapshot?.pendingPods).toHaveLength(200);

    const text = await explain(message.actionId);
    expect(text.stdout).toMatch(/nodes\s+1000 \(1000 ready\)/);
    expect(text.stdout).toMatch(/pending pods\s+200/);
  });

  it('explain says why when the object is gone (expired), and still explains the decision', async () => {
    await clients.s3.send(
      new DeleteObjectCommand({
        Bucket: deployment.resources.buckets.samples,
        Key: `samples/c-explain-big/${message.actionId}.json`,
      }),
    );
    const run = await explain(message.actionId);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/scale up by/);
    expect(run.stdout).toMatch(
      new RegExp(
        `snapshot: not shown \\(sample claim samples/c-explain-big/${message.actionId}\\.json: no such object`,
      ),
    );
  });
});
