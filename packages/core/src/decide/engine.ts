import type {
  ClusterSnapshot,
  ClusterState,
  Decision,
  LaunchChoice,
  Reason,
} from '@smartscale/contracts';
import type { Config } from '../config.js';
import { consolidate } from '../consolidation.js';
import { demandPattern } from '../forecast.js';
import type { InstanceCatalog } from '../instance-mix.js';
import { classifyPendingPods } from '../pending-pods.js';
import { silentAppTriggerReasons } from './app-triggers.js';
import { belowMin } from './below-min.js';
import {
  type DecideContext,
  type DecideInput,
  type Gate,
  holdsOf,
  type TriggerOutcome,
} from './context.js';
import { countFleet } from './fleet.js';
import { predictedRise } from './forecast.js';
import { pendingPods, unhostableInfo } from './pending-pods.js';
import { sustainedPressure } from './pressure.js';
import { reasons } from './reasons.js';
import { paused, sampleStale } from './sample-gates.js';
import { lowUsage, lowUsageGates, type ScaleDownContext, usageGates } from './scale-down-gates.js';
import { removeOneNode } from './victim.js';

/** Before anything is counted: a stale sample, then a pause; the first that holds is the decision. */
const sampleGates: readonly Gate<DecideInput>[] = [sampleStale, paused];

const hold = (why: readonly Reason[]): Decision => ({ kind: 'hold', reasons: [...why] });

/** The context every trigger and gate reads; only hostable pending pods count. */
function contextOf(input: DecideInput, hostable: ClusterSnapshot['pendingPods']): DecideContext {
  const { snapshot, config, now } = input;
  return {
    ...input,
    snapshot: { ...snapshot, pendingPods: hostable },
    fleet: countFleet(snapshot, input.state),
    pattern: demandPattern(snapshot.demandHistory ?? [], now, config),
  };
}

/**
 * The scale-up triggers, in the order their reasons are given. Pre-scaling
 * runs only when neither pending pods nor pressure proposes: those size the
 * step on what the cluster needs now.
 */
function scaleUpOutcomes(ctx: DecideContext): TriggerOutcome[] {
  const reactive = [belowMin(ctx), pendingPods(ctx), sustainedPressure(ctx)];
  const [, pending, pressure] = reactive;
  return pending?.proposal || pressure?.proposal ? reactive : [...reactive, predictedRise(ctx)];
}

/**
 * Remove one node for low CPU and memory (and, with the consolidation
 * profile, for low requests), unless a gate holds. Never on a partial reading: CPU and memory missing or incomplete, or an application
 * trigger without a value (issue #17), each hold with its reason.
 */
function considerScaleDown(ctx: DecideContext): Decision {
  const usage = ctx.snapshot.utilization;
  const silent = silentAppTriggerReasons(ctx, true);
  if (!usage.available) return hold([metricsMissing(usage, true), ...silent]);
  // Some step of the window had too few workers reporting: "low" is unproven.
  const gap = usage.downWindowIncomplete;
  if (gap)
    return hold([
      reasons.MetricsIncomplete({
        coverage: gap,
        detail: `only ${gap.stepsCovered ?? 0} of ${gap.steps ?? 0} steps of the scale-down window had enough workers reporting (fewest ${gap.reporting} of ${gap.expected})`,
        scalingDown: true,
      }),
      ...silent,
    ]);
  if (silent.length > 0) return hold(silent);
  const down = { ...ctx, usage };
  const byUsage = scaleDownForUsage(down);
  if (ctx.config.scaleDown.profile !== 'consolidation' || byUsage.kind !== 'hold') return byUsage;
  // The consolidation profile: requests may free a node the CPU rule keeps.
  const byRequests = consolidate(down);
  if (byRequests.kind !== 'hold') return byRequests;
  // Both hold: the CPU rule's reasons, then consolidation's own (a gate they share is said once).
  const said = new Set(byUsage.reasons.map((r) => r.code));
  return hold([...byUsage.reasons, ...byRequests.reasons.filter((r) => !said.has(r.code))]);
}

/** The seed documents' rule: remove one node for low CPU and memory, unless a gate holds. */
function scaleDownForUsage(down: ScaleDownContext): Decision {
  const notLow = holdsOf(usageGates, down);
  if (notLow.length > 0) return hold([reasons.NoTrigger(), ...notLow]);
  const holds = holdsOf(lowUsageGates, down);
  if (holds.length > 0) return hold(holds);
  return removeOneNode(down, lowUsage(down), 'usage');
}

/** Why there is no reading: too few workers reported (metrics-incomplete), or none at all. */
function metricsMissing(
  u: Extract<DecideContext['snapshot']['utilization'], { available: false }>,
  scalingDown: boolean,
): Reason {
  return u.unavailable
    ? reasons.MetricsIncomplete({ coverage: u.unavailable, detail: u.reason, scalingDown })
    : reasons.MetricsUnavailable({ detail: u.reason, scalingDown });
}

/** Held triggers, or pending pods with none, make a hold; so do missing metrics beside them. */
function holdForPending(ctx: DecideContext, held: readonly Reason[]): Reason[] {
  const u = ctx.snapshot.utilization;
  const missing = [
    ...(u.available ? [] : [metricsMissing(u, false)]),
    ...silentAppTriggerReasons(ctx, false),
  ];
  const why = [...held, ...missing];
  return why.length > 0
    ? why
    : [reasons.PendingPodsPresent({ pods: ctx.snapshot.pendingPods.length })];
}

/**
 * SmartScale's policy: one evaluation of the cluster. Pure: the same
 * snapshot, state, config and `now` always give the same decision, and
 * every decision, holds included, carries its reasons.
 *
 * Scale up when ANY holds: unschedulable pods past the grace (sized by bin
 * packing, ignoring cooldown since idle pods cost most), sustained CPU or
 * memory pressure or an application trigger (respecting the scale-up
 * cooldown), a rise the daily pattern predicts, or fewer than min workers.
 * Scale down one node when ALL hold: low CPU and memory over the window
 * (or, with `scaleDown.profile: "consolidation"`, the pods' peak requests
 * plus headroom fit on one node fewer), nothing pending, above min, no
 * action in flight, both cooldowns passed, no predicted rise, and a victim
 * whose pods fit elsewhere; with several instance types, the one whose
 * removal saves the most.
 *
 * With a `catalog` of two or more resolved instance types, pending pods are
 * packed across them (cheapest per pod, node selectors and architecture
 * respected) and the scale-up names the types (`launches`).
 *
 * @example
 * const decision = decide(snapshot, state, config, new Date());
 */
export function decide(
  snapshot: ClusterSnapshot,
  state: ClusterState,
  config: Config,
  now: Date,
  catalog?: InstanceCatalog,
): Decision {
  const input: DecideInput = { snapshot, state, config, now, ...(catalog ? { catalog } : {}) };
  const [gated] = holdsOf(sampleGates, input);
  if (gated) return hold([gated]);

  const types = catalog && catalog.types.length > 1 ? catalog.types : undefined;
  const { hostable, unhostable } = classifyPendingPods(snapshot.pendingPods, config, types);
  const ctx = contextOf(input, hostable);
  const outcomes = scaleUpOutcomes(ctx);
  const proposals = outcomes.flatMap((o) => o.proposal ?? []);
  const held = outcomes.flatMap((o) => o.held ?? []);
  // Unhostable pods and prediction notes inform; they never turn a scale-down into a hold.
  const info = [...unhostableInfo(unhostable, config), ...outcomes.flatMap((o) => o.info ?? [])];

  if (proposals.length > 0) {
    const room = Math.max(0, config.workers.max - ctx.fleet.workers);
    const count = Math.min(Math.max(...proposals.map((p) => p.count)), room);
    // The pending pods' types lead; workers another trigger adds beyond
    // them have no chosen type (the provisioner offers every resolved type).
    const launches = limitLaunches(proposals.find((p) => p.launches)?.launches, count);
    return {
      kind: 'scale-up',
      count,
      ...(launches ? { launches } : {}),
      reasons: [...proposals.flatMap((p) => p.reasons), ...held, ...info],
    };
  }
  if (held.length > 0 || ctx.snapshot.pendingPods.length > 0)
    return hold([...holdForPending(ctx, held), ...info]);
  const down = considerScaleDown(ctx);
  return info.length > 0 ? { ...down, reasons: [...down.reasons, ...info] } : down;
}

/** The first `count` workers of `launches`, or undefined when none. */
function limitLaunches(
  launches: readonly LaunchChoice[] | undefined,
  count: number,
): LaunchChoice[] | undefined {
  if (!launches) return undefined;
  let budget = count;
  const kept: LaunchChoice[] = [];
  for (const l of launches) {
    const n = Math.min(l.count, budget);
    if (n > 0) kept.push({ ...l, count: n });
    budget -= n;
  }
  return kept.length > 0 ? kept : undefined;
}
