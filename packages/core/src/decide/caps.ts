import type { Reason } from '@smartscale/contracts';
import type { Config } from '../config.js';
import type { Fleet } from './fleet.js';
import { reasons } from './reasons.js';

/**
 * Why a proposal adds fewer nodes than it needs: max when the room left
 * under it is what limits, else the step limit. None when nothing was cut.
 */
export function capReasons(count: number, needed: number, fleet: Fleet, config: Config): Reason[] {
  if (count >= needed) return [];
  const room = config.workers.max - fleet.workers;
  return room <= config.scaleUp.maxStep
    ? [reasons.CappedByMax({ needed, max: config.workers.max })]
    : [reasons.CappedByStep({ needed, step: config.scaleUp.maxStep })];
}
