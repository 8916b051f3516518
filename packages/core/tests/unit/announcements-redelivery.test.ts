import { createMessage, type Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { noteAnnouncements } from '../../src/announcements.js';
import { defaultConfig } from '../../src/config.js';
import { evaluate } from '../../src/evaluate.js';
import { fullNodes, NOW, pending, snapshot, state } from './fixtures.js';

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
    const first = noteAnnouncements(decision, state(), NOW, '01JD0000000000000000000A01');
    expect(announced(first.decision)).toHaveLength(1);
    expect(first.state.announced.map((a) => a.actionId)).toEqual(['01JD0000000000000000000A01']);
    // Redelivered after a failed publish: told again.
    const again = noteAnnouncements(decision, first.state, later, '01JD0000000000000000000A01');
    expect(announced(again.decision)).toHaveLength(1);
    expect(again.state.announced).toHaveLength(1);
    // The next minute's sample: within the quiet period, not told.
    const next = noteAnnouncements(decision, again.state, later, '01JD0000000000000000000B02');
    expect(announced(next.decision)).toEqual([]);
  });
});

describe('evaluate: the decider path of a redelivered sample', () => {
  it('the same hold sample evaluated again on the saved state announces again; a new sample does not', () => {
    const snap = snapshot(
      fullNodes(3),
      pending(1, 600, { owner: 'ReplicaSet/gpu', nodeSelector: { gpu: 'a100' } }),
      { cpu: 0.5 },
    );
    const sample = (actionId: string) =>
      createMessage('MetricsSampled', snap, { clusterId: 'test', actionId }, NOW);
    const first = evaluate(state(), sample('01JD0000000000000000000A01'), defaultConfig, NOW);
    expect(first.decision ? announced(first.decision) : null).toEqual(['pending-unhostable']);
    // The state was saved, then the publish failed: SQS hands the sample back.
    const redelivered = evaluate(
      first.state,
      sample('01JD0000000000000000000A01'),
      defaultConfig,
      later,
    );
    expect(redelivered.status).toBe('decided');
    expect(redelivered.decision ? announced(redelivered.decision) : null).toEqual([
      'pending-unhostable',
    ]);
    const next = evaluate(
      redelivered.state,
      sample('01JD0000000000000000000B02'),
      defaultConfig,
      later,
    );
    expect(next.decision ? announced(next.decision) : null).toEqual([]);
  });
});
