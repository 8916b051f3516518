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

/**
 * Forecasts demand at `target` from the same time of day on each of the
 * last (up to 7) days: for each day the peak inside the slot around that
 * time, then the median across days. The median makes a one-off spike (a
 * single flash sale) not repeat as a forecast; a rise seen on most days does.
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
  const p = config.predictive;
  if (!p.enabled) return { ok: false, reason: 'disabled', detail: 'predictive.enabled is false' };
  const half = (p.slotSeconds * 1000) / 2;
  const points = history
    .map((d) => ({ t: Date.parse(d.at), cpu: d.cpuMillis, mem: d.memoryBytes }))
    .filter((d) => d.t <= now.getTime() && d.t >= now.getTime() - 7 * DAY_MS - half);
  const perDay: { cpu: number; mem: number }[] = [];
  for (let day = 1; day <= 7; day++) {
    const centre = target.getTime() - day * DAY_MS;
    const inSlot = points.filter((d) => Math.abs(d.t - centre) <= half);
    if (inSlot.length === 0) continue;
    perDay.push({
      cpu: Math.max(...inSlot.map((d) => d.cpu)),
      mem: Math.max(...inSlot.map((d) => d.mem)),
    });
  }
  if (perDay.length < p.minDays) {
    return {
      ok: false,
      reason: 'insufficient-history',
      detail: `${perDay.length} day(s) of history around ${target.toISOString().slice(11, 16)} UTC; need ${p.minDays}`,
    };
  }
  return {
    ok: true,
    at: target.toISOString(),
    cpuMillis: median(perDay.map((d) => d.cpu)),
    memoryBytes: median(perDay.map((d) => d.mem)),
    basis: `daily pattern: median of ${perDay.length} day(s) at ${target.toISOString().slice(11, 16)} UTC ±${Math.round(p.slotSeconds / 120)} min`,
    daysUsed: perDay.length,
  };
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
