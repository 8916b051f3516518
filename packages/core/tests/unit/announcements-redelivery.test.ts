import type { Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { noteAnnouncements } from '../../src/announcements.js';
import { NOW, state } from './fixtures.js';

// A lost DecisionMade (issue #16): the decider saves the state, marking the
// news told, before it publishes. If the publish fails the sample comes back;
// its news must be told again rather than wait out the quiet period.
const unhostable: Decision = {
  kind: 'hold',
  reasons: [
    {
      code: 'pending-unhostable',
      message: 'm',
      unhostable: [
        {
          pod: 'shop/db-0',
          owner: 'shop/StatefulSet/db',
          code: 'volume-zone-unavailable',
          detail: 'volume pv-1 (claim shop/data-db-0) is in us-east-1c',
        },
      ],
    },
  ],
};
const hold: Decision = {
  kind: 'hold',
  reasons: [
    {
      code: 'no-eligible-victim',
      message: 'm',
      refusals: [
        { nodeName: 'w-1', code: 'pdb-allows-no-disruption', pod: 'shop/api-0', pdb: 'shop/api' },
      ],
    },
  ],
};
const later = new Date(NOW.getTime() + 30_000);
const announced = (d: Decision) => d.reasons.filter((r) => r.announce).map((r) => r.code);

describe('noteAnnouncements: a redelivered sample tells its news again', () => {
  it.each([
    ['an unhostable owner', unhostable],
    ['a scale-down hold', hold],
  ])('%s: the same sample again announces; the next sample stays quiet', (_name, decision) => {
    const first = noteAnnouncements(decision, state(), NOW, '01SAMPLE0000000000000000A1');
    expect(announced(first.decision)).toHaveLength(1);
    expect(first.state.announced.map((a) => a.actionId)).toEqual(['01SAMPLE0000000000000000A1']);
    // Redelivered after a failed publish: told again.
    const again = noteAnnouncements(decision, first.state, later, '01SAMPLE0000000000000000A1');
    expect(announced(again.decision)).toHaveLength(1);
    expect(again.state.announced).toHaveLength(1);
    // The next minute's sample: within the quiet period, not told.
    const next = noteAnnouncements(decision, again.state, later, '01SAMPLE0000000000000000B2');
    expect(announced(next.decision)).toEqual([]);
  });
});
