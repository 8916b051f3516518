import { describe, expect, it } from 'vitest';
import { countAxisTicks, hourAxisTicks, rangeAxisTicks } from '../../src/bench/axis-ticks.js';

/** Ticks are evenly spaced on a step of 1, 2 or 5 times a power of ten. */
function roundStep(ticks: readonly number[]): number {
  const step = (ticks[1] ?? 0) - (ticks[0] ?? 0);
  ticks.forEach((t, i) => {
    if (i > 0) expect(t - (ticks[i - 1] ?? 0)).toBeCloseTo(step, 9);
  });
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  expect([1, 2, 5]).toContainEqual(Number(mantissa.toFixed(9)));
  return step;
}

describe('bench axis ticks', () => {
  it('count axes: 0 to at least the peak, five to eight round ticks', () => {
    expect(countAxisTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(countAxisTicks(14)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    // The old axis for 14 pending pods had three ticks: 0, 7, 14.
    expect(countAxisTicks(0)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(countAxisTicks(2)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const peak of [3, 7, 9, 11, 17, 27, 40, 99, 130, 1234, 48_211]) {
      const ticks = countAxisTicks(peak);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(peak);
      expect(ticks.length, `${peak}: ${ticks}`).toBeGreaterThanOrEqual(4);
      expect(ticks.length, `${peak}: ${ticks}`).toBeLessThanOrEqual(8);
      roundStep(ticks);
    }
  });

  it('range axes: cover [lo, hi] from a round tick below to one above', () => {
    expect(rangeAxisTicks(96.3, 131.8)).toEqual([90, 100, 110, 120, 130, 140]);
    for (const [lo, hi] of [
      [0.4, 0.9],
      [101.2, 103.9],
      [480, 2210],
      [7, 7],
    ] as const) {
      const ticks = rangeAxisTicks(lo, hi);
      expect(ticks[0]).toBeLessThanOrEqual(lo);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(hi);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(8);
      roundStep(ticks);
    }
    // No floating-point tails (0.30000000000000004) in printed labels.
    expect(
      rangeAxisTicks(0.1, 0.35)
        .map(String)
        .every((s) => s.length <= 4),
    ).toBe(true);
  });

  it('time axes: hour steps that divide the day, at most eight ticks', () => {
    expect(hourAxisTicks(24)).toEqual([0, 4, 8, 12, 16, 20, 24]);
    expect(hourAxisTicks(168)).toEqual([0, 24, 48, 72, 96, 120, 144, 168]);
    expect(hourAxisTicks(3)).toEqual([0, 1, 2, 3]);
    expect(hourAxisTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('names the bad input', () => {
    expect(() => countAxisTicks(-1)).toThrow(/max -1 must be a finite number >= 0/);
    expect(() => rangeAxisTicks(5, 1)).toThrow(/\[5, 1\] must be finite with lo <= hi/);
    expect(() => hourAxisTicks(0)).toThrow(/hours 0 must be a finite number > 0/);
  });
});
