// The soak's fault schedule: a pure function of the seed, so a seed that
// broke an invariant replays the same faults at the same offsets. What a
// fault hits (which worker, which queue's message) is chosen when it fires,
// from the live state, by the `pick` drawn here: the schedule stays
// reproducible while the cluster it meets may differ from run to run.

/** Every kind of fault the soak injects (issue #19's menu). */
export const FAULT_KINDS = [
  'kill-service',
  'terminate-worker',
  'stop-worker',
  'dead-letter',
  'spot-warning',
  'rebalance',
  'pause',
  // A message delivered 2-3 times, and one delivered late.
  'duplicate-message',
  'delay-message',
  // EC2 through the proxy in front of moto.
  'ec2-capacity',
  'ec2-throttle',
  'ec2-slow',
  // The API server and Prometheus through their proxies.
  'kube-api-errors',
  'prometheus-down',
  // The cluster's own parts.
  'kubelet-stop',
  'never-join',
  'pdb-block',
  // The ledger in DynamoDB.
  'dead-lock-owner',
  'state-contention',
  'state-change-events',
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
  /** A fault that lasts (ec2-*, kube-api-errors, prometheus-down, kubelet-stop, pdb-block, state-contention): how long. */
  readonly durationMs?: number;
  /** delay-message: seconds the message is held back (SQS DelaySeconds). */
  readonly delaySeconds?: number;
}

/** How long each lasting fault lasts: [shortest, longest] ms, drawn uniformly. */
export const DURATION_MS: Partial<Record<FaultKind, readonly [number, number]>> = {
  // Launches come every ~25 s of a soak: shorter EC2 faults met none in
  // the first runs (no proxy hit at 8-20 s and 3-8 s on seeds 1-3).
  'ec2-capacity': [20_000, 40_000],
  'ec2-throttle': [10_000, 20_000],
  'ec2-slow': [8_000, 15_000],
  'kube-api-errors': [3_000, 8_000],
  // "Down for a minute" of wall clock would outlast a CI soak; 15-45 s is
  // still 15-45 minutes of the compressed policy's time.
  'prometheus-down': [15_000, 45_000],
  'kubelet-stop': [8_000, 20_000],
  'pdb-block': [10_000, 25_000],
  'state-contention': [3_000, 6_000],
};

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
 * The faults of one soak, in time order: gaps drawn around `meanGapMs`, the
 * kind from a shuffled bag of every kind (each kind once per
 * FAULT_KINDS.length faults, so a short soak still meets most of the menu),
 * and each kind's own parameters.
 *
 * @example
 * faultSchedule(42, { windowMs: 120_000, meanGapMs: 15_000 }).length // ~8
 */
export function faultSchedule(seed: number, options: ScheduleOptions): ScheduledFault[] {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!(options.meanGapMs > 0)) throw new RangeError('meanGapMs must be positive');
  const next = seededRandom(seed);
  const faults: ScheduledFault[] = [];
  let bag: FaultKind[] = [];
  let at = 0;
  for (;;) {
    at += Math.round(options.meanGapMs * (0.5 + next()));
    if (at >= options.windowMs) return faults;
    if (bag.length === 0) bag = [...FAULT_KINDS];
    // One draw per fault picks from what is left in the bag.
    const kind = bag.splice(Math.floor(next() * bag.length), 1)[0] as FaultKind;
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
      ...(kind === 'duplicate-message' ? { copies: 2 + Math.floor(extra * 2) } : {}),
      ...(kind === 'delay-message' ? { delaySeconds: 3 + Math.floor(extra * 8) } : {}),
      ...durationOf(kind, extra, options.windowMs - at),
    });
  }
}

/** A lasting fault's length, ended with the fault window so the settle window is fault-free and CI time bounded. */
function durationOf(kind: FaultKind, extra: number, leftMs: number): { durationMs?: number } {
  const range = DURATION_MS[kind];
  if (!range) return {};
  return { durationMs: Math.min(leftMs, Math.round(range[0] + extra * (range[1] - range[0]))) };
}

/** Faults per kind, every kind listed (0 when none). */
export function countByKind(faults: readonly { kind: FaultKind }[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of faults) counts[f.kind] += 1;
  return counts;
}
