import type { StoredAuditEntry } from '@smartscale/aws';
import type { Decision, NodeRefusal } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { explainEntries, formatExplanation } from '../../src/index.js';

// A decision lists at most 50 refusals and counts the rest by code (issue #16):
// explain shows the table and says what was left out.
const refused: NodeRefusal[] = Array.from({ length: 50 }, (_, i) => ({
  nodeName: `ip-10-0-1-${i}`,
  code: 'too-young',
}));

function explained(data: Record<string, string | number>): string {
  const decision: Decision = {
    kind: 'hold',
    reasons: [{ code: 'no-eligible-victim', message: 'm', data, refusals: refused }],
  };
  const entry: StoredAuditEntry = {
    id: '01JD0000000000000000000000',
    clusterId: 'c',
    actionId: '01JD0000000000000000000001',
    at: '2026-01-01T00:00:00.000Z',
    kind: 'decision',
    summary: 'hold',
    detail: {
      decision,
      snapshot: {
        takenAt: '2026-01-01T00:00:00.000Z',
        nodes: [],
        pendingPods: [],
        utilization: { available: false, reason: 'x' },
      },
    },
  };
  return formatExplanation(explainEntries('01JD0000000000000000000001', [entry]));
}

describe('explain: a capped refusal listing', () => {
  it('lists the refusals carried and says how many more, by reason', () => {
    const text = explained({
      rejected: 999,
      listed: 50,
      omitted: 949,
      byCode: 'too-young 900, not-managed 99',
    });
    expect(text.match(/^ip-10-0-1-\d+\s+too-young/gm)).toHaveLength(50);
    expect(text).toContain(
      '…and 949 more not listed; all nodes not removed by reason: too-young 900, not-managed 99',
    );
  });

  it('a listing that is complete says nothing more', () => {
    expect(explained({ rejected: 50 })).not.toContain('more not listed');
  });
});
