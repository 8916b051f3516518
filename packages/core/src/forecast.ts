import type { DemandPoint } from '@smartscale/contracts';
import type { Config } from './config.js';

const DAY_MS = 86_400_000;

/** A forecast of demand at one future moment, and what it was based on. */
export type Forecast =
  | {
      readonly ok: true;
      readonly at: string;
      readonly cpuMillis: number;
      readonly memoryBytes: number;
      /** Human-readable: which pattern and which days the forecast came from. */
      readonly basis: string;
      readonly daysUsed: number;
      /** Share of the pattern today reached lately (1 when on or above it). */
      readonly todayShare: number;
    }
  | {
      readonly ok: false;
      readonly reason: 'disabled' | 'insufficient-history';
      readonly detail: string;
    };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** The learned daily pattern, asked for any moment ahead. */
export interface DemandPattern {
  forecast(target: Date): Forecast;
}

/**
 * Learns the daily pattern from `history` once, for forecasts at several
 * moments. The forecast at a moment is the median, across the last (up to
 * 7) days, of each day's peak inside the slot around that time of day: the
 * median makes a one-off spike (a single flash sale) not repeat, while a
 * rise seen on most days does.
 *
 * The pattern is then checked against today: if over the last
 * `recentWindowSeconds` demand ran below what the pattern expected (a
 * weekend after weekdays, a holiday), forecasts are scaled down by that
 * share. Never up: a busier day than usual is the reactive triggers' job,
 * and a forecast must not buy capacity the past did not need.
 *
 * @example
 * const pattern = demandPattern(snapshot.demandHistory ?? [], now, config);
 * const f = pattern.forecast(new Date(now.getTime() + 210_000));
 */
export function demandPattern(
  history: readonly DemandPoint[],
  now: Date,
  config: Config,
): DemandPattern {
  const p = config.predictive;
  if (!p.enabled) {
    const off: Forecast = { ok: false, reason: 'disabled', detail: 'predictive.enabled is false' };
    return { forecast: () => off };
  }
  const half = (p.slotSeconds * 1000) / 2;
  const nowMs = now.getTime();
  const points = history
    .map((d) => ({ t: Date.parse(d.at), cpu: d.cpuMillis, mem: d.memoryBytes }))
    .filter((d) => d.t <= nowMs && d.t >= nowMs - 7 * DAY_MS - half)
    .sort((a, b) => a.t - b.t);

  /** Index of the first point at or after `t`. */
  const firstFrom = (t: number) => {
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] as (typeof points)[number]).t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /** One day's peak inside the slot around `centre`, or null without data there. */
  const slotPeak = (centre: number) => {
    let cpu = -1;
    let mem = -1;
    for (let i = firstFrom(centre - half); i < points.length; i++) {
      const d = points[i] as (typeof points)[number];
      if (d.t > centre + half) break;
      cpu = Math.max(cpu, d.cpu);
      mem = Math.max(mem, d.mem);
    }
    return cpu < 0 ? null : { cpu, mem };
  };

  /** The plain pattern at `targetMs`: per-day slot peaks, median across days. */
  const raw = (targetMs: number) => {
    const perDay: { cpu: number; mem: number }[] = [];
    for (let day = 1; day <= 7; day++) {
      const peak = slotPeak(targetMs - day * DAY_MS);
      if (peak) perDay.push(peak);
    }
    return {
      days: perDay.length,
      cpu: perDay.length > 0 ? median(perDay.map((d) => d.cpu)) : 0,
      mem: perDay.length > 0 ? median(perDay.map((d) => d.mem)) : 0,
    };
  };

  let level: { cpu: number; mem: number } | null = null;
  /** Share of the pattern today actually reached lately (at most 1). */
  const todayLevel = () => {
    if (level) return level;
    let actualCpu = 0;
    let expectedCpu = 0;
    let actualMem = 0;
    let expectedMem = 0;
    // Whole slots only, compared like with like: today's slot peak against
    // the pattern's, at the slots that ended within the recent window.
    const step = p.slotSeconds * 1000;
    for (
      let centre = nowMs - half;
      centre >= nowMs - p.recentWindowSeconds * 1000;
      centre -= step
    ) {
      const actual = slotPeak(centre);
      const expected = raw(centre);
      if (!actual || expected.days < p.minDays) continue;
      actualCpu += actual.cpu;
      expectedCpu += expected.cpu;
      actualMem += actual.mem;
      expectedMem += expected.mem;
    }
    const share = (actual: number, expected: number) =>
      expected > 0 ? Math.min(1, actual / expected) : 1;
    level = { cpu: share(actualCpu, expectedCpu), mem: share(actualMem, expectedMem) };
    return level;
  };

  return {
    forecast(target) {
      const pattern = raw(target.getTime());
      if (pattern.days < p.minDays) {
        return {
          ok: false,
          reason: 'insufficient-history',
          detail: `${pattern.days} day(s) of history around ${hhmm(target.getTime())} UTC; need ${p.minDays}`,
        };
      }
      const today = todayLevel();
      const scaled = Math.min(today.cpu, today.mem) < 1;
      return {
        ok: true,
        at: target.toISOString(),
        cpuMillis: pattern.cpu * today.cpu,
        memoryBytes: pattern.mem * today.mem,
        basis:
          `daily pattern: median of ${pattern.days} day(s) at ${hhmm(target.getTime())} UTC ±${Math.round(p.slotSeconds / 120)} min` +
          (scaled
            ? `, scaled to ${Math.round(today.cpu * 100)}% as today ran below it over the last ${Math.round(p.recentWindowSeconds / 60)} min`
            : ''),
        daysUsed: pattern.days,
        todayShare: Math.min(today.cpu, today.mem),
      };
    },
  };
}

/**
 * The forecast of demand at `target` (see {@link demandPattern}); for one
 * moment only - build the pattern once when asking for several.
 *
 * @example
 * const f = forecastDemand(history, new Date(now.getTime() + 180_000), now, config);
 */
export function forecastDemand(
  history: readonly DemandPoint[],
  target: Date,
  now: Date,
  config: Config,
): Forecast {
  return demandPattern(history, now, config).forecast(target);
}

/**
 * Nodes to add now so the forecast demand (plus margin) fits when they are
 * Ready, given the room `capacity` already offers (Ready plus launching).
 * Zero when the forecast fits; never negative: a forecast never removes.
 */
export function nodesForForecast(
  forecast: Extract<Forecast, { ok: true }>,
  capacity: { cpuMillis: number; memoryBytes: number },
  perNode: { cpuMillis: number; memoryBytes: number },
  config: Config,
): number {
  const m = 1 + config.predictive.marginShare;
  const cpuShort = forecast.cpuMillis * m - capacity.cpuMillis;
  const memShort = forecast.memoryBytes * m - capacity.memoryBytes;
  const needed = Math.max(
    Math.ceil(cpuShort / Math.max(perNode.cpuMillis, 1)),
    Math.ceil(memShort / Math.max(perNode.memoryBytes, 1)),
    0,
  );
  return Math.min(needed, config.predictive.maxNodesPerStep);
}
