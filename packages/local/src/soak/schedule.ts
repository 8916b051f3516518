// The soak's fault schedule: a pure function of the seed, so a seed that
// broke an invariant replays the same faults at the same offsets. What a
// fault hits (which worker, which queue's message) is chosen when it fires,
// from the live state, by the `pick` drawn here: the schedule stays
// reproducible while the cluster it meets may differ from run to run.

/** Every kind of fault this first cut of the soak injects (issue #19's menu, a subset). */
export const FAULT_KINDS = [
  'kill-service',
  'terminate-worker',
  'stop-worker',
  'dead-letter',
  'spot-warning',
  'rebalance',
  'pause',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Services the soak may SIGKILL (the local runtime restarts them, as Lambda would). */
export const KILLABLE_SERVICES = [
  'sampler',
  'decider',
  'provisioner',
  'join-verifier',
  'drainer',
  'notifier',
  'spot-listener',
  'reconciler',
] as const;

export interface ScheduledFault {
  /** Milliseconds after the fault window opens. */
  readonly atMs: number;
  readonly kind: FaultKind;
  /** In [0, 1): picks the target among those live when the fault fires. */
  readonly pick: number;
  /** kill-service: the service to kill. */
  readonly service?: (typeof KILLABLE_SERVICES)[number];
  /** spot-warning / rebalance: how many identical copies EventBridge gets (2-3: the duplicate is the fault). */
  readonly copies?: number;
  /** pause: how long the cluster stays paused before `smartscale resume`. */
  readonly pauseMs?: number;
}

/**
 * mulberry32: a tiny seeded PRNG (32-bit state), plenty for a schedule and
 * identical on every platform, unlike Math.random.
 *
 * @example
 * const next = seededRandom(7); next(); // always the same first number for seed 7
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScheduleOptions {
  /** Length of the fault window; no fault is scheduled at or after it. */
  readonly windowMs: number;
  /** Mean gap between two faults (gaps are uniform in [0.5, 1.5] x this). */
  readonly meanGapMs: number;
}

/**
 * The faults of one soak, in time order: gaps drawn around `meanGapMs`, a
 * kind drawn uniformly from FAULT_KINDS, and each kind's own parameters.
 *
 * @example
 * faultSchedule(42, { windowMs: 120_000, meanGapMs: 15_000 }).length // ~8
 */
export function faultSchedule(seed: number, options: ScheduleOptions): ScheduledFault[] {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!(options.meanGapMs > 0)) throw new RangeError('meanGapMs must be positive');
  const next = seededRandom(seed);
  const faults: ScheduledFault[] = [];
  let at = 0;
  for (;;) {
    at += Math.round(options.meanGapMs * (0.5 + next()));
    if (at >= options.windowMs) return faults;
    const kind = FAULT_KINDS[Math.floor(next() * FAULT_KINDS.length)] as FaultKind;
    const pick = next();
    // Every fault draws the same number of values, so adding a parameter to
    // one kind does not shift the schedule of every later fault.
    const extra = next();
    faults.push({
      atMs: at,
      kind,
      pick,
      ...(kind === 'kill-service'
        ? { service: KILLABLE_SERVICES[Math.floor(extra * KILLABLE_SERVICES.length)] }
        : {}),
      ...(kind === 'spot-warning' || kind === 'rebalance'
        ? { copies: 2 + Math.floor(extra * 2) }
        : {}),
      ...(kind === 'pause' ? { pauseMs: Math.round(options.meanGapMs * (0.3 + extra)) } : {}),
    });
  }
}

/** Faults per kind, every kind listed (0 when none). */
export function countByKind(faults: readonly { kind: FaultKind }[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of faults) counts[f.kind] += 1;
  return counts;
}
