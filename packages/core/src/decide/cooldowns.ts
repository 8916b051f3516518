import type { Reason } from '@smartscale/contracts';
import { type DecideInput, type Gate, secondsSince } from './context.js';
import { reasons } from './reasons.js';

/** The scale-up cooldown: it holds back both a sustained trigger's scale-up and any scale-down. */
export const cooldownAfterScaleUp: Gate<DecideInput> = ({ state, config, now }) => {
  const sinceSeconds = secondsSince(state.lastScaleUpAt, now);
  const cooldownSeconds = config.scaleUp.cooldownSeconds;
  return sinceSeconds < cooldownSeconds
    ? reasons.CooldownAfterScaleUp({ sinceSeconds, cooldownSeconds })
    : null;
};

/**
 * The scale-down cooldown, unless `surplus`: a fleet still idle with one
 * node fewer sheds its surplus one node per drain instead of one per
 * cooldown (min node age still prevents flapping).
 */
export function cooldownAfterScaleDown(
  { state, config, now }: DecideInput,
  surplus: boolean,
): Reason | null {
  const sinceSeconds = secondsSince(state.lastScaleDownAt, now);
  const cooldownSeconds = config.scaleDown.cooldownSeconds;
  return sinceSeconds < cooldownSeconds && !surplus
    ? reasons.CooldownAfterScaleDown({ sinceSeconds, cooldownSeconds })
    : null;
}
