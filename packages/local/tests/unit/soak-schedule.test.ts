import { describe, expect, it } from 'vitest';
import {
  countByKind,
  DURATION_MS,
  FAULT_KINDS,
  faultSchedule,
  seededRandom,
} from '../../src/soak/schedule.ts';

const OPTIONS = { windowMs: 600_000, meanGapMs: 10_000 };

describe('the soak fault schedule', () => {
  it('is the same for the same seed, so a breaking seed replays its faults', () => {
    expect(faultSchedule(19, OPTIONS)).toEqual(faultSchedule(19, OPTIONS));
  });

  it('differs between seeds', () => {
    expect(faultSchedule(1, OPTIONS)).not.toEqual(faultSchedule(2, OPTIONS));
  });

  it('keeps every fault inside the window, in time order, gaps around the mean', () => {
    const faults = faultSchedule(7, OPTIONS);
    // 600 s at a 10 s mean gap: about 60 faults.
    expect(faults.length).toBeGreaterThan(45);
    expect(faults.length).toBeLessThan(80);
    let previous = 0;
    for (const f of faults) {
      expect(f.atMs).toBeLessThan(OPTIONS.windowMs);
      expect(f.atMs - previous).toBeGreaterThanOrEqual(OPTIONS.meanGapMs * 0.5);
      expect(f.atMs - previous).toBeLessThanOrEqual(OPTIONS.meanGapMs * 1.5);
      previous = f.atMs;
    }
  });

  it('draws every kind over a long run, each with its parameters', () => {
    const faults = faultSchedule(3, { windowMs: 3_600_000, meanGapMs: 10_000 });
    const counts = countByKind(faults);
    for (const kind of FAULT_KINDS) expect(counts[kind]).toBeGreaterThan(0);
    for (const f of faults) {
      expect(f.pick).toBeGreaterThanOrEqual(0);
      expect(f.pick).toBeLessThan(1);
      if (f.kind === 'kill-service') expect(f.service).toBeDefined();
      if (f.kind === 'spot-warning' || f.kind === 'rebalance') expect([2, 3]).toContain(f.copies);
      if (f.kind === 'pause') expect(f.pauseMs).toBeGreaterThan(0);
      if (f.kind === 'duplicate-message') expect([2, 3]).toContain(f.copies);
      if (f.kind === 'delay-message') expect(f.delaySeconds).toBeGreaterThanOrEqual(3);
      const range = DURATION_MS[f.kind];
      if (range) {
        // Drawn in the kind's range, cut short only where the window ends.
        expect(f.durationMs).toBeGreaterThanOrEqual(Math.min(range[0], 3_600_000 - f.atMs));
        expect(f.durationMs).toBeLessThanOrEqual(range[1]);
        expect(f.atMs + (f.durationMs ?? 0)).toBeLessThanOrEqual(3_600_000);
      } else expect(f.durationMs).toBeUndefined();
    }
  });

  it('meets every kind once in the first FAULT_KINDS.length faults (a shuffled bag), in a seeded order', () => {
    const first = faultSchedule(11, { windowMs: 3_600_000, meanGapMs: 5_000 }).slice(
      0,
      FAULT_KINDS.length,
    );
    expect(new Set(first.map((f) => f.kind)).size).toBe(FAULT_KINDS.length);
    const other = faultSchedule(12, { windowMs: 3_600_000, meanGapMs: 5_000 }).slice(
      0,
      FAULT_KINDS.length,
    );
    expect(other.map((f) => f.kind)).not.toEqual(first.map((f) => f.kind));
  });

  it('ends every lasting fault with the fault window (the settle window is fault-free)', () => {
    let cut = 0;
    for (let seed = 1; seed <= 20; seed++)
      for (const f of faultSchedule(seed, { windowMs: 40_000, meanGapMs: 4_000 })) {
        if (f.durationMs === undefined) continue;
        expect(f.atMs + f.durationMs).toBeLessThanOrEqual(40_000);
        if (f.durationMs < (DURATION_MS[f.kind]?.[0] ?? 0)) cut += 1;
      }
    expect(cut).toBeGreaterThan(0);
  });

  it('uses a PRNG that repeats per seed and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Set(values).size).toBe(1000);
  });

  it('refuses a seed that is not an integer', () => {
    expect(() => faultSchedule(1.5, OPTIONS)).toThrow(/integer/);
  });
});
