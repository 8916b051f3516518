import { AppsV1Api } from '@kubernetes/client-node';
import type { StoredAuditEntry } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// Load drops after a flash sale: the decider removes the surplus one node at
// a time, each drain finished before the next starts, and waits the
// scale-down cooldown between them. skipCooldownWhenSurplus is off here:
// with it on (the default) an idle fleet sheds one node per drain without
// waiting, which core's tests cover; this file checks the cooldown itself.
const CONFIG = {
  ...FAST_CONFIG,
  scaleDown: { ...FAST_CONFIG.scaleDown, sustainSeconds: 5, skipCooldownWhenSurplus: false },
};
const COOLDOWN_MS = CONFIG.scaleDown.cooldownSeconds * 1000;
let stack: LocalStack;
const ns = 'shop';

beforeAll(async () => {
  stack = await startTestStack('down', { config: CONFIG });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const reasonCodes = (e: StoredAuditEntry) =>
  (e.detail as { decision: { reasons: { code: string }[] } }).decision.reasons.map((r) => r.code);

describe('load drops', () => {
  it('scales down one node at a time, the cooldown apart, down to min', async () => {
    await deploy(stack, ns, deployment('web', 12));
    const peak = await eventually(
      '12 pods Running and every launched worker Ready',
      async () => {
        const running = await runningPods(stack, ns);
        const ready = await readyNodeNames(stack);
        const live = await liveInstances(stack);
        return running === 12 && ready.length === live.length && ready.length;
      },
      60_000,
    );
    // 12 pods of 500m, 3 to a node: 4 workers, or one spare.
    expect(peak).toBeGreaterThanOrEqual(4);

    // The sale ends: no pods, idle nodes.
    const dropped = new Date();
    await stack.admin
      .makeApiClient(AppsV1Api)
      .replaceNamespacedDeployment({ name: 'web', namespace: ns, body: deployment('web', 0) });
    await eventually(
      'down to min 2 workers',
      async () =>
        (await readyNodeNames(stack)).length === 2 && (await liveInstances(stack)).length === 2,
      75_000,
    );

    // The last worker is gone before its NodeRemoved outcome reaches the
    // decider and the audit: wait for every scale-down to be closed there.
    const isDown = (e: StoredAuditEntry) =>
      e.kind === 'decision' && e.summary.startsWith('scale down');
    const entries = await eventually(
      'a NodeRemoved in the audit for every scale-down',
      async () => {
        const all = await auditSince(stack, dropped);
        const closed = all
          .filter(isDown)
          .every((d) => all.some((e) => e.actionId === d.actionId && e.summary === 'NodeRemoved'));
        return closed && all;
      },
      30_000,
    );
    const downs = entries.filter(isDown);
    expect(downs).toHaveLength(peak - 2);
    for (const d of downs)
      expect(reasonCodes(d)).toEqual(['cpu-low', 'memory-low', 'victim-chosen']);

    const removed = (d: StoredAuditEntry) =>
      entries.find((e) => e.actionId === d.actionId && e.summary === 'NodeRemoved');
    for (const [i, d] of downs.entries()) {
      const done = removed(d);
      expect(done, `NodeRemoved for ${d.summary}`).toBeDefined();
      const next = downs[i + 1];
      if (!next) continue;
      // One drain in flight at most: the next starts after this one is removed,
      expect(Date.parse(next.at)).toBeGreaterThan(Date.parse(done?.at ?? ''));
      // and not before the cooldown since this one started.
      expect(Date.parse(next.at) - Date.parse(d.at)).toBeGreaterThanOrEqual(COOLDOWN_MS);
    }
    // The waits show in the audit with their reasons.
    const holds = entries.filter((e) => e.kind === 'decision' && e.summary === 'hold');
    const between = holds.filter(
      (h) =>
        Date.parse(h.at) > Date.parse(downs[0]?.at ?? '') &&
        Date.parse(h.at) < Date.parse(downs.at(-1)?.at ?? ''),
    );
    expect(between.some((h) => reasonCodes(h).includes('cooldown-after-scale-down'))).toBe(true);
    await eventually('a hold at min', async () => {
      return (await auditSince(stack, dropped)).some(
        (e) => e.kind === 'decision' && reasonCodes(e).includes('at-min'),
      );
    });
  });
});
