import { describe, expect, it } from 'vitest';
import { lastDecisionText } from '../../src/index.js';

describe('status: last decision', () => {
  const now = new Date('2026-12-01T20:05:00Z');

  it('says what was decided, how long ago and why, in the reasons own words', () => {
    expect(
      lastDecisionText(
        {
          at: '2026-12-01T20:04:30Z',
          kind: 'scale-up',
          reasons: [
            { code: 'pending-pods', message: '8 pods pending longer than 10 s' },
            { code: 'cpu-high', message: 'CPU 82% > 70% for 3 min' },
          ],
        },
        now,
      ),
    ).toBe('scale-up 30s ago: 8 pods pending longer than 10 s; CPU 82% > 70% for 3 min');
  });

  it('says none yet before the first decision', () => {
    expect(lastDecisionText(null, now)).toBe('none yet');
  });
});
