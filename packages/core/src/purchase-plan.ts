import type { CapacityType } from '@smartscale/contracts';
import type { Config } from './config.js';

/** A worker that exists or is launching, as the purchase plan sees it. */
export interface ExistingWorker {
  readonly zone: string;
  readonly capacityType: CapacityType;
}

/** One launch slot: where and how to buy a new worker. */
export interface LaunchSlot {
  readonly zone: string;
  readonly capacityType: CapacityType;
}

/**
 * Splits `count` new workers into Spot and on-demand so the whole fleet
 * approaches `purchase.spotShare`, keeping `purchase.onDemandBase` workers
 * on-demand, and spreads them over `zones` so every zone holds about as many
 * workers as the others.
 *
 * @example
 * planPurchase(3, existing, ['eu-west-1a', 'eu-west-1b'], config)
 */
export function planPurchase(
  count: number,
  existing: readonly ExistingWorker[],
  zones: readonly string[],
  config: Config,
): LaunchSlot[] {
  if (zones.length === 0) throw new Error('planPurchase: expected at least one availability zone');
  const total = existing.length + count;
  const spotNow = existing.filter((w) => w.capacityType === 'spot').length;
  const spotCap = Math.max(0, total - config.purchase.onDemandBase);
  const spotTarget = Math.min(Math.round(total * config.purchase.spotShare), spotCap);
  const spotNew = Math.max(0, Math.min(count, spotTarget - spotNow));
  const onDemandNew = count - spotNew;

  const perZone = new Map(zones.map((z) => [z, 0]));
  for (const w of existing)
    if (perZone.has(w.zone)) perZone.set(w.zone, (perZone.get(w.zone) ?? 0) + 1);
  const nextZone = () => {
    let best = zones[0] as string;
    for (const z of zones) if ((perZone.get(z) ?? 0) < (perZone.get(best) ?? 0)) best = z;
    perZone.set(best, (perZone.get(best) ?? 0) + 1);
    return best;
  };
  const slots: LaunchSlot[] = [];
  for (let i = 0; i < onDemandNew; i++) slots.push({ zone: nextZone(), capacityType: 'on-demand' });
  for (let i = 0; i < spotNew; i++) slots.push({ zone: nextZone(), capacityType: 'spot' });
  return slots;
}
