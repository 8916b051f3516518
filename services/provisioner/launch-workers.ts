import type { AvoidedPool } from '@smartscale/aws';
import type { AnyEnvelope, CapacityType, Envelope, LaunchChoice } from '@smartscale/contracts';
import { followUp } from '@smartscale/contracts';
import {
  type Config,
  fallbacks,
  type HostingType,
  type LaunchSlot,
  launchOfSlot,
  launchOrder,
  type PriceBook,
  planPurchase,
  priceBook,
  type ResolvedInstanceType,
} from '@smartscale/core';

// Moved to core (the simulator follows the same order); kept here for callers.
export { fallbacks };

/** An EC2 worker as the provisioner sees it. */
export interface Worker {
  readonly instanceId: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly instanceType: string;
  /** The slot of its action it fills (0-based); absent on workers launched without slots. */
  readonly slot?: number;
}

/**
 * One RunInstances call: one worker for one slot of the action, in one zone
 * and capacity type. The slot keys the launch (dedup record, ClientToken,
 * tag), so every fallback attempt of every slot is its own launch.
 */
export interface LaunchGroup {
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly count: 1;
  readonly slot: number;
  /** Types to offer (one CreateFleet, EC2 picks the pool); absent: the launch template's type. */
  readonly instanceTypes?: readonly string[];
  /** The AMI of each offered type whose architecture is not the launch template's. */
  readonly imageIds?: Readonly<Record<string, string>>;
  /** Told the pools a fleet launch reported as failed, also when another type launched. */
  readonly onPoolErrors?: (errors: readonly PoolError[]) => void;
}

/** A pool (type, zone, capacity type) a fleet launch could not launch in. */
export interface PoolError {
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly error: string;
  readonly message: string;
}

/** A pool launches leave out until `until`, shared by every provisioner invocation (the store's shape). */
export type { AvoidedPool } from '@smartscale/aws';

/**
 * How long a pool that answered insufficient capacity is left out: 3
 * minutes, as Karpenter's unavailable-offerings cache. Long enough not to
 * ask a dry pool again on the next message, short enough that capacity
 * coming back is used.
 */
export const POOL_AVOID_SECONDS = 180;

/** Errors that mean "this type, in this zone, now": the pool is avoided for POOL_AVOID_SECONDS. */
const POOL_CAPACITY_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'UnfulfillableCapacity',
]);

/** A zone and capacity type that refused a launch with a "not here, not now" error. */
export interface UnavailablePool {
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** EC2's error code, e.g. InsufficientInstanceCapacity. */
  readonly error: string;
  /** What it means and what to do, for people reading the event or the audit. */
  readonly reason: string;
  /** The instance type of the pool; absent when the refusal covered every type offered. */
  readonly instanceType?: string;
  /** Until when launches avoid the pool. */
  readonly avoidedUntil?: string;
}

/** What the provisioner needs; `packages/aws` implements it on EC2. */
export interface ProvisionerPorts {
  readonly config: Config;
  readonly zones: readonly string[];
  readonly now: () => Date;
  /** Live workers already launched for this action (tag `smartscale:action-id`). */
  findByAction(actionId: string): Promise<Worker[]>;
  /** Running or pending workers of this cluster. */
  describeWorkers(): Promise<Worker[]>;
  /** Launches one slot once: a repeat returns the workers of the first launch. */
  launch(actionId: string, group: LaunchGroup): Promise<Worker[]>;
  publish(message: AnyEnvelope): Promise<void>;
  /** Sends straight to the command's queue with a delivery delay in whole seconds. */
  publishDelayed(message: AnyEnvelope, delaySeconds: number): Promise<void>;
  /**
   * The instance types resolved from the configuration, in order of
   * preference: each launch is a fleet launch offering them (or the
   * ScaleUp's `instanceTypes`). Absent: RunInstances of the template's type.
   */
  readonly instanceTypes?: readonly string[];
  /**
   * The same types as EC2 described them (architecture, vCPU, memory): a
   * slot the planner gave a type falls back, on insufficient capacity, to
   * the other types of its architecture at least as large.
   */
  readonly resolvedTypes?: readonly ResolvedInstanceType[];
  /** AMI per type whose architecture is not the launch template's (instance.imageIds). */
  readonly imageIds?: Readonly<Record<string, string>>;
  /** Pools avoided after insufficient capacity, kept where later invocations see them. */
  readonly avoidedPools?: {
    active(now: Date): Promise<AvoidedPool[]>;
    avoid(pools: readonly AvoidedPool[]): Promise<void>;
  };
}

/**
 * Why a launch was refused, when the refusal means "this pool, not now":
 * `scope` says whether only the zone is out (`pool`) or the capacity type in
 * every zone of the region (`capacity-type`: quotas and the Spot role are
 * regional or account-wide, so trying the other zones would only repeat it).
 */
export interface PoolRefusal {
  readonly error: string;
  readonly scope: 'pool' | 'capacity-type';
  readonly reason: string;
}

/** The role EC2 needs to launch Spot Instances; API callers must create it once per account. */
export const SPOT_SERVICE_LINKED_ROLE = 'AWSServiceRoleForEC2Spot';

const ZONE_SHORT: Record<string, string> = {
  InsufficientInstanceCapacity: 'EC2 has no capacity for this instance type in this zone now',
  InsufficientCapacity: 'EC2 has no capacity for this request in this zone now',
  InsufficientHostCapacity: 'EC2 has no dedicated host capacity in this zone now',
  InsufficientFreeAddressesInSubnet:
    "the zone's worker subnet has no free IP addresses; use a larger subnet or free addresses",
  SpotMaxPriceTooLow: 'the Spot price in this zone is above the configured maximum price',
  UnfulfillableCapacity: 'EC2 cannot fulfil this request in this zone now',
};

function errorCode(err: unknown): string | undefined {
  const e = err as { name?: string; Code?: string; code?: string } | undefined;
  return [e?.Code, e?.code, e?.name].find((c) => typeof c === 'string' && c !== 'Error');
}

/**
 * A refusal the provisioner answers by trying elsewhere (other zones, then
 * the other capacity type), else undefined: the error is a real fault and
 * the message is retried. A permission error counts only when it is the
 * missing Spot service-linked role on a Spot launch; any other permission
 * error is a broken deployment and must not be hidden by on-demand launches.
 *
 * @example
 * classifyRefusal({ name: 'VcpuLimitExceeded' }, 'on-demand')?.scope // 'capacity-type'
 */
export function classifyRefusal(err: unknown, capacityType: CapacityType): PoolRefusal | undefined {
  const error = errorCode(err);
  if (error === undefined) return undefined;
  const zoneShort = ZONE_SHORT[error];
  if (zoneShort !== undefined) return { error, scope: 'pool', reason: zoneShort };
  if (error === 'MaxSpotInstanceCountExceeded')
    return {
      error,
      scope: 'capacity-type',
      reason:
        "the account's Spot vCPU quota in this region is used up; ask for more in Service Quotas (All Standard Spot Instance Requests)",
    };
  if (error === 'VcpuLimitExceeded')
    return {
      error,
      scope: 'capacity-type',
      reason:
        capacityType === 'spot'
          ? "the account's Spot vCPU quota in this region is used up; ask for more in Service Quotas (All Standard Spot Instance Requests)"
          : "the account's On-Demand vCPU quota in this region is used up; ask for more in Service Quotas (Running On-Demand Standard instances)",
    };
  const message = (err as { message?: unknown }).message;
  const permission = /^(AuthFailure|UnauthorizedOperation)/.test(error);
  const spotRole =
    /ServiceLinkedRole/i.test(error) ||
    (typeof message === 'string' &&
      (message.includes(SPOT_SERVICE_LINKED_ROLE) || /service-linked role/i.test(message)));
  if (capacityType === 'spot' && permission && spotRole)
    return {
      error,
      scope: 'capacity-type',
      reason: `Spot is refused in this account: the service-linked role ${SPOT_SERVICE_LINKED_ROLE} is missing; create it once with "aws iam create-service-linked-role --aws-service-name spot.amazonaws.com" (on-demand launches meanwhile)`,
    };
  return undefined;
}

/** True for EC2 errors that mean "not here, not now" for a launch of `capacityType`: try elsewhere, not again. */
export function isCapacityError(err: unknown, capacityType: CapacityType): boolean {
  return classifyRefusal(err, capacityType) !== undefined;
}

export interface LaunchOutcome {
  /** Workers this delivery launched, in slot order. */
  readonly launched: Worker[];
  /**
   * Pools that refused, once each, in zone order. A refusal for the whole
   * capacity type (a quota, the Spot role) lists every zone of that type.
   */
  readonly unavailablePools: UnavailablePool[];
  /** Slots of a ScaleUp left unlaunched because the fleet had reached workers.max by then. */
  readonly heldAtMax?: number;
}

/** The first choice of zone and capacity type for each missing slot. */
export interface SlotPlan {
  readonly slot: number;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** The type the planner chose for this slot (ScaleUp `launches`); absent: any offered type. */
  readonly instanceType?: string;
  /**
   * Types the planner found as good per pod for this slot (its launch's
   * `alternatives`): a Spot launch offers them beside the chosen type.
   */
  readonly alternatives?: readonly string[];
  /** A replacement's: the replaced worker's type (ReplaceCapacity `instanceType`), tried first. */
  readonly replacedType?: string;
}

/**
 * The offered types that surely host a replaced worker's pods, whose pods
 * the provisioner does not know: its architecture (an image may be built
 * for one) and at least its vCPU and memory; each priced per unit of the
 * replaced worker's size, so a type twice as large at twice the price ties.
 *
 * @example
 * hostingTypes('t3.medium', ['t3.medium', 't3.large', 'm7g.large'], resolved, prices) // t3.large only
 */
export function hostingTypes(
  replaced: string,
  offered: readonly string[],
  resolved: readonly ResolvedInstanceType[] | undefined,
  prices: PriceBook,
): HostingType[] {
  const own = resolved?.find((t) => t.instanceType === replaced);
  if (own === undefined) return [];
  return offered.flatMap((name) => {
    const t = resolved?.find((r) => r.instanceType === name);
    if (
      name === replaced ||
      t === undefined ||
      t.architecture !== own.architecture ||
      t.vcpu < own.vcpu ||
      t.memoryMiB < own.memoryMiB
    )
      return [];
    const size = Math.min(t.vcpu / own.vcpu, t.memoryMiB / own.memoryMiB);
    return [
      {
        instanceType: name,
        cost: {
          spot: prices.hourlyUsd(name, 'spot') / size,
          'on-demand': prices.hourlyUsd(name, 'on-demand') / size,
        },
      },
    ];
  });
}

/**
 * The type of each slot from a ScaleUp's `launches`, in slot order: slot 0
 * gets the first type; slots past them get none.
 *
 * @example
 * typeOfSlot([{ instanceType: 'm7g.large', count: 2 }, { instanceType: 't3.large', count: 1 }], 2) // 't3.large'
 */
export function typeOfSlot(
  launches: readonly LaunchChoice[] | undefined,
  slot: number,
): string | undefined {
  return launchOfSlot(launches, slot)?.instanceType;
}

/**
 * The AMI of each resolved type whose architecture `instance.imageIds`
 * names; the others launch the launch template's AMI.
 *
 * @example
 * imageIdsByType([m7gLarge, t3Large], { arm64: 'ami-0abc12345' }) // { 'm7g.large': 'ami-0abc12345' }
 */
export function imageIdsByType(
  types: readonly ResolvedInstanceType[],
  imageIds: Config['instance']['imageIds'],
): Record<string, string> {
  return Object.fromEntries(
    types.flatMap((t) => {
      const ami = imageIds?.[t.architecture];
      return ami ? [[t.instanceType, ami]] : [];
    }),
  );
}

/**
 * The types a slot offers, in tiers tried one after the other in each
 * zone and capacity type: the planner's type (the pods planned for it need
 * its architecture and size) - for Spot with the planner's alternatives,
 * so price-capacity-optimized chooses among several pools instead of
 * draining one; on-demand alone, since lowest-price would take the
 * cheapest, which is the chosen type - then, on insufficient capacity, the
 * other resolved types of its architecture at least as large. A slot with
 * no chosen type (or a type not resolved) offers every type at once, as
 * before.
 */
export function slotTypeTiers(
  chosen: string | undefined,
  offered: readonly string[],
  resolved: readonly ResolvedInstanceType[] | undefined,
  spot?: { readonly alternatives?: readonly string[] },
): (readonly string[])[] {
  if (chosen === undefined || !offered.includes(chosen)) return [offered];
  const first = [
    chosen,
    ...(spot?.alternatives ?? []).filter((t) => t !== chosen && offered.includes(t)),
  ];
  const own = resolved?.find((t) => t.instanceType === chosen);
  const rest = offered.filter((name) => {
    if (first.includes(name)) return false;
    if (own === undefined) return true;
    const t = resolved?.find((r) => r.instanceType === name);
    return (
      t !== undefined &&
      t.architecture === own.architecture &&
      t.vcpu >= own.vcpu &&
      t.memoryMiB >= own.memoryMiB
    );
  });
  return rest.length > 0 ? [first, rest] : [first];
}

/**
 * Slots of the action that no live worker fills. Workers without a slot tag
 * (launched before slots) fill the lowest free slots, so they are not
 * launched again.
 *
 * @example
 * missingSlots(3, [{ slot: 1, ... }]) // [0, 2]
 */
export function missingSlots(wanted: number, already: readonly Worker[]): number[] {
  const filled = new Set(already.flatMap((w) => (w.slot === undefined ? [] : [w.slot])));
  const free = Array.from({ length: wanted }, (_, n) => n).filter((n) => !filled.has(n));
  return free.slice(already.filter((w) => w.slot === undefined).length);
}

/**
 * Where each missing slot should go first. A replacement goes where the
 * doomed worker was (same zone, same capacity type, and its type when the
 * message names it), which keeps the zone balance and the purchase mix;
 * everything else follows the purchase plan. Where it falls back is
 * core's launchOrder.
 */
export function planSlots(
  command: Envelope<'ScaleUp'> | Envelope<'ReplaceCapacity'>,
  slots: readonly number[],
  existing: readonly Worker[],
  ports: Pick<ProvisionerPorts, 'zones' | 'config'>,
): SlotPlan[] {
  const planned = planPurchase(slots.length, existing, ports.zones, ports.config);
  const doomed = command.type === 'ReplaceCapacity' ? command.payload : undefined;
  return slots.map((slot, i) => {
    const plan = planned[i] as LaunchSlot;
    const zone =
      doomed?.zone !== undefined && ports.zones.includes(doomed.zone) ? doomed.zone : plan.zone;
    const launch =
      command.type === 'ScaleUp' ? launchOfSlot(command.payload.launches, slot) : undefined;
    return {
      slot,
      zone,
      capacityType: doomed?.capacityType ?? plan.capacityType,
      ...(launch ? { instanceType: launch.instanceType } : {}),
      ...(launch?.alternatives?.length ? { alternatives: launch.alternatives } : {}),
      ...(doomed?.instanceType ? { replacedType: doomed.instanceType } : {}),
    };
  });
}

function poolKey(pool: { zone: string; capacityType: CapacityType }): string {
  return `${pool.zone}/${pool.capacityType}`;
}

/**
 * Launches one worker per planned slot, each falling back to other zones and
 * then the other capacity type on refusals that mean "this pool, not now"
 * (classifyRefusal). Slots launch in parallel (a scale-up should not wait on
 * ten sequential RunInstances); a pool found unavailable is skipped by
 * attempts that have not tried it yet. Other errors propagate after every
 * slot settled (the message is retried; the slots that launched are recorded
 * and tagged, so only the rest launch again).
 *
 * Refusals are not remembered past this call: a missing Spot role or a used
 * quota costs one refused RunInstances per slot (in parallel, nothing
 * launched, nothing billed) and is reported on every launch it affects, while
 * a remembered refusal would keep launching on-demand after the operator
 * fixed it, with no visible state saying why.
 */
export async function launchSlots(
  actionId: string,
  plans: readonly SlotPlan[],
  ports: ProvisionerPorts,
  chosenTypes?: readonly string[],
): Promise<LaunchOutcome> {
  const unavailable = new Map<string, UnavailablePool>();
  const offered = offeredTypes(chosenTypes, ports.instanceTypes);
  const now = ports.now();
  // Pools avoided by this or an earlier invocation; new ones join as they fail.
  const avoided = new Map<string, AvoidedPool>(
    (ports.avoidedPools ? await ports.avoidedPools.active(now) : []).map((p) => [
      typePoolKey(p),
      p,
    ]),
  );
  const newlyAvoided: AvoidedPool[] = [];
  const until = new Date(now.getTime() + POOL_AVOID_SECONDS * 1000).toISOString();
  const onPoolErrors = (errors: readonly PoolError[]) => {
    for (const e of errors) {
      if (!POOL_CAPACITY_ERRORS.has(e.error) || avoided.has(typePoolKey(e))) continue;
      const pool: AvoidedPool = {
        instanceType: e.instanceType,
        zone: e.zone,
        capacityType: e.capacityType,
        until,
        error: e.error,
        reason: `${classifyRefusal({ name: e.error }, e.capacityType)?.reason ?? e.message}; avoided for ${POOL_AVOID_SECONDS} s`,
      };
      avoided.set(typePoolKey(pool), pool);
      newlyAvoided.push(pool);
    }
  };
  const typesFor = (
    option: { zone: string; capacityType: CapacityType },
    tier: readonly string[],
  ) => tier.filter((t) => !avoided.has(typePoolKey({ instanceType: t, ...poolOf(option) })));
  const imagesFor = (types: readonly string[]) => {
    const images = Object.fromEntries(
      types.flatMap((t) => (ports.imageIds?.[t] ? [[t, ports.imageIds[t]]] : [])),
    );
    return Object.keys(images).length > 0 ? { imageIds: images } : {};
  };
  // A replacement's attempts name their types: a pool dry for one type may
  // still have another, so they skip only what refused them (or the whole
  // capacity type), not the pool.
  const refusedTyped = new Set<string>();
  const refusedCapacity = new Set<CapacityType>();
  const refuse = (
    option: { zone: string; capacityType: CapacityType },
    refusal: PoolRefusal,
    types: readonly string[] = [],
  ) => {
    if (refusal.scope === 'capacity-type') refusedCapacity.add(option.capacityType);
    for (const t of types) refusedTyped.add(typePoolKey({ instanceType: t, ...poolOf(option) }));
    const zones = refusal.scope === 'pool' ? [option.zone] : ports.zones;
    for (const zone of zones) {
      const pool = { zone, capacityType: option.capacityType };
      // The first refusal of a pool is what it answered (or would have).
      if (!unavailable.has(poolKey(pool)))
        unavailable.set(poolKey(pool), { ...pool, error: refusal.error, reason: refusal.reason });
    }
  };
  const prices = priceBook(ports.config);
  const launchOne = async (plan: SlotPlan): Promise<Worker[]> => {
    const replaced =
      plan.replacedType !== undefined && offered?.includes(plan.replacedType)
        ? plan.replacedType
        : undefined;
    const order = launchOrder({
      zone: plan.zone,
      capacityType: plan.capacityType,
      zones: ports.zones,
      ...(replaced !== undefined && offered !== undefined
        ? {
            replaced: { instanceType: replaced },
            others: hostingTypes(replaced, offered, ports.resolvedTypes, prices),
          }
        : {}),
    });
    for (const option of order) {
      const typed = option.instanceTypes?.filter(
        (t) => !refusedTyped.has(typePoolKey({ instanceType: t, ...poolOf(option) })),
      );
      if (typed === undefined ? unavailable.has(poolKey(option)) : typed.length === 0) continue;
      if (refusedCapacity.has(option.capacityType)) continue;
      // Per option: a Spot slot that falls back to on-demand offers the chosen type alone.
      const tiers = typed
        ? [typed]
        : offered
          ? slotTypeTiers(
              plan.instanceType,
              offered,
              ports.resolvedTypes,
              option.capacityType === 'spot'
                ? { alternatives: plan.alternatives ?? [] }
                : undefined,
            )
          : [];
      if (offered === undefined) {
        // No resolved types: one RunInstances of the launch template's type.
        try {
          return await ports.launch(actionId, {
            zone: option.zone,
            capacityType: option.capacityType,
            count: 1,
            slot: plan.slot,
          });
        } catch (err) {
          const refusal = classifyRefusal(err, option.capacityType);
          if (refusal === undefined) throw err;
          refuse(poolOf(option), refusal);
          continue;
        }
      }
      let refusal: PoolRefusal | undefined;
      for (const tier of tiers) {
        const types = typesFor(option, tier);
        // Every type of the tier is avoided here: a launch would only be refused again.
        if (types.length === 0) continue;
        try {
          return await ports.launch(actionId, {
            zone: option.zone,
            capacityType: option.capacityType,
            count: 1,
            slot: plan.slot,
            instanceTypes: types,
            onPoolErrors,
            ...imagesFor(types),
          });
        } catch (err) {
          refusal = classifyRefusal(err, option.capacityType);
          if (refusal === undefined) throw err;
          // A quota or the Spot role: no other type of this capacity type helps.
          if (refusal.scope === 'capacity-type') break;
        }
      }
      refuse(
        poolOf(option),
        refusal ?? {
          error: 'PoolsAvoided',
          scope: 'pool',
          reason: `every instance type offered (${tiers.flat().join(', ')}) answered insufficient capacity here less than ${POOL_AVOID_SECONDS} s ago`,
        },
        typed,
      );
    }
    return [];
  };
  const results = await Promise.allSettled(plans.map(launchOne));
  // Remembered before any error propagates: a retry must not ask a dry pool again.
  if (newlyAvoided.length > 0) await ports.avoidedPools?.avoid(newlyAvoided);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const order = (p: UnavailablePool) =>
    ports.zones.indexOf(p.zone) * 2 + (p.capacityType === 'spot' ? 0 : 1);
  // Every pool left out of this launch, by type: those found dry now and
  // those still avoided from before, so the event and the audit say why a
  // type was not offered.
  const byType: UnavailablePool[] = [...avoided.values()]
    .filter((p) => offered?.includes(p.instanceType) && ports.zones.includes(p.zone))
    .map((p) => ({
      zone: p.zone,
      capacityType: p.capacityType,
      error: p.error,
      reason: p.reason,
      instanceType: p.instanceType,
      avoidedUntil: p.until,
    }));
  return {
    launched: results.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])),
    unavailablePools: [...unavailable.values(), ...byType].sort(
      (a, b) => order(a) - order(b) || (a.instanceType ?? '').localeCompare(b.instanceType ?? ''),
    ),
  };
}

function typePoolKey(p: { instanceType: string; zone: string; capacityType: CapacityType }) {
  return `${p.instanceType}/${p.zone}/${p.capacityType}`;
}

/**
 * The types a launch offers: the command's choice (the planner's, in order
 * of preference) kept to the resolved types, since only those were checked
 * against EC2 and are allowed by IAM; the resolved types when the command
 * names none or none of its types are resolved.
 */
export function offeredTypes(
  chosen: readonly string[] | undefined,
  resolved: readonly string[] | undefined,
): readonly string[] | undefined {
  if (resolved === undefined) return undefined;
  const kept = (chosen ?? []).filter((t) => resolved.includes(t));
  return kept.length > 0 ? kept : resolved;
}

function poolOf(option: { zone: string; capacityType: CapacityType }) {
  return { zone: option.zone, capacityType: option.capacityType };
}

function distinct(workers: readonly Worker[]): Worker[] {
  return [...new Map(workers.map((w) => [w.instanceId, w])).values()];
}

/**
 * Handles ScaleUp and ReplaceCapacity: launch once per slot of the action (a
 * redelivered or replayed command finds the action's workers by tag and
 * launches only the slots still empty), then publish InstancesLaunched and a
 * delayed VerifyJoin naming each worker once.
 */
export async function provision(
  command: Envelope<'ScaleUp'> | Envelope<'ReplaceCapacity'>,
  ports: ProvisionerPorts,
): Promise<LaunchOutcome> {
  const wanted = command.type === 'ScaleUp' ? command.payload.count : 1;
  // The decider never asks for more than the cluster may have; a ScaleUp
  // that does is forged or replayed from another policy (issue #21 item 5).
  if (wanted > ports.config.workers.max) {
    await ports.publish(
      followUp(
        command,
        'ActionFailed',
        {
          step: 'launch',
          reason: 'count-over-max',
          detail: `ScaleUp asks for ${wanted} workers, over workers.max ${ports.config.workers.max}: nothing launched`,
        },
        ports.now(),
      ),
    );
    return { launched: [], unavailablePools: [] };
  }
  const already = distinct(await ports.findByAction(command.actionId));
  const missing = missingSlots(wanted, already);
  const live = missing.length > 0 ? await ports.describeWorkers() : [];
  // The decider sized the ScaleUp under max from what it knew then; a
  // command that arrives late (redelivered, held back, replayed after its
  // action expired and others launched) must not take the fleet over max.
  // Counted from EC2 now, whatever the ledger believes. A replacement may
  // go one over while its interrupted worker drains, by design.
  const room =
    command.type === 'ScaleUp'
      ? Math.max(0, ports.config.workers.max - distinct([...live, ...already]).length)
      : missing.length;
  const slots = missing.slice(0, room);
  const launched: LaunchOutcome =
    slots.length > 0
      ? await launchSlots(
          command.actionId,
          planSlots(command, slots, live, ports),
          ports,
          command.type === 'ScaleUp' ? command.payload.instanceTypes : undefined,
        )
      : { launched: [], unavailablePools: [] };
  const heldAtMax = missing.length - slots.length;
  const outcome = heldAtMax > 0 ? { ...launched, heldAtMax } : launched;
  const instances = distinct([...already, ...outcome.launched]);
  const now = ports.now();
  if (instances.length === 0 && heldAtMax > 0) {
    await ports.publish(
      followUp(
        command,
        'ActionFailed',
        {
          step: 'launch',
          reason: 'at-max',
          detail: `ScaleUp asks for ${wanted} workers and ${live.length} are live, workers.max is ${ports.config.workers.max}: nothing launched (the command came after others filled the room)`,
        },
        now,
      ),
    );
    return outcome;
  }
  if (instances.length === 0) {
    await ports.publish(
      followUp(
        command,
        'ActionFailed',
        {
          step: 'launch',
          reason: 'insufficient-capacity',
          detail: outcome.unavailablePools
            .map(
              (p) =>
                `${p.instanceType ? `${p.instanceType} ` : ''}${p.capacityType} in ${p.zone}: ${p.error} (${p.reason})`,
            )
            .join('; '),
        },
        now,
      ),
    );
    return outcome;
  }
  await ports.publish(
    followUp(
      command,
      'InstancesLaunched',
      {
        requested: wanted,
        instances: instances.map(({ instanceId, zone, capacityType, instanceType }) => ({
          instanceId,
          zone,
          capacityType,
          instanceType,
        })),
        unavailablePools: outcome.unavailablePools,
      },
      now,
    ),
  );
  const { bootSeconds } = ports.config.instance;
  const deadline = new Date(
    now.getTime() + (bootSeconds + ports.config.join.timeoutSeconds) * 1000,
  ).toISOString();
  const verify = followUp(
    command,
    'VerifyJoin',
    {
      instanceIds: instances.map((i) => i.instanceId),
      launchedAt: now.toISOString(),
      deadline,
      attempt: 0,
    },
    now,
  );
  // SQS takes whole seconds; a fractional boot time (the demo's compressed
  // clock: 90 s / 60) rounds up so the first check is never early.
  await ports.publishDelayed(verify, Math.min(Math.ceil(bootSeconds), 900));
  return outcome;
}
