import type { Reason } from '@smartscale/contracts';
import { firedAppTriggers } from './app-triggers.js';
import { capReasons } from './caps.js';
import { type Gate, holdsOf, type Situation, type Trigger } from './context.js';
import { cooldownAfterScaleUp } from './cooldowns.js';
import { reasons } from './reasons.js';

/** One sustained signal that fired, and the nodes it asks for (0 or less: just the one step). */
export interface Pressure {
  readonly reason: Reason;
  readonly nodes: number;
}

/** CPU above the threshold over the whole scale-up window; enough nodes to bring it to the target. */
function cpuPressure({ snapshot, fleet, config }: Situation): Pressure[] {
  const u = snapshot.utilization;
  if (!u.available || !(u.cpu.upWindowMin > config.scaleUp.cpuThreshold)) return [];
  const base = Math.max(fleet.ready, 1);
  const reason = reasons.CpuHigh({
    cpu: u.cpu.now,
    windowMin: u.cpu.upWindowMin,
    threshold: config.scaleUp.cpuThreshold,
    sustainSeconds: config.scaleUp.cpuSustainSeconds,
  });
  return [
    { reason, nodes: Math.ceil((base * u.cpu.now) / config.scaleUp.targetCpuUtilization) - base },
  ];
}

/** Memory above the threshold now; enough nodes to bring it between the two thresholds. */
function memoryPressure({ snapshot, fleet, config }: Situation): Pressure[] {
  const u = snapshot.utilization;
  if (!u.available || !(u.memory.now > config.scaleUp.memoryThreshold)) return [];
  const base = Math.max(fleet.ready, 1);
  const target = (config.scaleUp.memoryThreshold + config.scaleDown.memoryThreshold) / 2;
  const reason = reasons.MemoryHigh({
    memory: u.memory.now,
    threshold: config.scaleUp.memoryThreshold,
  });
  return [{ reason, nodes: Math.ceil((base * u.memory.now) / target) - base }];
}

/** Nodes still joining: their capacity counts before more are added. */
const joiningFirst: Gate = ({ fleet }) =>
  fleet.incoming > 0
    ? reasons.ScaleUpInFlight({ incoming: fleet.incoming, holding: 'scale-up' })
    : null;

const atMax: Gate = ({ fleet, config }) =>
  config.workers.max - fleet.workers <= 0 ? reasons.AtMax({ max: config.workers.max }) : null;

/** What holds a sustained trigger back, in order; only the first that holds is said. */
const pressureGates: readonly Gate[] = [cooldownAfterScaleUp, joiningFirst, atMax];

/**
 * Scale-up for sustained pressure: CPU, memory and application triggers
 * together, one step sized by the signal that asks most, after the
 * scale-up cooldown and once joining nodes have joined.
 */
export const sustainedPressure: Trigger = (ctx) => {
  const fired = [...cpuPressure(ctx), ...memoryPressure(ctx), ...firedAppTriggers(ctx)];
  if (fired.length === 0) return {};
  const triggers = fired.map((p) => p.reason);
  const [hold] = holdsOf(pressureGates, ctx);
  if (hold) return { held: [...triggers, hold] };
  const { fleet, config } = ctx;
  const needed = Math.max(1, ...fired.map((p) => p.nodes));
  const count = Math.min(needed, config.workers.max - fleet.workers, config.scaleUp.maxStep);
  return {
    proposal: { count, reasons: [...triggers, ...capReasons(count, needed, fleet, config)] },
  };
};
