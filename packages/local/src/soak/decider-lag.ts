// How far behind the sampler the decider ran, per window of the soak. A
// sample's action id is a ULID minted when the sampler took it, so the
// decider's log time minus that id's time is the sample's age on arrival:
// transport, queueing and the decider's own pace. Two 60-minute soaks
// collapsed when that age crossed samples.maxAgeSeconds and stayed there
// (issue #19); the report now says so in numbers, per window.
import { decodeTime } from 'ulid';

export interface LagWindow {
  /** Start of the window (ISO). */
  readonly from: string;
  /** Samples the decider took up in the window (decided or passed over). */
  readonly samples: number;
  /** Of those, passed over as stale. */
  readonly skippedStale: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly maxMs: number;
}

export class DeciderLag {
  readonly #windowMs: number;
  readonly #windows = new Map<number, { ages: number[]; skipped: number }>();

  constructor(windowMs = 5 * 60_000) {
    this.#windowMs = windowMs;
  }

  /** One decider log entry about a sample: its log time, its action id, whether it was skipped as stale. */
  observe(loggedAt: Date, sampleActionId: string, skippedStale: boolean): void {
    let minted: number;
    try {
      minted = decodeTime(sampleActionId);
    } catch {
      return; // not a ULID: not a sample's id
    }
    const at = loggedAt.getTime();
    const key = Math.floor(at / this.#windowMs) * this.#windowMs;
    const window = this.#windows.get(key) ?? { ages: [], skipped: 0 };
    window.ages.push(Math.max(0, at - minted));
    if (skippedStale) window.skipped += 1;
    this.#windows.set(key, window);
  }

  windows(): LagWindow[] {
    return [...this.#windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([from, w]) => {
        const ages = [...w.ages].sort((a, b) => a - b);
        const at = (q: number) => ages[Math.floor(q * (ages.length - 1))] ?? 0;
        return {
          from: new Date(from).toISOString(),
          samples: ages.length,
          skippedStale: w.skipped,
          p50Ms: at(0.5),
          p90Ms: at(0.9),
          maxMs: at(1),
        };
      });
  }
}

/** One line for the soak's table: the sample age p50 per window, with skips. */
export function lagLine(windows: readonly LagWindow[]): string {
  if (windows.length === 0) return 'no samples reached the decider';
  return windows
    .map(
      (w) =>
        `${w.from.slice(11, 16)} ${(w.p50Ms / 1000).toFixed(1)}s${w.skippedStale > 0 ? ` (${w.skippedStale}/${w.samples} stale)` : ''}`,
    )
    .join(', ');
}
