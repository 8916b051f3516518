import { createMessage } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { ClusterClient } from '@smartscale/k8s';
import { PrometheusClient } from '@smartscale/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import { takeSnapshot } from '../../services/sampler/take-snapshot.ts';
import { readPolicyUtilization } from '../../services/sampler/utilization.ts';
import {
  auditSince,
  deploy,
  deployment,
  eventually,
  FAST_CONFIG,
  liveInstances,
  publisherOf,
  runningPods,
  startTestStack,
} from './support.ts';

// Ten decider processes consume one queue, as ten concurrent Lambda
// invocations would. No sampler runs: the test takes one snapshot of the
// cluster (pods pending, no workers) and publishes it ten times at once, as
// ten samplers would. The cluster lock and the recorded in-flight action
// must turn that into exactly one scale-up and one set of launches.
const DECIDERS = 10;
let stack: LocalStack;
const deciderLines: { replica: number; line: string }[] = [];

beforeAll(async () => {
  stack = await startTestStack('race', {
    sampleIntervalMs: 60_000,
    services: ['decider', 'provisioner', 'join-verifier'],
    replicas: { decider: DECIDERS },
    onServiceLog: (service, line, replica) => {
      if (service === 'decider') deciderLines.push({ replica, line });
    },
  });
  await eventually(
    `all ${DECIDERS} deciders running`,
    async () =>
      new Set(deciderLines.filter((l) => l.line === 'decider: running').map((l) => l.replica))
        .size === DECIDERS,
    120_000,
  );
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

const ns = 'race';

describe('ten concurrent deciders', () => {
  it('turn ten copies of one sample into one action', async () => {
    await deploy(stack, ns, deployment('web', 4));

    // The snapshot a sampler would take, through the same adapters.
    const cluster = ClusterClient.fromKubeconfigFile(stack.cluster.autoscalerKubeconfig);
    const prometheus = new PrometheusClient({ baseUrl: stack.prometheus.url, timeoutMs: 5000 });
    await eventually('4 pods pending past the grace', async () => {
      const pending = await cluster.listPendingPods();
      const graceMs = FAST_CONFIG.scaleUp.pendingGraceSeconds * 1000;
      return (
        pending.length === 4 &&
        pending.every((p) => Date.now() - Date.parse(p.pendingSince) > graceMs)
      );
    });
    const snapshot = await takeSnapshot({
      clusterId: stack.clusterId,
      now: () => new Date(),
      listNodes: () => cluster.listWorkerNodes(),
      listPendingPods: () => cluster.listPendingPods(),
      // The windows the local runtime gives the sampler.
      readUtilization: (workers) =>
        readPolicyUtilization(
          prometheus,
          parseConfig(FAST_CONFIG),
          { rateWindow: '5s', step: '1s', nodeLabel: 'instance' },
          workers,
        ),
      publish: async () => {},
    });
    expect(snapshot.nodes).toHaveLength(0);

    const samples = Array.from({ length: DECIDERS }, () =>
      createMessage('MetricsSampled', snapshot, { clusterId: stack.clusterId }, new Date()),
    );
    const publisher = publisherOf(stack);
    await Promise.all(samples.map((s) => publisher.publish(s)));
    const ids = new Set(samples.map((s) => s.actionId));

    // Every copy is handled once: decided under the lock, or left because
    // another decider held it.
    const handled = await eventually(
      'every sample handled',
      async () => {
        const byAction = new Map<string, { replica: number; outcome: string }>();
        for (const { replica, line } of deciderLines) {
          const entry = parseLine(line);
          if (!entry?.actionId || !ids.has(entry.actionId)) continue;
          if (/^(decision: |sample not evaluated: )/.test(entry.message))
            byAction.set(entry.actionId, { replica, outcome: entry.message });
        }
        return byAction.size === DECIDERS && byAction;
      },
      60_000,
    );
    const replicas = new Set([...handled.values()].map((h) => h.replica));
    expect(replicas.size).toBeGreaterThan(1);

    const decisions = (await auditSince(stack)).filter(
      (e) => e.kind === 'decision' && ids.has(e.actionId),
    );
    const ups = decisions.filter((e) => e.summary.startsWith('scale up'));
    expect(ups).toHaveLength(1);
    const winner = ups[0];
    if (!winner) throw new Error('no scale-up decision');
    // 4 pods of 500m, 3 to a node: 2 workers (also min).
    expect(winner.summary).toBe('scale up by 2');
    const evaluated = [...handled.values()].filter((h) => h.outcome.startsWith('decision: '));
    expect(decisions).toHaveLength(evaluated.length);
    for (const hold of decisions.filter((e) => e !== winner)) {
      expect(hold.summary).toBe('hold');
      expect(JSON.stringify(hold.detail)).toContain('pending-covered-by-in-flight');
    }

    await eventually(
      '4 web pods Running on the new workers',
      async () => (await runningPods(stack, ns)) === 4,
      60_000,
    );
    const all = await liveInstances(stack);
    expect(all).toHaveLength(2);
    expect((await liveInstances(stack, winner.actionId)).sort()).toEqual(all.sort());
  });
});

function parseLine(line: string): { message: string; actionId?: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { message: string; actionId?: string };
  } catch {
    return undefined;
  }
}
