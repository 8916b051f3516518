import type { ClusterSnapshot, Decision } from '@smartscale/contracts';
import type { Config } from '../config.js';
import { type DecideInput, type Gate, secondsSince } from './context.js';
import { reasons } from './reasons.js';

/**
 * A sample older than `samples.maxAgeSeconds`: a backlog or a replay must
 * not act on a cluster that has moved on. A takenAt ahead of `now` (clock
 * skew) counts as fresh.
 */
export const sampleStale: Gate<Pick<DecideInput, 'snapshot' | 'config' | 'now'>> = ({
  snapshot,
  config,
  now,
}) => {
  const age = secondsSince(snapshot.takenAt, now);
  const limit = config.samples.maxAgeSeconds;
  if (!(age > limit)) return null;
  return reasons.SampleStale({
    ageSeconds: Math.round(age),
    maxAgeSeconds: limit,
    takenAt: snapshot.takenAt,
  });
};

/** An operator paused scaling (`smartscale pause`). */
export const paused: Gate<Pick<DecideInput, 'state'>> = ({ state }) =>
  state.paused ? reasons.Paused({ by: state.paused.by, reason: state.paused.reason }) : null;

/**
 * A hold for a sample older than `samples.maxAgeSeconds`; null when fresh.
 *
 * @example
 * const hold = staleSampleHold(snapshot, config, new Date());
 */
export function staleSampleHold(
  snapshot: ClusterSnapshot,
  config: Config,
  now: Date,
): Decision | null {
  const stale = sampleStale({ snapshot, config, now });
  return stale ? { kind: 'hold', reasons: [stale] } : null;
}
