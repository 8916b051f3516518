import { ClusterLock, type Lease, type Publisher, type QueueRunner } from '@smartscale/aws';
import { eventually, motoClients, receiveAll } from '@smartscale/aws/test-support';
import { type AnyEnvelope, createMessage, type NodeInfo } from '@smartscale/contracts';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Explanation,
  type HistoryLine,
  queueDepth,
  resolveDeployment,
  type StatusReport,
} from '../../src/index.js';
import { deployForTest, smartscale, startConsumer, type TestDeployment } from './support.ts';

const GiB = 1024 ** 3;
const clients = motoClients();
let deployment: TestDeployment;
let runner: QueueRunner;
let publisher: Publisher;

/** A full worker: 1.8 of its 2 CPUs requested, so no pending pod fits on it. */
function fullWorker(name: string, now: Date): NodeInfo {
  return {
    name,
    instanceId: `i-${name.padStart(17, '0')}`,
    zone: 'us-east-1a',
    instanceType: 't3.medium',
    capacityType: 'on-demand',
    managed: true,
    ready: true,
    unschedulable: false,
    createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
    allocatable: { cpuMillis: 2000, memoryBytes: 4 * GiB },
    pods: [
      {
        namespace: 'shop',
        name: `${name}-web`,
        ownerKind: 'ReplicaSet',
        ownerName: 'web',
        ownerReplicas: 4,
        cpuMillis: 1800,
        memoryBytes: 2 * GiB,
        hasPdb: true,
        doNotDisrupt: false,
        localStorage: false,
      },
    ],
  };
}

/** What the sampler would publish: two full workers and `pending` unschedulable pods for a minute. */
function sample(pending: number, now = new Date()): AnyEnvelope {
  return createMessage(
    'MetricsSampled',
    {
      takenAt: now.toISOString(),
      nodes: [fullWorker('worker-a', now), fullWorker('worker-b', now)],
      pendingPods: Array.from({ length: pending }, (_, i) => ({
        namespace: 'shop',
        name: `web-pending-${i}`,
        cpuMillis: 1500,
        memoryBytes: GiB,
        pendingSince: new Date(now.getTime() - 60_000).toISOString(),
      })),
      utilization: {
        available: true,
        cpu: { now: 0.9, upWindowMin: 0.5, downWindowMax: 0.9 },
        memory: { now: 0.5, downWindowMax: 0.5 },
      },
    },
    { clusterId: deployment.resources.clusterId },
    now,
  );
}

beforeAll(async () => {
  deployment = await deployForTest(clients, 'ops', { queueVisibilitySeconds: 10 });
  // The real decider handler, on the state store, lock and audit log in moto.
  ({ runner, publisher } = await startConsumer(clients, deployment, 'decider', 10));
});

afterAll(async () => {
  await runner?.stop();
  clients.destroy();
});

/** Publishes a sample and waits for the decider's audited decision on it. */
async function decided(message: AnyEnvelope): Promise<Explanation> {
  await publisher.publish(message);
  let explanation: Explanation | undefined;
  await eventually(
    async () => {
      const run = await smartscale(
        'explain',
        message.actionId,
        '--json',
        '--resources',
        deployment.resourcesFile,
      );
      if (run.code !== 0) return false;
      explanation = JSON.parse(run.stdout) as Explanation;
      return explanation.decision !== null;
    },
    20_000,
    `the decision on sample ${message.actionId}`,
  );
  return explanation as Explanation;
}

function cli(...args: string[]) {
  return smartscale(...args, '--resources', deployment.resourcesFile);
}

describe('smartscale on a live decider', () => {
  it('pause stops actions, resume restarts them; explain shows the reasons; status and history tell the story', async () => {
    const provisioner = deployment.resources.queues.provisioner.url;

    const paused = await cli('pause', '--reason', 'incident 42: bad AMI', '--by', 'alice');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/^paused by alice at .*: incident 42: bad AMI$/m);
    const again = await cli('pause', '--reason', 'second thoughts', '--by', 'bob');
    expect(again.stdout).toMatch(/already paused by alice/);

    const status = JSON.parse((await cli('status', '--json')).stdout) as StatusReport;
    expect(status.paused).toMatchObject({ by: 'alice', reason: 'incident 42: bad AMI' });

    const held = await decided(sample(2));
    expect(held.decision?.kind).toBe('hold');
    expect(held.decision?.reasons.map((r) => r.code)).toContain('paused');
    const heldText = await cli('explain', held.actionId);
    expect(heldText.stdout).toMatch(/why it held:/);
    expect(heldText.stdout).toMatch(/^paused\s+.*alice.*incident 42/m);
    expect(heldText.stdout).toMatch(/^pending pods\s+2$/m);
    // Paused: no ScaleUp reached the provisioner's queue.
    expect((await queueDepth(clients.sqs, provisioner)).visible).toBe(0);

    const resumed = await cli('resume', '--by', 'alice');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^resumed/);

    const acted = await decided(sample(2));
    expect(acted.decision?.kind).toBe('scale-up');
    expect(acted.decision?.reasons.map((r) => r.code)).toContain('pending-pods');
    const [command] = await receiveAll(clients.sqs, provisioner, { count: 1, timeoutMs: 10_000 });
    const scaleUp = JSON.parse(command?.Body ?? '{}') as AnyEnvelope;
    expect(scaleUp).toMatchObject({ type: 'ScaleUp', actionId: acted.actionId });

    // `latest` is that decision; the text names its reasons and snapshot.
    const latest = await cli('explain', 'latest');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(new RegExp(`^action\\s+${acted.actionId}$`, 'm'));
    expect(latest.stdout).toMatch(/^decision\s+scale up by \d+$/m);
    expect(latest.stdout).toMatch(/^pending-pods\s+\S/m);
    expect(latest.stdout).toMatch(/^cpu\s+90%$/m);
    expect(latest.stdout).toMatch(/timeline:\n.*\n.*decision\s+scale up by/);

    const after = JSON.parse((await cli('status', '--json')).stdout) as StatusReport;
    expect(after.paused).toBeNull();
    expect(after.inFlight.map((a) => [a.actionId, a.kind])).toEqual([[acted.actionId, 'scale-up']]);
    expect(after.workers).toMatchObject({
      source: 'last-decision',
      ready: 2,
      joining: after.inFlight[0]?.pendingJoins,
      draining: 0,
    });
    expect(after.cooldowns.scaleUp.until).not.toBeNull();
    expect(after.lock.held).toBe(false);
    expect(after.queues.map((q) => q.queue)).toContain('decider');
    const statusText = await cli('status');
    expect(statusText.stdout).toMatch(
      /^workers\s+2 ready, 0 not ready, 0 cordoned, \d+ joining, 0 draining/m,
    );
    expect(statusText.stdout).toContain(acted.actionId);

    const history = JSON.parse(
      (await cli('history', '--since', '10m', '--json')).stdout,
    ) as HistoryLine[];
    expect(
      history.map((l) => [
        l.actionId === acted.actionId || l.actionId === held.actionId ? l.actionId : l.kind,
        l.summary,
      ]),
    ).toEqual([
      ['operator', 'paused by alice: incident 42: bad AMI'],
      [held.actionId, 'hold'],
      ['operator', 'resumed by alice'],
      [acted.actionId, expect.stringMatching(/^scale up by \d+$/)],
    ]);
    const withoutHolds = await cli('history', '--since', '10m', '--hide-holds');
    expect(withoutHolds.stdout).not.toContain(held.actionId);
    expect(withoutHolds.stdout).toContain(acted.actionId);
  });

  it('explain of an action the audit log does not know fails naming it', async () => {
    const unknown = ulid();
    const run = await cli('explain', unknown);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`nothing for action ${unknown}`);
  });

  it('pause waits for the lock the decider holds, then writes', async () => {
    const d = resolveDeployment({ resourcesFile: deployment.resourcesFile });
    try {
      const lease = (await d.lock.acquire(d.clusterId, 'decider-test')) as Lease;
      expect(lease).not.toBeNull();
      setTimeout(() => void d.lock.release(d.clusterId, lease), 500);
      const run = await cli('pause', '--reason', 'maintenance', '--by', 'carol');
      expect(run.code).toBe(0);
      expect((await d.state.load(d.clusterId)).paused?.by).toBe('carol');
      expect((await cli('resume')).code).toBe(0);
      expect((await d.state.load(d.clusterId)).paused).toBeNull();
    } finally {
      d.close();
    }
  });

  it('resume waits out the lease of an owner that died holding the lock', async () => {
    const d = resolveDeployment({ resourcesFile: deployment.resourcesFile });
    try {
      expect((await cli('pause', '--reason', 'maintenance', '--by', 'dave')).code).toBe(0);
      // A holder that dies with 12 s of lease left: longer than the 50 tries
      // (~8 s) after which resume used to give up, leaving the cluster paused.
      const dying = new ClusterLock({
        documents: d.clients.documents,
        tableName: d.resources.tables.state,
        leaseMs: 12_000,
      });
      expect(await dying.acquire(d.clusterId, 'died-holding-it')).not.toBeNull();
      const run = await cli('resume', '--by', 'dave');
      expect(run.code, run.stderr).toBe(0);
      expect((await d.state.load(d.clusterId)).paused).toBeNull();
      expect((await d.lock.holder(d.clusterId))?.live).toBe(false);
    } finally {
      d.close();
    }
  });
});
