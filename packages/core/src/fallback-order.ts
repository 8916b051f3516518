import type { CapacityType, LaunchChoice } from '@smartscale/contracts';

/** A zone and capacity type a launch may try. */
export interface LaunchPool {
  readonly zone: string;
  readonly capacityType: CapacityType;
}

/** One attempt of a launch, in the order tried. */
export interface LaunchOption extends LaunchPool {
  /**
   * The types this attempt offers, together. Absent: the slot's own type
   * tiers (the planner's type, then larger ones; every type when none).
   */
  readonly instanceTypes?: readonly string[];
}

/** A type that can take the replaced worker's pods, with what it costs them. */
export interface HostingType {
  readonly instanceType: string;
  /**
   * Cost per pod of the replaced worker's pods by capacity type (or, pods
   * unknown, the price per unit of its capacity): lower is tried first.
   */
  readonly cost: Readonly<Record<CapacityType, number>>;
}

export interface LaunchOrderRequest {
  /** The first pool: the planned one, or the replaced worker's. */
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly zones: readonly string[];
  /** The replaced worker's type (and its Spot alternatives, if known); absent for a scale-up. */
  readonly replaced?: { readonly instanceType: string; readonly alternatives?: readonly string[] };
  /** Other types that host the replaced worker's pods; the order breaks ties in cost. */
  readonly others?: readonly HostingType[];
}

/**
 * Pools for a launch that hit a capacity error: the same capacity type in
 * the other zones first, then the other capacity type in every zone.
 *
 * @example
 * fallbacks('a', 'spot', ['a', 'b']) // b/spot, a/on-demand, b/on-demand
 */
export function fallbacks(
  zone: string,
  capacityType: CapacityType,
  zones: readonly string[],
): LaunchPool[] {
  const other: CapacityType = capacityType === 'spot' ? 'on-demand' : 'spot';
  const rest = zones.filter((z) => z !== zone);
  return [
    ...rest.map((z) => ({ zone: z, capacityType })),
    ...[zone, ...rest].map((z) => ({ zone: z, capacityType: other })),
  ];
}

/**
 * Every attempt of one slot's launch, in order; the provisioner and the
 * simulator both follow it.
 *
 * Without a replaced type (a scale-up, an older ReplaceCapacity): the first
 * pool, then `fallbacks`, each offering the slot's type tiers.
 *
 * A replacement of a known type: per capacity type (the replaced worker's,
 * then the other), its type (Spot: with its alternatives) in its zone, the
 * same type in the other zones, then each other hosting type by cost, in
 * every zone. With no other type this is the same pools in the same order
 * as `fallbacks`.
 *
 * Zone spread yields to price here on purpose: offering any type in the
 * crunched zone first took a type costing twice as much per pod (a
 * c7g.xlarge for three pods) whenever the replaced type was dry there, and
 * that worker then ran for days, while a zone left one worker short is
 * evened out by the next scale-ups (the purchase plan fills the emptiest
 * zone first).
 *
 * @example
 * launchOrder({ zone: 'a', capacityType: 'spot', zones: ['a', 'b'],
 *   replaced: { instanceType: 't3.medium' },
 *   others: [{ instanceType: 'c7g.xlarge', cost: { spot: 2, 'on-demand': 6 } }] })
 * // t3.medium a/spot, b/spot; c7g.xlarge a/spot, b/spot; t3.medium a/on-demand, b/on-demand; c7g.xlarge ...
 */
export function launchOrder(request: LaunchOrderRequest): LaunchOption[] {
  const { zone, capacityType, zones, replaced } = request;
  if (replaced === undefined)
    return [{ zone, capacityType }, ...fallbacks(zone, capacityType, zones)];
  const inZoneOrder = [zone, ...zones.filter((z) => z !== zone)];
  const other: CapacityType = capacityType === 'spot' ? 'on-demand' : 'spot';
  const attempts = (type: CapacityType): LaunchOption[] => {
    // On-demand (lowest-price) would take the cheapest offered, so the replaced type goes alone.
    const own = [
      replaced.instanceType,
      ...(type === 'spot'
        ? (replaced.alternatives ?? []).filter((t) => t !== replaced.instanceType)
        : []),
    ];
    const ranked = (request.others ?? [])
      .filter((t) => !own.includes(t.instanceType))
      .map((t, i) => ({ t, i }))
      .sort((a, b) => a.t.cost[type] - b.t.cost[type] || a.i - b.i)
      .map(({ t }) => t.instanceType);
    return [own, ...ranked.map((t) => [t])].flatMap((instanceTypes) =>
      inZoneOrder.map((z) => ({ zone: z, capacityType: type, instanceTypes })),
    );
  };
  return [...attempts(capacityType), ...attempts(other)];
}

/**
 * The launch (type, count, alternatives) a slot belongs to: a scale-up's
 * `launches` fill slots in order, slot 0 the first; slots past them (workers
 * beyond the pods' plan) belong to none. The provisioner and the simulator
 * both read a slot's type this way.
 *
 * @example
 * launchOfSlot([{ instanceType: 'm7g.large', count: 2 }], 1)?.instanceType // 'm7g.large'
 */
export function launchOfSlot(
  launches: readonly LaunchChoice[] | undefined,
  slot: number,
): LaunchChoice | undefined {
  let first = 0;
  for (const l of launches ?? []) {
    if (slot < first + l.count) return l;
    first += l.count;
  }
  return undefined;
}
