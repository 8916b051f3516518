import type { Situation } from './context.js';
import type { Pressure } from './pressure.js';
import { reasons } from './reasons.js';

/**
 * Application triggers (`appTriggers` in the config) whose signal in the
 * snapshot crossed its threshold; a trigger with no signal does not fire.
 * Each asks for its `addNodes`.
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
