import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { StoredAuditEntry } from '@smartscale/aws';
import { stableUlid } from '@smartscale/contracts';
import { CORDONED_BY_ANNOTATION, DRAIN_DEADLINE_ANNOTATION } from '@smartscale/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopKubelet } from '../../packages/local/src/soak/cluster-faults.ts';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import {
  auditSince,
  deploy,
  deployment,
  eventually,
  FAST_CONFIG,
  liveInstances,
  readyNodeNames,
  runningPods,
  startTestStack,
} from './support.ts';

// The world changes behind SmartScale's back: a worker terminated from the
// console leaves a NotReady Node that K3s never deletes (no cloud
// controller), which held every scale-down for good; a drain that died
// after its cordon left the node cordoned for good. The reconciler, every
// 2 s here, must find both from what it observes and repair them.
const GRACE_SECONDS = 3;
const RECONCILE_MS = 2000;
const CONFIG = {
  ...FAST_CONFIG,
  workers: { min: 1, max: 6 },
  // Node repair after 6 s NotReady here (30 minutes by default).
  reconcile: { graceSeconds: GRACE_SECONDS, repairNotReadySeconds: 6 },
};
let stack: LocalStack;
const ns = 'shop';

beforeAll(async () => {
  stack = await startTestStack('recon', { config: CONFIG, reconcileIntervalMs: RECONCILE_MS });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const repairs = (entries: readonly StoredAuditEntry[], code: string) =>
  entries.filter(
    (e) => e.kind === 'repair' && (e.detail as { repair: { code: string } }).repair.code === code,
  );

/**
 * The `code` repairs audited since `since`, once there is one: the
 * reconciler audits a repair after making it, so the world can show the
 * repair a moment before the audit does.
 */
const auditedRepairs = (since: Date, code: string) =>
  eventually(`a ${code} repair in the audit`, async () => {
    const found = repairs(await auditSince(stack, since), code);
    return found.length > 0 && found;
  });

describe('the reconciler', () => {
  it('deletes the Node of a worker terminated behind its back, and the next scale-down proceeds', async () => {
    // 8 pods of 500m, 3 to a worker: 3 workers, so one is left to scale
    // down after the terminated one is gone.
    await deploy(stack, ns, deployment('web', 8));
    const workers = await eventually(
      '8 pods Running on at least 3 Ready workers',
      async () => {
        const ready = await readyNodeNames(stack);
        const live = await liveInstances(stack);
        return (
          (await runningPods(stack, ns)) === 8 &&
          ready.length >= 3 &&
          ready.length === live.length &&
          ready
        );
      },
      60_000,
    );

    // The sale ends, and someone terminates a worker from the console.
    const victim = workers[0] as string;
    const since = new Date();
    await stack.admin
      .makeApiClient(AppsV1Api)
      .replaceNamespacedDeployment({ name: 'web', namespace: ns, body: deployment('web', 0) });
    await stack.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim] }));

    const core = stack.admin.makeApiClient(CoreV1Api);
    await eventually(
      `the ghost Node ${victim} deleted`,
      async () => !(await core.listNode()).items.some((n) => n.metadata?.name === victim),
      30_000,
    );
    const ghost = await auditedRepairs(since, 'ghost-node');
    expect(
      ghost.map((e) => (e.detail as { repair: { nodeName: string } }).repair.nodeName),
    ).toEqual([victim]);
    expect(ghost[0]?.summary).toBe(`repair ghost-node: ${victim}`);

    // With the ghost gone nothing is NotReady: idle workers go, down to min 1.
    await eventually(
      'down to min 1 worker',
      async () =>
        (await readyNodeNames(stack)).length === 1 && (await liveInstances(stack)).length === 1,
      75_000,
    );
    const entries = await auditSince(stack, since);
    const down = entries.filter((e) => e.kind === 'decision' && e.summary.startsWith('scale down'));
    expect(down.length).toBeGreaterThanOrEqual(1);
    expect(Date.parse(down[0]?.at ?? '')).toBeGreaterThan(Date.parse(ghost[0]?.at ?? ''));
    // The repair happened once, whatever the number of passes since.
    expect(repairs(entries, 'ghost-node')).toHaveLength(1);
  });

  it("lifts a cordon whose drain died (its action is over), and never a person's own", async () => {
    await deploy(stack, 'cordons', deployment('keep', 4));
    const [mine, theirs] = await eventually(
      'two Ready workers',
      async () => {
        const ready = await readyNodeNames(stack);
        return ready.length >= 2 && ready;
      },
      60_000,
    );
    const core = stack.admin.makeApiClient(CoreV1Api);
    const since = new Date();
    const deadAction = stableUlid(new Date(Date.now() - 60_000), 'a drain that died');
    const cordon = (name: string, annotations: Record<string, string> | null) =>
      core.patchNode(
        {
          name,
          body: { metadata: { annotations: annotations ?? {} }, spec: { unschedulable: true } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    // A drain that cordoned, then died into the DLQ: its deadline has passed.
    await cordon(mine as string, {
      [CORDONED_BY_ANNOTATION]: deadAction,
      [DRAIN_DEADLINE_ANNOTATION]: new Date(Date.now() - 10_000).toISOString(),
    });
    await cordon(theirs as string, null);

    await eventually(
      `the stale cordon of ${mine} lifted`,
      async () => {
        const node = await core.readNode({ name: mine as string });
        return node.spec?.unschedulable !== true && node;
      },
      20_000,
    ).then((node) => {
      expect(node.metadata?.annotations?.[CORDONED_BY_ANNOTATION]).toBeUndefined();
    });
    const lifted = await auditedRepairs(since, 'stale-cordon');
    expect(lifted).toHaveLength(1);
    expect(lifted[0]?.detail).toMatchObject({
      repair: { nodeName: mine, repairedActionId: deadAction },
    });
    // A person's cordon (no mark) stays, pass after pass.
    await new Promise((r) => setTimeout(r, 3 * RECONCILE_MS));
    expect((await core.readNode({ name: theirs as string })).spec?.unschedulable).toBe(true);
  });

  it('replaces a worker whose kubelet died for good: terminated, its Node deleted, once', async () => {
    const core = stack.admin.makeApiClient(CoreV1Api);
    const victim = await eventually(
      'a Ready, schedulable worker',
      async () => {
        const ready = new Set(await readyNodeNames(stack));
        return (await core.listNode()).items
          .map((n) =>
            ready.has(n.metadata?.name ?? '') && !n.spec?.unschedulable
              ? n.metadata?.name
              : undefined,
          )
          .find((n) => n !== undefined);
      },
      60_000,
    );
    const since = new Date();
    // Its kubelet stops and never comes back: Ready goes Unknown, the instance runs on.
    await stopKubelet(stack.admin, victim);

    await eventually(
      `${victim} terminated and its Node deleted`,
      async () =>
        !(await liveInstances(stack)).includes(victim) &&
        !(await core.listNode()).items.some((n) => n.metadata?.name === victim),
      60_000,
    );
    const repaired = await auditedRepairs(since, 'unhealthy-node');
    const entries = await auditSince(stack, since);
    expect(
      repaired.map((e) => (e.detail as { repair: { nodeName: string } }).repair.nodeName),
    ).toEqual([victim]);
    // Not before its 6 s: a blip is left to come back. The API server keeps
    // lastTransitionTime to the second, so up to 1 s of it may be cut off.
    expect(Date.parse(repaired[0]?.at ?? '') - since.getTime()).toBeGreaterThanOrEqual(5_000);
    expect(repaired[0]?.summary).toBe(`repair unhealthy-node: ${victim}`);
    // Nothing else was taken for it.
    expect(repairs(entries, 'ghost-node')).toEqual([]);
  });
});
