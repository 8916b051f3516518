import { AppsV1Api, CoreV1Api, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import type { StoredAuditEntry } from '@smartscale/aws';
import { createMessage, type Decision } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import {
  auditOf,
  auditSince,
  deploy,
  deployment,
  eventually,
  liveInstances,
  publisherOf,
  readyNodeNames,
  startTestStack,
} from './support.ts';

// Which pods keep their node, on the real API server with kwok workers
// (issue #16): three idle workers, one holding a single replica under a
// `minAvailable: 1` budget, one holding a pod marked safe-to-evict "false",
// one holding only a mirror (static) pod; beside them a pending pod no new
// worker could ever host. The decider removes the mirror pod's node and
// only that one, names the budget and the annotation for the two it keeps,
// and launches nothing for the impossible pod.
let stack: LocalStack;
const ns = 'disruption';
/** The worker kept for its guarded pod, for the drain that follows. */
let guarded: string | undefined;

beforeAll(async () => {
  stack = await startTestStack('disrupt');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const decisionOf = (e: StoredAuditEntry) => (e.detail as { decision: Decision }).decision;
const isDecision = (e: StoredAuditEntry) => e.kind === 'decision';

/** A small pod pinned to `nodeName`, so three fit beside the filler on any worker. */
function pinned(name: string, nodeName: string, annotations: Record<string, string> = {}) {
  const body = deployment(name, 1, nodeName);
  const template = body.spec?.template;
  if (!template?.spec || !template.metadata) throw new Error('deployment without a template');
  template.metadata.annotations = annotations;
  const [container] = template.spec.containers;
  if (container) container.resources = { requests: { cpu: '100m', memory: '64Mi' } };
  return body;
}

describe('pods that keep their node, and pods that do not', () => {
  it('removes only the mirror pod’s node, names the PDB and safe-to-evict for the others, launches nothing for an impossible pod', async () => {
    const core = stack.admin.makeApiClient(CoreV1Api);
    const apps = stack.admin.makeApiClient(AppsV1Api);

    // Min 2 workers, then a filler of 7 pods of 500m (3 to a worker) brings a third.
    await deploy(stack, ns, deployment('filler', 7));
    const nodes = await eventually(
      'three Ready workers running the filler',
      async () => {
        const ready = await readyNodeNames(stack);
        const pods = (await core.listNamespacedPod({ namespace: ns })).items;
        const running = pods.filter((p) => p.status?.phase === 'Running').length;
        return ready.length === 3 && running === 7 && ready.sort();
      },
      90_000,
    );
    const [guardedNode, annotatedNode, mirrorNode] = nodes as [string, string, string];
    guarded = guardedNode;

    await stack.admin.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'keep-one' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
      },
    });
    await deploy(stack, ns, pinned('guarded', guardedNode));
    await deploy(
      stack,
      ns,
      pinned('pinned', annotatedNode, {
        'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false',
      }),
    );
    // A static pod's API copy: the kubelet would create it, bound and annotated.
    const mirror: V1Pod = {
      metadata: {
        name: `static-agent-${mirrorNode}`,
        annotations: { 'kubernetes.io/config.mirror': 'static-agent-hash' },
      },
      spec: {
        nodeName: mirrorNode,
        containers: [
          {
            name: 'agent',
            image: 'agent:1',
            resources: { requests: { cpu: '100m', memory: '64Mi' } },
          },
        ],
      },
    };
    await core.createNamespacedPod({ namespace: ns, body: mirror });
    // Wants a GPU node; workers are t3.medium with no such label: never hostable.
    const impossible: V1Pod = {
      metadata: { name: 'wants-gpu', labels: { app: 'wants-gpu' } },
      spec: {
        nodeSelector: { 'nvidia.com/gpu.present': 'true' },
        containers: [{ name: 'train', image: 'train:1' }],
      },
    };
    await core.createNamespacedPod({ namespace: ns, body: impossible });

    await eventually('the pinned pods Running and the budget allowing none', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      const running = (app: string) =>
        pods.some((p) => p.metadata?.labels?.app === app && p.status?.phase === 'Running');
      const pdb = await stack.admin
        .makeApiClient(PolicyV1Api)
        .readNamespacedPodDisruptionBudget({ name: 'keep-one', namespace: ns });
      return (
        running('guarded') &&
        running('pinned') &&
        pdb.status?.disruptionsAllowed === 0 &&
        pods.some(
          (p) => p.metadata?.name === mirror.metadata?.name && p.status?.phase === 'Running',
        )
      );
    });

    // The sale ends: the filler goes, every worker idles.
    const idleFrom = new Date();
    await apps.replaceNamespacedDeployment({
      name: 'filler',
      namespace: ns,
      body: deployment('filler', 0),
    });

    await eventually(
      'the mirror pod’s worker removed',
      async () => {
        if (!(await liveInstances(stack)).includes(mirrorNode)) return true;
        // Thrown, not returned: on timeout the message says what the decider last thought.
        const last = (await auditSince(stack, idleFrom)).filter(isDecision).at(-1);
        const reasons = last ? decisionOf(last).reasons : [];
        throw new Error(
          `last decision: ${last?.summary ?? 'none'} (${reasons.map((r) => `${r.code}: ${r.message}`).join('; ')})`,
        );
      },
      // About 30 s on a quiet machine; a loaded one (load 25 on 2 cores) took longer.
      120_000,
    );
    // Then the decider holds at min with the two pinned workers.
    const entries = await eventually('a hold at min after the removal', async () => {
      const all = await auditSince(stack, idleFrom);
      return (
        all.some((e) => isDecision(e) && decisionOf(e).reasons.some((r) => r.code === 'at-min')) &&
        all
      );
    });

    const downs = entries.filter((e) => isDecision(e) && decisionOf(e).kind === 'scale-down');
    expect(downs.map((e) => decisionOf(e))).toEqual([
      expect.objectContaining({ victim: expect.objectContaining({ nodeName: mirrorNode }) }),
    ]);
    // The decision says why not the other two: the budget by name, the annotation.
    const [down] = downs;
    const refusals = decisionOf(down as StoredAuditEntry).reasons.flatMap((r) => r.refusals ?? []);
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          nodeName: guardedNode,
          code: 'pdb-allows-no-disruption',
          pdb: `${ns}/keep-one`,
        }),
        expect.objectContaining({ nodeName: annotatedNode, code: 'safe-to-evict-false' }),
      ]),
    );
    // The impossible pod was reported, and neither launched a worker nor held the scale-down.
    expect(decisionOf(down as StoredAuditEntry).reasons.map((r) => r.code)).toContain(
      'pending-unhostable',
    );
    expect(entries.filter((e) => isDecision(e) && decisionOf(e).kind === 'scale-up')).toEqual([]);
    expect((await liveInstances(stack)).sort()).toEqual([guardedNode, annotatedNode].sort());
    const wantsGpu = await core.readNamespacedPod({ name: 'wants-gpu', namespace: ns });
    expect(wantsGpu.spec?.nodeName).toBeUndefined();

    // The kept workers were never cordoned, their pods never moved.
    for (const name of [guardedNode, annotatedNode]) {
      const node = await core.readNode({ name });
      expect(node.spec?.unschedulable ?? false).toBe(false);
    }
    const pods = (await core.listNamespacedPod({ namespace: ns })).items;
    expect(
      pods
        .filter((p) => ['guarded', 'pinned'].includes(p.metadata?.labels?.app ?? ''))
        .map((p) => [p.spec?.nodeName, p.metadata?.deletionTimestamp]),
    ).toEqual(
      expect.arrayContaining([
        [guardedNode, undefined],
        [annotatedNode, undefined],
      ]),
    );
  }, 240_000);

  it('a scale-down drain sent for the guarded worker anyway aborts at its first pass, naming the pod and the PDB', async () => {
    const nodeName = guarded;
    if (!nodeName) throw new Error('the first case did not get as far as the guarded worker');
    const core = stack.admin.makeApiClient(CoreV1Api);
    // As if the decider had chosen it from a sample taken before the budget tightened.
    const deadline = new Date(Date.now() + 60_000);
    const command = createMessage(
      'DrainNode',
      { nodeName, instanceId: nodeName, deadline: deadline.toISOString(), reason: 'scale-down' },
      { clusterId: stack.clusterId },
      new Date(),
    );
    await publisherOf(stack).publish(command);

    const failed = await eventually(
      'ActionFailed in the audit',
      async () =>
        (await auditOf(stack).byAction(command.actionId)).find((e) => e.summary === 'ActionFailed'),
      30_000,
    );
    // Long before the deadline: nothing was evicted and retried.
    expect(Date.parse(failed.at)).toBeLessThan(deadline.getTime() - 30_000);
    expect(failed.detail).toMatchObject({
      payload: {
        step: 'drain',
        refusal: { nodeName, code: 'pdb-allows-no-disruption', pdb: `${ns}/keep-one` },
      },
    });
    const node = await core.readNode({ name: nodeName });
    expect(node.spec?.unschedulable ?? false).toBe(false);
    const pods = (await core.listNamespacedPod({ namespace: ns })).items.filter(
      (p) => p.metadata?.labels?.app === 'guarded',
    );
    expect(pods.map((p) => [p.spec?.nodeName, p.metadata?.deletionTimestamp])).toEqual([
      [nodeName, undefined],
    ]);
    expect(await liveInstances(stack)).toContain(nodeName);
  });
});
