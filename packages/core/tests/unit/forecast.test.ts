import type { DemandPoint } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { demandPattern, forecastDemand } from '../../src/forecast.js';
import { decide, parseConfig } from '../../src/index.js';
import { MiB, nodes, snapshot, state } from './fixtures.js';

const DAY = 86_400_000;
const on = parseConfig({ predictive: { enabled: true } });

/** Demand every 5 minutes for `days` days before `end`; `shape` gives CPU millis by time. */
function history(end: Date, days: number, shape: (t: Date) => number): DemandPoint[] {
  const out: DemandPoint[] = [];
  for (let t = end.getTime() - days * DAY; t <= end.getTime(); t += 300_000) {
    const cpu = shape(new Date(t));
    out.push({ at: new Date(t).toISOString(), cpuMillis: cpu, memoryBytes: cpu * MiB });
  }
  return out;
}

const eveningPeak = (t: Date) => (t.getUTCHours() >= 20 && t.getUTCHours() < 21 ? 13_000 : 2_500);
const beforePeak = new Date('2026-11-22T19:56:00.000Z');

describe('forecastDemand', () => {
  it('stays off when disabled, and says so', () => {
    expect(forecastDemand([], beforePeak, beforePeak, parseConfig({}))).toMatchObject({
      ok: false,
      reason: 'disabled',
    });
  });

  it('stays off with too little history, and says how much it has', () => {
    const f = forecastDemand(
      history(beforePeak, 1, eveningPeak),
      new Date(beforePeak.getTime() + 240_000),
      beforePeak,
      on,
    );
    expect(f).toMatchObject({ ok: false, reason: 'insufficient-history' });
    expect(!f.ok && f.detail).toContain('1 day(s)');
  });

  it('predicts a rise seen every day at the same time', () => {
    const f = forecastDemand(
      history(beforePeak, 3, eveningPeak),
      new Date(beforePeak.getTime() + 240_000),
      beforePeak,
      on,
    );
    expect(f).toMatchObject({ ok: true, cpuMillis: 13_000, daysUsed: 3 });
  });

  it('does not repeat a one-off spike', () => {
    const oneOff = (t: Date) =>
      t.getTime() > beforePeak.getTime() - DAY &&
      t.getTime() < beforePeak.getTime() - DAY + 3_600_000
        ? 13_000
        : 2_500;
    const f = forecastDemand(
      history(beforePeak, 3, oneOff),
      new Date(beforePeak.getTime() + 240_000),
      beforePeak,
      on,
    );
    expect(f.ok && f.cpuMillis).toBe(2_500);
  });
});

describe('decide with prediction', () => {
  const quiet = { cpu: 0.4, memory: 0.3 };

  it('adds nodes one boot time before the daily peak, bounded per step, saying which pattern', () => {
    const snap = {
      ...snapshot(nodes(3), [], quiet),
      takenAt: beforePeak.toISOString(),
      demandHistory: history(beforePeak, 3, eveningPeak),
    };
    const d = decide(snap, state(), on, beforePeak);
    expect(d).toMatchObject({ kind: 'scale-up', count: 3 });
    expect(d.reasons[0]?.code).toBe('predicted-rise');
    expect(d.reasons[0]?.message).toContain('daily pattern');
  });

  it('does nothing predictive when switched off', () => {
    const snap = {
      ...snapshot(nodes(3), [], quiet),
      takenAt: beforePeak.toISOString(),
      demandHistory: history(beforePeak, 3, eveningPeak),
    };
    const d = decide(snap, state(), parseConfig({}), beforePeak);
    expect(d.kind).toBe('hold');
    expect(d.reasons.map((r) => r.code)).not.toContain('predicted-rise');
  });

  it('keeps a node the pattern will need soon instead of removing it', () => {
    const at = new Date('2026-11-22T19:40:00.000Z');
    const snap = {
      ...snapshot(nodes(4), [], { cpu: 0.1, memory: 0.2 }),
      takenAt: at.toISOString(),
      demandHistory: history(at, 3, eveningPeak),
    };
    const d = decide(snap, state(), on, at);
    expect(d.kind).toBe('hold');
    expect(d.reasons.map((r) => r.code)).toContain('predicted-rise-ahead');
  });

  it('still scales down normally, noting that prediction has no history yet', () => {
    const snap = {
      ...snapshot(nodes(4), [], { cpu: 0.1, memory: 0.2 }),
      takenAt: beforePeak.toISOString(),
    };
    const d = decide(snap, state(), on, beforePeak);
    expect(d.kind).toBe('scale-down');
    expect(d.reasons.map((r) => r.code)).toContain('prediction-unavailable');
  });
});

describe('demandPattern on a quieter day', () => {
  // Three days with a 13,000m peak from 20:00; today the hour before ran at half the usual level.
  const usual = (t: Date) => (t.getUTCHours() >= 20 && t.getUTCHours() < 21 ? 13_000 : 6_000);
  const today = new Date('2026-11-22T00:00:00.000Z').getTime();
  const halfToday = (t: Date) => (t.getTime() >= today ? usual(t) / 2 : usual(t));

  it('scales the forecast down by the share of the pattern today reached, and says so', () => {
    const pattern = demandPattern(history(beforePeak, 3, halfToday), beforePeak, on);
    const f = pattern.forecast(new Date(beforePeak.getTime() + 240_000));
    expect(f).toMatchObject({ ok: true, daysUsed: 3, todayShare: 0.5 });
    expect(f.ok && f.cpuMillis).toBe(6_500);
    expect(f.ok && f.basis).toContain('scaled to 50%');
  });

  it('never scales up on a busier day', () => {
    const busier = (t: Date) => (t.getTime() >= today ? usual(t) * 2 : usual(t));
    const f = demandPattern(history(beforePeak, 3, busier), beforePeak, on).forecast(
      new Date(beforePeak.getTime() + 240_000),
    );
    expect(f).toMatchObject({ ok: true, cpuMillis: 13_000, todayShare: 1 });
    expect(f.ok && f.basis).not.toContain('scaled');
  });

  it('gives the same answer as forecastDemand for every moment asked', () => {
    const h = history(beforePeak, 3, halfToday);
    const pattern = demandPattern(h, beforePeak, on);
    for (const minutes of [0, 4, 30, 90]) {
      const target = new Date(beforePeak.getTime() + minutes * 60_000);
      expect(pattern.forecast(target)).toEqual(forecastDemand(h, target, beforePeak, on));
    }
  });
});
