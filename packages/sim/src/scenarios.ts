import { seededRandom } from './prng.js';
import type { TracePoint } from './trace.js';

const MINUTES_PER_DAY = 1440;

/** A generated trace: its file name (without `.csv`), what it tests, and its rows. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly points: readonly TracePoint[];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function rows(
  minutes: number,
  seed: number,
  shape: (m: number, noise: () => number) => { replicas: number; cpuUtil: number },
): TracePoint[] {
  const random = seededRandom(seed);
  const noise = () => random() * 2 - 1;
  return Array.from({ length: minutes }, (_, m) => {
    const { replicas, cpuUtil } = shape(m, noise);
    return {
      t: m * 60,
      replicas: Math.max(0, Math.round(replicas)),
      cpuUtil: Math.round(clamp(cpuUtil, 0.05, 0.95) * 1000) / 1000,
    };
  });
}

/** Smooth business-hours curve: 0 at night, 1 at 14:00. */
function dayCurve(minuteOfDay: number): number {
  const h = minuteOfDay / 60;
  if (h < 7 || h > 22) return 0;
  return Math.sin((Math.PI * (h - 7)) / 15) ** 2;
}

/** A week of daily traffic: nights of ~4 pods, weekday peaks of ~14, quieter weekend. */
export function diurnalWeek(seed = 7): Scenario {
  return {
    name: 'diurnal-week',
    description: 'seven days: nights ~4 pods, weekday peaks ~14, weekend peaks ~9',
    points: rows(7 * MINUTES_PER_DAY, seed, (m, noise) => {
      const day = Math.floor(m / MINUTES_PER_DAY);
      const peak = day >= 5 ? 5 : 10;
      const c = dayCurve(m % MINUTES_PER_DAY);
      return { replicas: 4 + peak * c + noise() * 0.8, cpuUtil: 0.38 + 0.15 * c + noise() * 0.06 };
    }),
  };
}

/** One day with a flash sale every three hours from 10:00: a jump to ~24 pods in 3 minutes, held 30 min. */
export function flashSales(seed = 11): Scenario {
  const sales = [10, 13, 16, 19, 22].map((h) => h * 60);
  return {
    name: 'flash-sales',
    description:
      'one day, five flash sales (10:00 to 22:00): ~6 -> ~24 pods within 3 min, 30 min each',
    points: rows(MINUTES_PER_DAY, seed, (m, noise) => {
      const base = 5 + 3 * dayCurve(m) + noise() * 0.6;
      for (const start of sales) {
        const into = m - start;
        if (into >= 0 && into < 33) {
          const ramp = Math.min(1, (into + 1) / 3);
          return {
            replicas: base + (24 - base) * ramp + noise(),
            cpuUtil: 0.7 + noise() * 0.08,
          };
        }
      }
      return { replicas: base, cpuUtil: 0.42 + noise() * 0.08 };
    }),
  };
}

/** One day ramping slowly from ~4 to ~27 pods over 12 hours, then back down over 6. */
export function slowRamp(seed = 13): Scenario {
  return {
    name: 'slow-ramp',
    description: 'one day: ~4 pods, +2 pods an hour from 06:00 to 18:00 (~27), back to ~4 by 24:00',
    points: rows(MINUTES_PER_DAY, seed, (m, noise) => {
      const h = m / 60;
      const level = h < 6 ? 0 : h < 18 ? (h - 6) / 12 : Math.max(0, 1 - (h - 18) / 6);
      return {
        replicas: 4 + 23 * level + noise() * 0.5,
        cpuUtil: 0.45 + 0.2 * level + noise() * 0.05,
      };
    }),
  };
}

/** One day with a sale at 20:00 that wants ~40 pods, more than max 10 workers can hold. */
export function saleBeyondMax(seed = 17): Scenario {
  return {
    name: 'sale-beyond-max',
    description:
      'one day: ~8 pods, a sale at 20:00 to ~40 pods for an hour (needs 14 workers; max is 10)',
    points: rows(MINUTES_PER_DAY, seed, (m, noise) => {
      const into = m - 20 * 60;
      if (into >= 0 && into < 60) {
        const ramp = Math.min(1, (into + 1) / 3);
        return { replicas: 8 + 32 * ramp + noise(), cpuUtil: 0.8 + noise() * 0.08 };
      }
      return { replicas: 6 + 2 * dayCurve(m) + noise() * 0.6, cpuUtil: 0.45 + noise() * 0.08 };
    }),
  };
}

/** Every generated scenario, with its default seed. */
export function scenarios(): Scenario[] {
  return [diurnalWeek(), flashSales(), slowRamp(), saleBeyondMax()];
}
