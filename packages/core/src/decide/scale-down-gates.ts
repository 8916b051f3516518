import type { ClusterSnapshot, ClusterState, Reason, Utilization } from '@smartscale/contracts';
import type { Config } from '../config.js';
import { type DecideContext, type Gate, holdsOf, type Situation } from './context.js';
import { cooldownAfterScaleDown, cooldownAfterScaleUp } from './cooldowns.js';
import type { Fleet } from './fleet.js';
import { predictedRiseAhead } from './forecast.js';
import { reasons } from './reasons.js';

/** A utilization reading that has CPU and memory. */
export type Usage = Extract<Utilization, { available: true }>;

/** What the CPU and memory rule reads once the metrics are known to be there. */
export interface ScaleDownContext extends DecideContext {
  readonly usage: Usage;
}

const pendingPodsPresent: Gate = ({ snapshot }) =>
  snapshot.pendingPods.length > 0
    ? reasons.PendingPodsPresent({ pods: snapshot.pendingPods.length })
    : null;

const atMin: Gate = ({ fleet, config }) =>
  fleet.workers <= config.workers.min ? reasons.AtMin({ min: config.workers.min }) : null;

const drainsInFlight: Gate = ({ state, config }) => {
  const draining = state.inFlight.filter((a) => a.kind === 'scale-down').length;
  return draining >= config.scaleDown.maxStep ? reasons.ScaleDownInFlight({ draining }) : null;
};

const nodesJoining: Gate = ({ fleet }) =>
  fleet.incoming > 0
    ? reasons.ScaleUpInFlight({ incoming: fleet.incoming, holding: 'scale-down' })
    : null;

const nodesNotReady: Gate = ({ fleet }) =>
  fleet.notReady > 0 ? reasons.NodesNotReady({ nodes: fleet.notReady }) : null;

/**
 * What holds back any scale-down, whatever its trigger (CPU thresholds or
 * requests-based consolidation), in the order the reasons are given.
 */
export const anyScaleDownGates: readonly Gate[] = [
  pendingPodsPresent,
  atMin,
  drainsInFlight,
  nodesJoining,
  nodesNotReady,
  cooldownAfterScaleUp,
];

/**
 * The holds on any scale-down: pods pending, at min, a drain or a launch in
 * flight, a node not Ready, the scale-up cooldown. Empty when none holds.
 *
 * @example
 * const holds = scaleDownGates(snapshot, state, countFleet(snapshot, state), config, now);
 */
export function scaleDownGates(
  snapshot: ClusterSnapshot,
  state: ClusterState,
  fleet: Fleet,
  config: Config,
  now: Date,
): Reason[] {
  return holdsOf<Situation>(anyScaleDownGates, { snapshot, state, fleet, config, now });
}

/** CPU (highest over the window) and memory with one Ready node fewer. */
function afterRemoval({ usage, fleet }: ScaleDownContext) {
  const after = Math.max(fleet.ready - 1, 1);
  return {
    cpu: (usage.cpu.downWindowMax * fleet.ready) / after,
    memory: (usage.memory.downWindowMax * fleet.ready) / after,
  };
}

const cpuNotLow: Gate<ScaleDownContext> = ({ usage, config }) =>
  usage.cpu.downWindowMax >= config.scaleDown.cpuThreshold
    ? reasons.CpuNotLow({
        windowMax: usage.cpu.downWindowMax,
        sustainSeconds: config.scaleDown.sustainSeconds,
        threshold: config.scaleDown.cpuThreshold,
      })
    : null;

const memoryNotLow: Gate<ScaleDownContext> = ({ usage, config }) =>
  usage.memory.downWindowMax >= config.scaleDown.memoryThreshold
    ? reasons.MemoryNotLow({
        windowMax: usage.memory.downWindowMax,
        threshold: config.scaleDown.memoryThreshold,
      })
    : null;

/** Usage that is not low: no scale-down trigger holds at all. */
export const usageGates: readonly Gate<ScaleDownContext>[] = [cpuNotLow, memoryNotLow];

/** The scale-down cooldown, skipped for a fleet still idle with one node fewer. */
const cooldownUnlessSurplus: Gate<ScaleDownContext> = (ctx) => {
  const projected = afterRemoval(ctx);
  const { scaleDown } = ctx.config;
  const surplus =
    scaleDown.skipCooldownWhenSurplus &&
    projected.cpu < scaleDown.cpuThreshold &&
    projected.memory < scaleDown.memoryThreshold;
  return cooldownAfterScaleDown(ctx, surplus);
};

/** A removal the CPU trigger would undo at once is churn. */
export const projectedCpuTooHigh: Gate<ScaleDownContext> = (ctx) => {
  const { cpu } = afterRemoval(ctx);
  const target = ctx.config.scaleUp.targetCpuUtilization;
  return cpu >= target ? reasons.ProjectedCpuTooHigh({ projectedCpu: cpu, target }) : null;
};

/**
 * The holds on removing a node for low usage, in order: those on any
 * scale-down, the scale-down cooldown, a predicted rise, the projection.
 */
export const lowUsageGates: readonly Gate<ScaleDownContext>[] = [
  ...anyScaleDownGates,
  cooldownUnlessSurplus,
  predictedRiseAhead,
  projectedCpuTooHigh,
];

/** Why usage is low enough to remove a node. */
export function lowUsage({ usage, config }: ScaleDownContext): Reason[] {
  return [
    reasons.CpuLow({
      windowMax: usage.cpu.downWindowMax,
      sustainSeconds: config.scaleDown.sustainSeconds,
      threshold: config.scaleDown.cpuThreshold,
    }),
    reasons.MemoryLow({
      windowMax: usage.memory.downWindowMax,
      threshold: config.scaleDown.memoryThreshold,
    }),
  ];
}
