import type { Reason, UnhostablePod } from '@smartscale/contracts';
import { freeRoom } from '../binpack.js';
import { planScaleUp } from '../capacity-planner.js';
import { type Config, podAllocatable } from '../config.js';
import {
  blendedHourlyUsd,
  describeLaunches,
  type InstanceCatalog,
  type InstanceMixPlan,
  planInstanceMix,
  type TypedBin,
} from '../instance-mix.js';
import { bySize, typeAllocatable } from '../instance-types.js';
import { planPurchase } from '../purchase-plan.js';
import { capReasons } from './caps.js';
import type { DecideContext, Trigger } from './context.js';
import { reasons } from './reasons.js';

/**
 * The share of this scale-up's new workers the purchase plan buys as Spot,
 * at the most it may add now: prices are weighed by it.
 */
function spotShareOfNew(ctx: DecideContext): number {
  const { config, fleet, snapshot } = ctx;
  const n = Math.max(1, Math.min(config.scaleUp.maxStep, config.workers.max - fleet.workers));
  const existing = snapshot.nodes
    .filter((node) => node.managed)
    .map((node) => ({ zone: 'any', capacityType: node.capacityType ?? 'on-demand' }));
  const slots = planPurchase(n, existing, ['any'], config);
  return slots.filter((s) => s.capacityType === 'spot').length / n;
}

/**
 * Room of the workers still launching: a scale-up's workers as the planner
 * chose their types (the smallest of its types first, as the workers that
 * joined are not known), the others as the smallest resolved type
 * (config.instance.capacity), type unknown, so they may host any pod.
 */
function incomingBins(ctx: DecideContext, catalog: InstanceCatalog): TypedBin[] {
  const byName = new Map(catalog.types.map((t) => [t.instanceType, t]));
  const typed: TypedBin[] = [];
  for (const a of ctx.state.inFlight) {
    if (a.kind === 'scale-down' || a.pendingJoins === 0 || !a.instanceTypes) continue;
    const known = a.instanceTypes
      .flatMap((name) => byName.get(name) ?? [])
      .sort(bySize)
      .slice(0, a.pendingJoins);
    for (const t of known)
      typed.push({ ...typeAllocatable(t, ctx.config), instanceType: t.instanceType });
  }
  const kept = typed.slice(0, ctx.fleet.incoming);
  const unknown = Math.max(0, ctx.fleet.incoming - kept.length);
  return [...kept, ...Array.from({ length: unknown }, () => podAllocatable(ctx.config))];
}

/** The scale-up across several instance types: which types, how many, and why. */
function planAcrossTypes(
  ctx: DecideContext,
  catalog: InstanceCatalog,
  due: DecideContext['snapshot']['pendingPods'],
) {
  const share = spotShareOfNew(ctx);
  const { snapshot, fleet, config } = ctx;
  return planInstanceMix(
    {
      pendingPods: due,
      offers: catalog.types.map((type) => ({
        type,
        hourlyUsd: blendedHourlyUsd(catalog.prices, type.instanceType, share),
      })),
      currentWorkers: fleet.workers,
      existingFree: [
        ...snapshot.nodes
          .filter((n) => n.ready && !n.unschedulable)
          .map((n) => ({
            ...freeRoom(n),
            ...(n.instanceType ? { instanceType: n.instanceType } : {}),
          })),
        ...incomingBins(ctx, catalog),
      ],
    },
    config,
  );
}

/**
 * Scale-up for pods the scheduler cannot place, past the grace and sized by
 * bin packing; not subject to cooldown, since idle pods cost most.
 */
export const pendingPods: Trigger = (ctx) => {
  const { snapshot, fleet, config, now } = ctx;
  const pending = snapshot.pendingPods;
  if (pending.length === 0) return {};
  const graceMs = config.scaleUp.pendingGraceSeconds * 1000;
  const due = pending.filter((p) => now.getTime() - Date.parse(p.pendingSince) >= graceMs);
  const held: Reason[] = [];
  if (due.length < pending.length)
    held.push(
      reasons.PendingWithinGrace({
        pods: pending.length - due.length,
        graceSeconds: config.scaleUp.pendingGraceSeconds,
      }),
    );
  if (due.length === 0) return { held };
  const catalog = ctx.catalog;
  const plan =
    catalog && catalog.types.length > 1
      ? planAcrossTypes(ctx, catalog, due)
      : planScaleUp(
          {
            pendingPods: due,
            currentWorkers: fleet.workers,
            incomingWorkers: fleet.incoming,
            existingFree: snapshot.nodes.filter((n) => n.ready && !n.unschedulable).map(freeRoom),
          },
          config,
        );
  if (plan.nodesNeeded === 0) {
    if (plan.podsOnIncoming > 0)
      held.push(
        reasons.PendingCoveredByInFlight({ pods: plan.podsOnIncoming, incoming: fleet.incoming }),
      );
    return { held };
  }
  if (plan.nodesToAdd === 0) {
    held.push(reasons.AtMax({ pods: due.length, max: config.workers.max }));
    return { held };
  }
  const launches = 'launches' in plan ? (plan as InstanceMixPlan).launches : undefined;
  return {
    proposal: {
      count: plan.nodesToAdd,
      ...(launches
        ? {
            launches: launches.map((l) => ({
              instanceType: l.instanceType,
              count: l.count,
              ...(l.alternatives.length > 0 ? { alternatives: [...l.alternatives] } : {}),
            })),
          }
        : {}),
      reasons: [
        reasons.PendingPods({
          pods: due.length,
          nodesNeeded: plan.nodesNeeded,
          podsOnIncoming: plan.podsOnIncoming,
          instanceType: config.instance.type,
          ...(launches ? { chosen: describeLaunches(launches) } : {}),
        }),
        ...capReasons(plan.nodesToAdd, plan.nodesNeeded, fleet, config),
      ],
    },
    held,
  };
};

/** At most this many unhostable pods travel in a decision (message and audit item sizes). */
export const MAX_LISTED_UNHOSTABLE = 50;

/**
 * The unhostable pods a decision lists: one per owner first (so every owner
 * up to the limit is named, and announced), then more pods of the same owners.
 */
function listUnhostable(all: readonly UnhostablePod[]): UnhostablePod[] {
  const seen = new Set<string>();
  const first: UnhostablePod[] = [];
  const rest: UnhostablePod[] = [];
  for (const u of all) {
    if (seen.has(u.owner)) rest.push(u);
    else {
      seen.add(u.owner);
      first.push(u);
    }
  }
  return [...first, ...rest].slice(0, MAX_LISTED_UNHOSTABLE);
}

/** Pending pods no new worker could host: reported beside the decision, never acted on. */
export function unhostableInfo(unhostable: readonly UnhostablePod[], config: Config): Reason[] {
  if (unhostable.length === 0) return [];
  return [
    reasons.PendingUnhostable({
      unhostable,
      listed: listUnhostable(unhostable),
      instanceType: config.instance.type,
    }),
  ];
}
