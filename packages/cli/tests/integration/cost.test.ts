import { AuditLog, type Publisher, type QueueRunner } from '@smartscale/aws';
import { eventually, motoClients } from '@smartscale/aws/test-support';
import { createMessage, followUp, type NodeInfo } from '@smartscale/contracts';
import type { SpendAccount } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costCommand } from '../../src/commands/cost.js';
import { deployForTest, startConsumer, type TestDeployment } from './support.ts';

const clients = motoClients();
let deployment: TestDeployment;
let runner: QueueRunner;
let publisher: Publisher;

beforeAll(async () => {
  deployment = await deployForTest(clients, 'cost', { queueVisibilitySeconds: 10 });
  ({ runner, publisher } = await startConsumer(clients, deployment, 'decider', 10));
});

afterAll(async () => {
  await runner?.stop();
  clients.destroy();
});

async function cost(...args: string[]) {
  const out: string[] = [];
  const code = await costCommand.run([...args, '--resources', deployment.resourcesFile], {
    out: (t) => out.push(t),
    err: (t) => out.push(t),
  });
  return { code, stdout: out.join('\n') };
}

function worker(name: string, capacityType: 'on-demand' | 'spot', now: Date): NodeInfo {
  return {
    name,
    instanceId: `i-${name.padStart(17, '0')}`,
    zone: 'us-east-1a',
    instanceType: 't3.medium',
    capacityType,
    managed: true,
    ready: true,
    unschedulable: false,
    createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
    // No room left for the pending pods below.
    allocatable: { cpuMillis: 200, memoryBytes: 1024 ** 3 },
    pods: [],
  };
}

describe('smartscale cost on moto', () => {
  it('accounts a recorded history exactly: spend by capacity type and the saving against the static fleet', async () => {
    // Three hours of history in the audit table: 2 on-demand workers, a spot
    // worker launched two hours ago and removed one hour ago.
    const audit = new AuditLog({
      documents: clients.documents,
      tableName: deployment.resources.tables.audit,
    });
    const now = Date.now();
    const ago = (hours: number) => new Date(now - hours * 3_600_000).toISOString();
    const clusterId = deployment.resources.clusterId;
    const nodes = [
      worker('a', 'on-demand', new Date(now)),
      worker('b', 'on-demand', new Date(now)),
    ];
    await audit.record({
      clusterId,
      actionId: 'past-1',
      at: ago(3),
      kind: 'decision',
      summary: 'hold',
      detail: { decision: { kind: 'hold', reasons: [] }, snapshot: { nodes } },
    });
    await audit.record({
      clusterId,
      actionId: 'past-2',
      at: ago(2),
      kind: 'outcome',
      summary: 'InstancesLaunched',
      detail: {
        payload: {
          requested: 1,
          instances: [{ instanceId: 'i-0000000000000spot', capacityType: 'spot' }],
        },
      },
    });
    await audit.record({
      clusterId,
      actionId: 'past-3',
      at: ago(1),
      kind: 'outcome',
      summary: 'NodeRemoved',
      detail: { payload: { nodeName: 's', instanceId: 'i-0000000000000spot', terminated: true } },
    });

    const run = await cost('--since', ago(3), '--baseline', '5', '--json');
    expect(run.code).toBe(0);
    const account = JSON.parse(run.stdout) as SpendAccount;
    expect(account.coveredFrom).toBe(ago(3));
    // The account runs to the command's own now, a moment after ours.
    expect(account.byCapacityType['on-demand'].nodeHours).toBeCloseTo(6, 2);
    expect(account.byCapacityType.spot.nodeHours).toBeCloseTo(1, 5);
    expect(account.usd).toBeCloseTo(6 * 0.0416 + 0.0125, 3);
    expect(account.baseline.nodeHours).toBeCloseTo(15, 2);
    expect(account.savingUsd).toBeCloseTo(15 * 0.0416 - (6 * 0.0416 + 0.0125), 3);

    const text = await cost('--since', ago(3), '--baseline', '5');
    expect(text.stdout).toMatch(/^on-demand\s+6\.00\s+0\.2496$/m);
    expect(text.stdout).toMatch(/^spot\s+1\.00\s+0\.0125$/m);
    expect(text.stdout).toMatch(
      /^static fleet of 5 on-demand workers: 15\.00 node-hours, 0\.6240 USD$/m,
    );
    expect(text.stdout).toMatch(/^saving: 0\.3619 USD \(58\.0 %\)$/m);

    // A later window starts from the fleet the last earlier sample saw.
    const late = JSON.parse((await cost('--since', ago(0.5), '--json')).stdout) as SpendAccount;
    expect(late.byCapacityType['on-demand'].nodeHours).toBeCloseTo(1, 2);
    expect(late.byCapacityType.spot.nodeHours).toBe(0);
    expect(late.baseline.nodes).toBe(10); // workers.max of the default configuration
  });

  it('the live decider records the cost effect of its actions, and cost bills what was launched', async () => {
    const now = new Date();
    const sample = createMessage(
      'MetricsSampled',
      {
        takenAt: now.toISOString(),
        nodes: [worker('live-a', 'on-demand', now), worker('live-b', 'on-demand', now)],
        pendingPods: Array.from({ length: 2 }, (_, i) => ({
          namespace: 'shop',
          name: `web-pending-${i}`,
          cpuMillis: 1000,
          memoryBytes: 1024 ** 3,
          pendingSince: new Date(now.getTime() - 60_000).toISOString(),
        })),
        utilization: {
          available: true,
          cpu: { now: 0.5, upWindowMin: 0.5, downWindowMax: 0.5 },
          memory: { now: 0.5, downWindowMax: 0.5 },
        },
      },
      { clusterId: deployment.resources.clusterId },
      now,
    );
    await publisher.publish(sample);
    const audit = new AuditLog({
      documents: clients.documents,
      tableName: deployment.resources.tables.audit,
    });
    let entries = await audit.byAction(sample.actionId);
    await eventually(
      async () => {
        entries = await audit.byAction(sample.actionId);
        return entries.some((e) => e.kind === 'decision');
      },
      20_000,
      `the decision on ${sample.actionId}`,
    );
    const decision = entries.find((e) => e.kind === 'decision');
    expect(decision?.summary).toBe('scale up by 2');
    // Two on-demand workers are the on-demand base; at a 50 % spot share both new ones are spot.
    expect(decision?.detail.costEffect).toEqual({
      onDemandNodes: 0,
      spotNodes: 2,
      onDemandHourlyUsd: 0,
      spotHourlyUsd: 0.025,
      hourlyUsd: 0.025,
    });

    const launched = followUp(
      sample,
      'InstancesLaunched',
      {
        requested: 2,
        instances: [
          {
            instanceId: 'i-0feed00000000001',
            zone: 'us-east-1a',
            capacityType: 'spot',
            instanceType: 't3.medium',
          },
          {
            instanceId: 'i-0feed00000000002',
            zone: 'us-east-1b',
            capacityType: 'on-demand',
            instanceType: 't3.medium',
          },
        ],
      },
      new Date(),
    );
    await publisher.publish(launched);
    await eventually(
      async () => {
        entries = await audit.byAction(sample.actionId);
        return entries.some((e) => e.summary === 'InstancesLaunched');
      },
      20_000,
      'the audited launch',
    );
    const outcome = entries.find((e) => e.summary === 'InstancesLaunched');
    expect(outcome?.detail.costEffect).toMatchObject({
      spotNodes: 1,
      onDemandNodes: 1,
      hourlyUsd: 0.0541,
    });

    const live = JSON.parse(
      (await cost('--since', now.toISOString(), '--json')).stdout,
    ) as SpendAccount;
    // The first test's last sample (two on-demand workers) is the fleet at --since; the
    // decision's sample replaced them with two others; the launch added one of each type.
    expect(live.coveredFrom).toBe(now.toISOString());
    const seconds = (from: string) => (Date.parse(live.to) - Date.parse(from)) / 1000;
    const launchAt = outcome?.at as string;
    expect(live.byCapacityType.spot.nodeHours * 3600).toBeCloseTo(seconds(launchAt), 3);
    expect(live.byCapacityType['on-demand'].nodeHours * 3600).toBeCloseTo(
      2 * seconds(now.toISOString()) + seconds(launchAt),
      3,
    );
  });
});
