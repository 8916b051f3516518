// Round, readable axis ticks for the bench's SVG charts: between five and
// eight of them where the data allows, on steps of 1, 2 or 5 times a power
// of ten, so a reader can interpolate at a glance.

const MAX_TICKS = 8;

/** 1, 2, 5, 10, 20, 50, ... from `least` up. */
function* roundSteps(least: number): Generator<number> {
  for (let e = 10 ** Math.floor(Math.log10(least)); ; e *= 10)
    for (const m of [1, 2, 5]) if (m * e >= least) yield m * e;
}

/**
 * Ticks for a count axis from 0 to at least `max` (whole numbers: nodes,
 * pods). Small maxima get an axis up to 5 so it still has five ticks.
 *
 * @example
 * countAxisTicks(14) // [0, 2, 4, 6, 8, 10, 12, 14]
 * countAxisTicks(2)  // [0, 1, 2, 3, 4, 5]
 */
export function countAxisTicks(max: number): number[] {
  if (!Number.isFinite(max) || max < 0)
    throw new Error(`countAxisTicks: max ${max} must be a finite number >= 0`);
  const top = Math.max(5, max);
  for (const step of roundSteps(1)) {
    const last = Math.ceil(top / step) * step;
    if (last / step + 1 <= MAX_TICKS) return ticksFrom(0, last, step);
  }
  throw new Error('unreachable');
}

/**
 * Ticks covering [lo, hi] (e.g. node-hours on a scatter that need not start
 * at 0): the first tick at or below lo, the last at or above hi.
 *
 * @example
 * rangeAxisTicks(96.3, 131.8) // [90, 100, 110, 120, 130, 140] (steps of 5 would need 9)
 */
export function rangeAxisTicks(lo: number, hi: number): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo)
    throw new Error(`rangeAxisTicks: [${lo}, ${hi}] must be finite with lo <= hi`);
  const span = Math.max(hi - lo, Math.abs(hi) * 1e-6, 1e-9);
  for (const step of roundSteps(span / MAX_TICKS)) {
    const first = Math.floor(lo / step) * step;
    const last = Math.max(Math.ceil(hi / step) * step, first + step);
    if (Math.round((last - first) / step) + 1 <= MAX_TICKS) return ticksFrom(first, last, step);
  }
  throw new Error('unreachable');
}

/** Hour steps a time axis may use: each divides a day or is whole days. */
const HOUR_STEPS = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168];

/**
 * Hour ticks from 0 to the end of a trace of `hours`, at most eight, on a
 * step that divides the day (or whole days for a week).
 *
 * @example
 * hourAxisTicks(24)  // [0, 4, 8, 12, 16, 20, 24]
 * hourAxisTicks(168) // [0, 24, 48, 72, 96, 120, 144, 168]
 */
export function hourAxisTicks(hours: number): number[] {
  if (!Number.isFinite(hours) || hours <= 0)
    throw new Error(`hourAxisTicks: hours ${hours} must be a finite number > 0`);
  const step = HOUR_STEPS.find((s) => Math.floor(hours / s) + 1 <= MAX_TICKS) ?? 168;
  return ticksFrom(0, Math.floor(hours / step) * step, step);
}

/** first, first + step, ..., last without floating-point drift (0.1 + 0.2). */
function ticksFrom(first: number, last: number, step: number): number[] {
  const n = Math.round((last - first) / step);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return Array.from({ length: n + 1 }, (_, i) => Number((first + i * step).toFixed(digits)));
}
