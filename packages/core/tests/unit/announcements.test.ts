import type { Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { noteAnnouncements } from '../../src/announcements.js';
import { NOW, state } from './fixtures.js';

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

const unhostableHold = (owners: string[]): Decision => ({
  kind: 'hold',
  reasons: [
    { code: 'no-trigger', message: 'no scaling trigger holds' },
    {
      code: 'pending-unhostable',
      message: 'm',
      unhostable: owners.map((owner, i) => ({
        pod: `shop/p-${i}`,
        owner,
        code: 'node-selector-unsatisfiable' as const,
        detail: 'nodeSelector gpu=a100',
      })),
    },
  ],
});

const scaleDownHold = (pdb: string): Decision => ({
  kind: 'hold',
  reasons: [
    {
      code: 'no-eligible-victim',
      message: 'm',
      refusals: [
        { nodeName: 'w-1', code: 'pdb-allows-no-disruption', pod: 'shop/api-0', pdb },
        { nodeName: 'w-2', code: 'too-young' },
      ],
    },
  ],
});

const announced = (d: Decision) => d.reasons.filter((r) => r.announce).map((r) => r.code);

describe('noteAnnouncements: a lasting condition reaches people once', () => {
  it('an unhostable owner is news once, not every sample; a new owner is news again', () => {
    let s = state();
    const first = noteAnnouncements(unhostableHold(['shop/ReplicaSet/etl']), s, NOW);
    expect(announced(first.decision)).toEqual(['pending-unhostable']);
    s = first.state;

    // Every sample for the next hours: same owner, more pods - quiet.
    for (const minutes of [1, 2, 60, 300]) {
      const again = noteAnnouncements(
        unhostableHold(['shop/ReplicaSet/etl', 'shop/ReplicaSet/etl']),
        s,
        at(minutes),
      );
      expect(announced(again.decision)).toEqual([]);
      expect(again.state).toBe(s);
    }
    const other = noteAnnouncements(
      unhostableHold(['shop/ReplicaSet/etl', 'ml/Job/train']),
      s,
      at(5),
    );
    expect(announced(other.decision)).toEqual(['pending-unhostable']);
    // After six hours a condition still there is told again.
    expect(
      announced(noteAnnouncements(unhostableHold(['shop/ReplicaSet/etl']), s, at(361)).decision),
    ).toEqual(['pending-unhostable']);
  });

  it('a sample delivered twice announces once: the first decision remembered it', () => {
    const first = noteAnnouncements(unhostableHold(['shop/ReplicaSet/etl']), state(), NOW);
    const repeat = noteAnnouncements(unhostableHold(['shop/ReplicaSet/etl']), first.state, NOW);
    expect(announced(repeat.decision)).toEqual([]);
  });

  it('a scale-down hold is summarised when its refusals change, at most every 10 minutes, the same one hourly', () => {
    const first = noteAnnouncements(scaleDownHold('shop/api'), state(), NOW);
    expect(announced(first.decision)).toEqual(['no-eligible-victim']);
    const s = first.state;
    expect(announced(noteAnnouncements(scaleDownHold('shop/api'), s, at(30)).decision)).toEqual([]);
    // Changed refusals, but too soon after the last summary.
    expect(announced(noteAnnouncements(scaleDownHold('shop/api-v2'), s, at(5)).decision)).toEqual(
      [],
    );
    expect(announced(noteAnnouncements(scaleDownHold('shop/api-v2'), s, at(11)).decision)).toEqual([
      'no-eligible-victim',
    ]);
    expect(announced(noteAnnouncements(scaleDownHold('shop/api'), s, at(61)).decision)).toEqual([
      'no-eligible-victim',
    ]);
  });

  it('a hold of only routine refusals (young, cordoned, unmanaged nodes) is not news', () => {
    const routine: Decision = {
      kind: 'hold',
      reasons: [
        {
          code: 'no-eligible-victim',
          message: 'm',
          refusals: [
            { nodeName: 'w-1', code: 'too-young' },
            { nodeName: 'w-2', code: 'not-managed' },
          ],
        },
      ],
    };
    expect(announced(noteAnnouncements(routine, state(), NOW).decision)).toEqual([]);
  });

  it('a decision with no news leaves the state as it was (no write)', () => {
    const s = state();
    const routine: Decision = { kind: 'hold', reasons: [{ code: 'no-trigger', message: 'm' }] };
    const noted = noteAnnouncements(routine, s, NOW);
    expect(noted.state).toBe(s);
    expect(noted.decision).toBe(routine);
  });
});
