import type { DemandPoint } from '@smartscale/contracts';

const WEEK_SECONDS = 7 * 86_400;

/**
 * The demand history the sampler would hand the decider: for each
 * completed time-of-day slot (aligned to the wall clock) the peak of the
 * requested CPU and memory in it, stamped at the slot's centre, over the
 * last 7 days. Only the simulated past goes in, so a run's first day has no
 * previous day to learn from.
 *
 * @example
 * const history = new DemandHistory(600, startAt);
 * history.record(t, replicas * 500, replicas * 512 * MiB);
 * decide({ ...snapshot, demandHistory: history.points() }, state, config, now);
 */
export class DemandHistory {
  readonly #slotSeconds: number;
  readonly #startSeconds: number;
  readonly #keep: number;
  readonly #points: DemandPoint[] = [];
  #slot: number | null = null;
  #cpuPeak = 0;
  #memoryPeak = 0;

  constructor(slotSeconds: number, startAt: Date) {
    if (!Number.isInteger(slotSeconds) || slotSeconds <= 0)
      throw new RangeError(
        `demand history slotSeconds: expected a positive whole number, got ${slotSeconds}`,
      );
    this.#slotSeconds = slotSeconds;
    this.#startSeconds = startAt.getTime() / 1000;
    this.#keep = Math.ceil(WEEK_SECONDS / slotSeconds);
  }

  /** Demand at `t` seconds into the run; calls come in time order. */
  record(t: number, cpuMillis: number, memoryBytes: number): void {
    const slot = Math.floor((this.#startSeconds + t) / this.#slotSeconds);
    if (this.#slot !== null && slot !== this.#slot) this.#close();
    if (this.#slot !== slot) {
      this.#slot = slot;
      this.#cpuPeak = cpuMillis;
      this.#memoryPeak = memoryBytes;
      return;
    }
    this.#cpuPeak = Math.max(this.#cpuPeak, cpuMillis);
    this.#memoryPeak = Math.max(this.#memoryPeak, memoryBytes);
  }

  /** Completed slots of the last 7 days, oldest first. */
  points(): readonly DemandPoint[] {
    return this.#points;
  }

  #close(): void {
    const centre = ((this.#slot as number) + 0.5) * this.#slotSeconds;
    this.#points.push({
      at: new Date(centre * 1000).toISOString(),
      cpuMillis: this.#cpuPeak,
      memoryBytes: this.#memoryPeak,
    });
    if (this.#points.length > this.#keep) this.#points.shift();
  }
}
