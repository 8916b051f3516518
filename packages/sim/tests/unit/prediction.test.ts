import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  DemandHistory,
  type PredictionReport,
  simOptions,
  simulate,
  type Trace,
} from '../../src/index.js';
import { traceOf } from './helpers.js';

const startAt = new Date('2026-01-05T00:00:00.000Z');
const iso = (seconds: number) => new Date(startAt.getTime() + seconds * 1000).toISOString();

describe('DemandHistory', () => {
  it('keeps the peak of each completed wall-clock slot, stamped at its centre', () => {
    // Starts 3 minutes into a 10-minute slot: the first slot is partial but still aligned.
    const h = new DemandHistory(600, new Date(startAt.getTime() + 180_000));
    h.record(0, 1_000, 10);
    h.record(60, 3_000, 5);
    h.record(400, 2_000, 40); // 00:09:40, still the first slot
    expect(h.points()).toEqual([]);
    h.record(420, 500, 1); // 00:10:00 opens the second slot and closes the first
    expect(h.points()).toEqual([{ at: iso(300), cpuMillis: 3_000, memoryBytes: 40 }]);
    h.record(1_020, 700, 2); // 00:20:00
    expect(h.points()[1]).toEqual({ at: iso(900), cpuMillis: 500, memoryBytes: 1 });
  });

  it('holds at most the last 7 days of slots', () => {
    const h = new DemandHistory(3_600, startAt);
    for (let hour = 0; hour <= 9 * 24; hour++) h.record(hour * 3_600, hour, hour);
    const points = h.points();
    expect(points).toHaveLength(7 * 24);
    expect(points[0]?.cpuMillis).toBe(9 * 24 - 7 * 24);
    expect(points.at(-1)?.cpuMillis).toBe(9 * 24 - 1);
  });

  it('rejects a slot that is not a positive whole number of seconds', () => {
    expect(() => new DemandHistory(0, startAt)).toThrow(/slotSeconds: expected a positive/);
    expect(() => new DemandHistory(12.5, startAt)).toThrow(/got 12.5/);
  });
});

/** `days` days of 5 pods with a jump to 14 pods from 10:00 to 12:00 every day. */
function dailyRise(days: number): Trace {
  const rows: [number, number][] = [];
  for (let m = 0; m < days * 1440; m++) {
    const hour = (m % 1440) / 60;
    rows.push(hour >= 10 && hour < 12 ? [14, 0.5] : [5, 0.4]);
  }
  return traceOf(rows, `daily-rise-${days}`);
}

const options = simOptions({ spot: { interruptionsPerNodeHour: 0 } });
const run = (trace: Trace, policy: 'smartscale' | 'smartscale+predictive') =>
  simulate(trace, createPolicy(policy, trace, options), options);
const pendingOnDay = (r: ReturnType<typeof run>, day: number) =>
  r.timeline
    .filter((p) => Math.floor(p.t / 86_400) === day)
    .reduce((sum, p) => sum + p.pendingPods, 0);

describe('smartscale+predictive', () => {
  const trace = dailyRise(4);
  const plain = run(trace, 'smartscale');
  const predictive = run(trace, 'smartscale+predictive');
  const report = predictive.policyReport as unknown as PredictionReport;

  it('behaves like smartscale while it has fewer than minDays of history, and says why', () => {
    for (const day of [0, 1]) expect(pendingOnDay(predictive, day)).toBe(pendingOnDay(plain, day));
    expect(report.offReason).toContain('0 day(s) of history');
    expect(report.offReason).toContain('need 2');
    expect(Date.parse(report.firstPreScaleAt ?? '')).toBeGreaterThanOrEqual(
      startAt.getTime() + 2 * 86_400_000,
    );
  });

  it('adds the nodes before the daily rise once two days are known: no pod waits on days 3 and 4', () => {
    expect(pendingOnDay(plain, 2)).toBeGreaterThan(0);
    expect(pendingOnDay(predictive, 2)).toBe(0);
    expect(pendingOnDay(predictive, 3)).toBe(0);
    expect(report.preScales).toBeGreaterThanOrEqual(2);
    expect(predictive.metrics.pending_pod_seconds).toBeLessThan(plain.metrics.pending_pod_seconds);
    // Boot-time-ahead nodes cost little: within 3 % of the reactive node-hours.
    expect(predictive.metrics.node_hours).toBeLessThanOrEqual(plain.metrics.node_hours * 1.03);
  });

  it('stays off through a single-day trace, changes nothing and reports it off', () => {
    const day = dailyRise(1);
    const off = run(day, 'smartscale+predictive');
    expect(off.metrics).toEqual(run(day, 'smartscale').metrics);
    expect(off.policyReport).toMatchObject({ preScales: 0, keptForForecast: 0 });
    expect(off.policyReport.offEvaluations).toBeGreaterThanOrEqual(1_440);
  });

  it('reports nothing about prediction for plain smartscale', () => {
    expect(plain.policyReport).toEqual({});
    expect(predictive.policy).toBe('smartscale+predictive');
  });
});
