import type { AnyEnvelope, CapacityType, Envelope } from '@smartscale/contracts';
import { followUp } from '@smartscale/contracts';
import { type Config, type LaunchSlot, planPurchase } from '@smartscale/core';

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
}

/** A zone and capacity type that refused a launch with a capacity error. */
export interface UnavailablePool {
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly error: string;
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
}

const CAPACITY_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientFreeAddressesInSubnet',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'UnfulfillableCapacity',
]);

/** The EC2 error code of a capacity error ("not here, not now"), else undefined. */
export function capacityErrorCode(err: unknown): string | undefined {
  const e = err as { name?: string; Code?: string; code?: string } | undefined;
  return [e?.name, e?.Code, e?.code].find((c) => c !== undefined && CAPACITY_ERRORS.has(c));
}

/** True for EC2 errors that mean "not here, not now": try elsewhere, not again. */
export function isCapacityError(err: unknown): boolean {
  return capacityErrorCode(err) !== undefined;
}

/**
 * Alternatives for a group that hit a capacity error: the same capacity type
 * in the other zones first, then the other capacity type in every zone.
 */
export function fallbacks(
  zone: string,
  capacityType: CapacityType,
  zones: readonly string[],
): { zone: string; capacityType: CapacityType }[] {
  const other: CapacityType = capacityType === 'spot' ? 'on-demand' : 'spot';
  const rest = zones.filter((z) => z !== zone);
  return [
    ...rest.map((z) => ({ zone: z, capacityType })),
    ...[zone, ...rest].map((z) => ({ zone: z, capacityType: other })),
  ];
}

export interface LaunchOutcome {
  /** Workers this delivery launched, in slot order. */
  readonly launched: Worker[];
  /** Pools that answered with a capacity error, once each. */
  readonly unavailablePools: UnavailablePool[];
}

/** The first choice of zone and capacity type for each missing slot. */
export interface SlotPlan {
  readonly slot: number;
  readonly zone: string;
  readonly capacityType: CapacityType;
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
 * doomed worker was (same zone, same capacity type), which keeps the zone
 * balance and the purchase mix; everything else follows the purchase plan.
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
    return { slot, zone, capacityType: doomed?.capacityType ?? plan.capacityType };
  });
}

function poolKey(pool: { zone: string; capacityType: CapacityType }): string {
  return `${pool.zone}/${pool.capacityType}`;
}

/**
 * Launches one worker per planned slot, each falling back to other zones and
 * then the other capacity type on capacity errors. Slots launch in parallel
 * (a scale-up should not wait on ten sequential RunInstances); a pool found
 * unavailable is skipped by attempts that have not tried it yet. Other
 * errors propagate after every slot settled (the message is retried; the
 * slots that launched are recorded and tagged, so only the rest launch again).
 */
export async function launchSlots(
  actionId: string,
  plans: readonly SlotPlan[],
  ports: ProvisionerPorts,
): Promise<LaunchOutcome> {
  const unavailable = new Map<string, UnavailablePool>();
  const launchOne = async (plan: SlotPlan): Promise<Worker[]> => {
    for (const option of [plan, ...fallbacks(plan.zone, plan.capacityType, ports.zones)]) {
      if (unavailable.has(poolKey(option))) continue;
      try {
        return await ports.launch(actionId, {
          zone: option.zone,
          capacityType: option.capacityType,
          count: 1,
          slot: plan.slot,
        });
      } catch (err) {
        const error = capacityErrorCode(err);
        if (error === undefined) throw err;
        unavailable.set(poolKey(option), { ...poolOf(option), error });
      }
    }
    return [];
  };
  const results = await Promise.allSettled(plans.map(launchOne));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    launched: results.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])),
    unavailablePools: [...unavailable.values()],
  };
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
  const already = distinct(await ports.findByAction(command.actionId));
  const slots = missingSlots(wanted, already);
  const outcome =
    slots.length > 0
      ? await launchSlots(
          command.actionId,
          planSlots(command, slots, await ports.describeWorkers(), ports),
          ports,
        )
      : { launched: [], unavailablePools: [] };
  const instances = distinct([...already, ...outcome.launched]);
  const now = ports.now();
  if (instances.length === 0) {
    await ports.publish(
      followUp(
        command,
        'ActionFailed',
        {
          step: 'launch',
          reason: 'insufficient-capacity',
          detail: outcome.unavailablePools
            .map((p) => `${p.capacityType} in ${p.zone}: ${p.error}`)
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
