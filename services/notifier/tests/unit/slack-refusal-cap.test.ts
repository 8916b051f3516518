import { createMessage } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { toSlackMessage } from '../../slack-message.js';

const now = new Date('2026-11-22T12:00:00Z');

describe('toSlackMessage: a scale-down hold over many nodes (issue #16)', () => {
  it('names ten refused nodes and counts the rest', () => {
    const refusals = Array.from({ length: 50 }, (_, i) => ({
      nodeName: `w-${i}`,
      code: 'pdb-allows-no-disruption' as const,
      pod: `shop/api-${i}`,
      pdb: 'shop/api',
    }));
    const text =
      toSlackMessage(
        createMessage(
          'DecisionMade',
          {
            decision: {
              kind: 'hold',
              reasons: [
                {
                  code: 'no-eligible-victim',
                  message: 'no node can be removed safely',
                  announce: true,
                  data: {
                    rejected: 300,
                    listed: 50,
                    omitted: 250,
                    byCode: 'pdb-allows-no-disruption 200, too-young 100',
                  },
                  refusals,
                },
              ],
            },
            snapshotTakenAt: now.toISOString(),
            workers: 300,
          },
          { clusterId: 'prod' },
          now,
        ),
      )?.text ?? '';
    expect(text.match(/`w-\d+`: pdb-allows-no-disruption/g)).toHaveLength(10);
    expect(text).toContain('and 290 more node(s) (pdb-allows-no-disruption 200, too-young 100)');
  });
});
