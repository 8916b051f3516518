import type { Reason } from '@smartscale/contracts';
import type { Situation } from './context.js';
import type { Pressure } from './pressure.js';
import { reasons } from './reasons.js';

/**
 * Application triggers (`appTriggers` in the config) whose signal in the
 * snapshot crossed its threshold; a trigger with no signal does not fire
 * (see silentAppTriggers). Each asks for its `addNodes`.
 */
export function firedAppTriggers({ snapshot, config }: Situation): Pressure[] {
  return config.appTriggers.flatMap((trigger) => {
    const value = snapshot.appSignals?.[trigger.name];
    if (value === undefined) return [];
    const fired =
      trigger.direction === 'above' ? value > trigger.threshold : value < trigger.threshold;
    if (!fired) return [];
    const reason = reasons.AppTrigger({
      trigger: trigger.name,
      direction: trigger.direction,
      value,
      threshold: trigger.threshold,
      sustainSeconds: trigger.sustainSeconds,
    });
    return [{ reason, nodes: trigger.addNodes }];
  });
}

/**
 * Configured application triggers with no value in the snapshot: the
 * sampler leaves a trigger out when its query failed or returned no series
 * (and the whole record when Prometheus could not be read). Like a partial
 * CPU reading, a silent trigger may hide demand, so scale-down holds.
 */
export function silentAppTriggers({ snapshot, config }: Situation): string[] {
  return config.appTriggers
    .filter((trigger) => snapshot.appSignals?.[trigger.name] === undefined)
    .map((trigger) => trigger.name);
}

/** `metrics-incomplete` naming the silent triggers, or nothing when every trigger has a value. */
export function silentAppTriggerReasons(ctx: Situation, scalingDown: boolean): Reason[] {
  const triggers = silentAppTriggers(ctx);
  return triggers.length > 0 ? [reasons.MetricsIncomplete({ triggers, scalingDown })] : [];
}
