import { CoreV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { createMessage } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import {
  auditOf,
  deploy,
  deployment,
  eventually,
  liveInstances,
  publisherOf,
  readyNodeNames,
  startTestStack,
} from './support.ts';

// A PodDisruptionBudget that allows no disruption holds the only pod of a
// worker being drained for a rebalance recommendation. The drainer must
// cordon, retry the eviction by delayed redelivery, and at the deadline
// uncordon, report ActionFailed and leave the instance running. (A
// scale-down drain of this node aborts at once instead, naming the budget:
// its first pass re-checks the pods, see disruption.test.ts.)
let stack: LocalStack;
const drainerLines: string[] = [];
const ns = 'guarded';
// Passes at about 0, 5 and 15 s (5 s, doubling): 25 s leaves the third
// refusal 10 s of slack on a loaded machine before the deadline ends it.
const DRAIN_SECONDS = 25;

beforeAll(async () => {
  stack = await startTestStack('pdb', {
    onServiceLog: (service, line) => {
      if (service === 'drainer') drainerLines.push(line);
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('a drain blocked by a PodDisruptionBudget', () => {
  it('retries the eviction, then uncordons at the deadline and fails the action', async () => {
    const core = stack.admin.makeApiClient(CoreV1Api);
    // min 2 workers come up on their own.
    const [nodeName] = await eventually(
      'a Ready worker',
      async () => {
        const ready = await readyNodeNames(stack);
        return ready.length > 0 && ready;
      },
      60_000,
    );
    if (!nodeName) throw new Error('no Ready worker');
    const instanceId = nodeName;
    expect(await liveInstances(stack)).toContain(instanceId);

    await core.createNamespace({ body: { metadata: { name: ns } } });
    await stack.admin.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'keep-one' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
      },
    });
    await deploy(stack, ns, deployment('guarded', 1, nodeName));
    const podName = await eventually('the guarded pod Running on the worker', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      return pods.find((p) => p.status?.phase === 'Running' && p.spec?.nodeName === nodeName)
        ?.metadata?.name;
    });
    await eventually('the budget allowing no disruption', async () => {
      const pdb = await stack.admin
        .makeApiClient(PolicyV1Api)
        .readNamespacedPodDisruptionBudget({ name: 'keep-one', namespace: ns });
      return pdb.status?.currentHealthy === 1 && pdb.status.disruptionsAllowed === 0;
    });

    const deadline = new Date(Date.now() + DRAIN_SECONDS * 1000);
    const command = createMessage(
      'DrainNode',
      {
        nodeName,
        instanceId,
        deadline: deadline.toISOString(),
        // Not a scale-down: the instance is doomed anyway, so the drain moves what it can.
        reason: 'rebalance',
        attempt: 0,
      },
      { clusterId: stack.clusterId },
      new Date(),
    );
    await publisherOf(stack).publish(command);

    let sawCordoned = false;
    const audit = auditOf(stack);
    const failed = await eventually(
      'ActionFailed in the audit',
      async () => {
        const node = await core.readNode({ name: nodeName });
        if (node.spec?.unschedulable) sawCordoned = true;
        return (await audit.byAction(command.actionId)).find((e) => e.summary === 'ActionFailed');
      },
      DRAIN_SECONDS * 1000 + 30_000,
    );
    expect(sawCordoned).toBe(true);
    expect(Date.parse(failed.at)).toBeGreaterThanOrEqual(deadline.getTime());
    expect(failed.detail).toMatchObject({
      payload: {
        step: 'drain',
        detail: `drain of ${nodeName} timed out: pod ${ns}/${podName} is held by PDB ${ns}/keep-one (0 disruptions allowed)`,
      },
    });
    expect(JSON.stringify(failed.detail)).toContain('drain not finished by the deadline');

    // Several eviction attempts, each refused by the budget, spread by delayed redelivery.
    // The drainer logs its abort after publishing ActionFailed, which the
    // decider audits in its own process: the line may come a moment later.
    await eventually('the drainer logged its abort', async () =>
      drainerLines.some((l) => l.includes('"drain aborted"') && l.includes(command.actionId)),
    );
    const ours = drainerLines
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as {
            message: string;
            actionId?: string;
            attempt?: number;
            timestamp: string;
          },
      )
      .filter((l) => l.actionId === command.actionId);
    const refusals = ours.filter((l) => l.message === 'eviction refused by a PodDisruptionBudget');
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    const retries = ours.filter((l) => l.message === 'drain retrying');
    expect(retries.map((l) => l.attempt)).toEqual(retries.map((_, i) => i));
    const times = refusals.map((l) => Date.parse(l.timestamp));
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThan(2000);
    expect(ours.some((l) => l.message === 'drain aborted')).toBe(true);

    // Given back to the scheduler, still running, the pod untouched.
    const node = await core.readNode({ name: nodeName });
    expect(node.spec?.unschedulable ?? false).toBe(false);
    expect(await liveInstances(stack)).toContain(instanceId);
    const pod = await core.readNamespacedPod({ name: podName, namespace: ns });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.metadata?.deletionTimestamp).toBeUndefined();
    expect((await audit.byAction(command.actionId)).some((e) => e.summary === 'NodeRemoved')).toBe(
      false,
    );
  });
});
