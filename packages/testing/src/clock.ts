/**
 * A clock a test moves by hand, so a workflow's deadlines, leases and
 * backoffs pass in no time at all. `now` is a bound arrow: hand it to ports as is.
 *
 * @example
 * const clock = new MovableClock('2026-03-02T12:00:00Z');
 * const ports = { now: clock.now, ... };
 * clock.advance(30);
 */
export class MovableClock {
  #ms: number;

  constructor(start: string | Date = '2026-03-02T12:00:00.000Z') {
    this.#ms = new Date(start).getTime();
  }

  readonly now = (): Date => new Date(this.#ms);

  /** Moves the clock forward (or back, with a negative number) by `seconds`. */
  advance(seconds: number): void {
    this.#ms += seconds * 1000;
  }

  set(to: string | Date): void {
    this.#ms = new Date(to).getTime();
  }

  /** The ISO time `offsetSeconds` from now (negative: in the past). */
  at(offsetSeconds: number): string {
    return new Date(this.#ms + offsetSeconds * 1000).toISOString();
  }
}
