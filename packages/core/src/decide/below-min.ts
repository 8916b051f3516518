import type { Trigger } from './context.js';
import { reasons } from './reasons.js';

/** Restore min workers; never subject to cooldown (pending pods may need more). */
export const belowMin: Trigger = ({ fleet, config }) =>
  fleet.workers < config.workers.min
    ? {
        proposal: {
          count: Math.min(config.workers.min - fleet.workers, config.scaleUp.maxStep),
          reasons: [reasons.BelowMin({ workers: fleet.workers, min: config.workers.min })],
        },
      }
    : {};
