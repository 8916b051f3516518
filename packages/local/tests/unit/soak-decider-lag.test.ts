import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { DeciderLag, lagLine } from '../../src/soak/decider-lag.ts';

describe("the soak's decider lag", () => {
  it('is the log time minus the sample id time, per window, with the stale skips counted', () => {
    const lag = new DeciderLag(60_000);
    const t0 = Date.parse('2026-12-02T12:00:00.000Z');
    // Window 12:00: ages 100, 200, 300 ms and 11 s (skipped as stale).
    for (const [ageMs, at, stale] of [
      [100, 1_000, false],
      [200, 2_000, false],
      [300, 3_000, false],
      [11_000, 30_000, true],
    ] as const)
      lag.observe(new Date(t0 + at), ulid(t0 + at - ageMs), stale);
    // Window 12:01: one sample, 50 ms old.
    lag.observe(new Date(t0 + 61_000), ulid(t0 + 60_950), false);
    // Not a sample's id: ignored, not a crash.
    lag.observe(new Date(t0 + 62_000), 'not-a-ulid', false);

    const windows = lag.windows();
    expect(windows).toEqual([
      {
        from: '2026-12-02T12:00:00.000Z',
        samples: 4,
        skippedStale: 1,
        p50Ms: 200,
        p90Ms: 300,
        maxMs: 11_000,
      },
      {
        from: '2026-12-02T12:01:00.000Z',
        samples: 1,
        skippedStale: 0,
        p50Ms: 50,
        p90Ms: 50,
        maxMs: 50,
      },
    ]);
    expect(lagLine(windows)).toBe('12:00 0.2s (1/4 stale), 12:01 0.1s');
    expect(lagLine([])).toBe('no samples reached the decider');
  });
});
