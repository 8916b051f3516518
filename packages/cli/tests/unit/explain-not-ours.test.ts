import type { StoredAuditEntry } from '@smartscale/aws';
import { emptyClusterState } from '@smartscale/contracts';
import { decide, parseConfig, withInstanceOwnership } from '@smartscale/core';
import { snapshot, utilization, workerNode } from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import { explainEntries, formatExplanation } from '../../src/index.js';

// Issue #21 item 9: a node joined by hand carries the managed label its
// kubelet set, but its instance is not tagged ours in EC2. The decision
// passes it over by name and explain shows why.
describe('explain: a node whose instance is not SmartScale’s', () => {
  it('names it not-smartscale-instance in the nodes not removed', () => {
    const now = new Date('2026-01-01T12:00:00.000Z');
    const config = parseConfig({ workers: { min: 1, max: 10 } });
    // Two idle workers at 5 %: one may go. n1's instance is not ours.
    const sampled = withInstanceOwnership(
      snapshot(now, {
        nodes: [1, 2].map((n) => workerNode(n, now)),
        utilization: utilization(0.05),
      }),
      new Set([workerNode(2, now).instanceId ?? '']),
    );
    const decision = decide(sampled, emptyClusterState('c'), config, now);
    expect(decision).toMatchObject({ kind: 'scale-down', victim: { nodeName: 'n2' } });
    const entry: StoredAuditEntry = {
      id: '01JD0000000000000000000000',
      clusterId: 'c',
      actionId: '01JD0000000000000000000001',
      at: now.toISOString(),
      kind: 'decision',
      summary: decision.kind,
      detail: { decision, snapshot: sampled },
    };
    const text = formatExplanation(explainEntries('01JD0000000000000000000001', [entry]));
    expect(text).toMatch(/^n1\s+not-smartscale-instance/m);
  });
});
