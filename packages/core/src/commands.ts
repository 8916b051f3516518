import {
  type AnyEnvelope,
  type Decision,
  type Envelope,
  followUp,
  type InFlightAction,
} from '@smartscale/contracts';
import type { Config } from './config.js';

/** The scale-down drain of `victim`, due `drainTimeoutSeconds` after `startedAt`. */
export function drainCommand(
  sample: Envelope<'MetricsSampled'>,
  victim: { nodeName: string; instanceId: string },
  config: Config,
  startedAt: Date,
): AnyEnvelope {
  const deadline = new Date(
    startedAt.getTime() + config.scaleDown.drainTimeoutSeconds * 1000,
  ).toISOString();
  return followUp(
    sample,
    'DrainNode',
    { ...victim, deadline, reason: 'scale-down', drainStartedAt: startedAt.toISOString() },
    startedAt,
  );
}

/**
 * What a decision publishes, in order: the command that acts on it
 * (ScaleUp, or the scale-down's DrainNode), then DecisionMade for people,
 * holds included.
 *
 * @example
 * for (const msg of commandsFor(sample, decision, sample.payload.nodes.length, config, now)) await publish(msg);
 */
export function commandsFor(
  sample: Envelope<'MetricsSampled'>,
  decision: Decision,
  workers: number,
  config: Config,
  now: Date,
): AnyEnvelope[] {
  const made = followUp(
    sample,
    'DecisionMade',
    { decision, snapshotTakenAt: sample.payload.takenAt, workers },
    now,
  );
  if (decision.kind === 'scale-up') {
    const reason = decision.reasons.map((r) => r.code).join(',');
    const launches = decision.launches ? { launches: decision.launches } : {};
    return [followUp(sample, 'ScaleUp', { count: decision.count, reason, ...launches }, now), made];
  }
  if (decision.kind === 'scale-down')
    return [drainCommand(sample, decision.victim, config, now), made];
  return [made];
}

/**
 * The command of an action already recorded for this sample, to publish
 * again after a crash between saving state and publishing. A scale-up that
 * has launched instances was delivered already; downstream dedup by
 * actionId makes any other repeat harmless. A drain keeps the deadline of
 * its action's start, and past that deadline is not sent again: the drainer
 * has given up on it (or will), and a late redelivery must not start it anew.
 */
export function commandForRecorded(
  sample: Envelope<'MetricsSampled'>,
  action: InFlightAction,
  config: Config,
  now: Date,
): AnyEnvelope | null {
  const startedAt = new Date(action.startedAt);
  if (action.kind === 'scale-down' && action.nodeName && action.instanceIds[0]) {
    const deadline = startedAt.getTime() + config.scaleDown.drainTimeoutSeconds * 1000;
    if (now.getTime() >= deadline) return null;
    return drainCommand(
      sample,
      { nodeName: action.nodeName, instanceId: action.instanceIds[0] },
      config,
      startedAt,
    );
  }
  const launchSeen = action.instanceIds.length > 0 || action.settledInstanceIds.length > 0;
  if (action.kind === 'scale-up' && !launchSeen && action.pendingJoins > 0) {
    const launches = launchesOf(action.instanceTypes, action.pendingJoins);
    return followUp(
      sample,
      'ScaleUp',
      { count: action.pendingJoins, reason: 'redelivered', ...(launches ? { launches } : {}) },
      startedAt,
    );
  }
  return null;
}

/** The recorded per-worker types as a ScaleUp's launches (the first `count`), or undefined. */
function launchesOf(
  types: readonly string[] | undefined,
  count: number,
): { instanceType: string; count: number }[] | undefined {
  const launches: { instanceType: string; count: number }[] = [];
  for (const t of (types ?? []).slice(0, count)) {
    const last = launches.at(-1);
    if (last?.instanceType === t) last.count += 1;
    else launches.push({ instanceType: t, count: 1 });
  }
  return launches.length > 0 ? launches : undefined;
}
