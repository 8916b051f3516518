import type { AnyEnvelope, CapacityType, Envelope } from '@smartscale/contracts';
import { followUp } from '@smartscale/contracts';
import { type Config, type ExistingWorker, type LaunchSlot, planPurchase } from '@smartscale/core';

/** An EC2 worker as the provisioner sees it. */
export interface Worker {
  readonly instanceId: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly instanceType: string;
}

/** One RunInstances call: `count` workers of one capacity type in one zone. */
export interface LaunchGroup {
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly count: number;
  /** Same token for the same action and group, so EC2 itself refuses a repeat. */
  readonly clientToken: string;
}

/** What the provisioner needs; `packages/aws` implements it on EC2. */
export interface ProvisionerPorts {
  readonly config: Config;
  readonly zones: readonly string[];
  readonly now: () => Date;
  /** Workers already launched for this action (tag `smartscale:action-id`). */
  findByAction(actionId: string): Promise<Worker[]>;
  /** Running or pending workers of this cluster. */
  describeWorkers(): Promise<Worker[]>;
  launch(actionId: string, group: LaunchGroup): Promise<Worker[]>;
  publish(message: AnyEnvelope): Promise<void>;
  /** Sends straight to the command's queue with a delivery delay. */
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

/** True for EC2 errors that mean "not here, not now": try elsewhere, not again. */
export function isCapacityError(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; code?: string };
  return [e?.name, e?.Code, e?.code].some((c) => c !== undefined && CAPACITY_ERRORS.has(c));
}

function groupSlots(
  slots: readonly LaunchSlot[],
): Map<string, { zone: string; capacityType: CapacityType; count: number }> {
  const groups = new Map<string, { zone: string; capacityType: CapacityType; count: number }>();
  for (const s of slots) {
    const key = `${s.zone}/${s.capacityType}`;
    const g = groups.get(key) ?? { zone: s.zone, capacityType: s.capacityType, count: 0 };
    g.count += 1;
    groups.set(key, g);
  }
  return groups;
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
  readonly launched: Worker[];
  readonly failures: string[];
}

/**
 * Launches `count` workers spread by the purchase plan, falling back to other
 * zones and the other capacity type on capacity errors. Other errors
 * propagate (the message is retried; ClientTokens stop a double launch).
 */
export async function launchWithFallback(
  actionId: string,
  count: number,
  ports: ProvisionerPorts,
): Promise<LaunchOutcome> {
  const existing = await ports.describeWorkers();
  const slots = planPurchase(count, existing as ExistingWorker[], ports.zones, ports.config);
  const launched: Worker[] = [];
  const failures: string[] = [];
  for (const group of groupSlots(slots).values()) {
    let remaining = group.count;
    for (const option of [
      { zone: group.zone, capacityType: group.capacityType },
      ...fallbacks(group.zone, group.capacityType, ports.zones),
    ]) {
      if (remaining === 0) break;
      try {
        const clientToken = `${actionId}-${option.zone}-${option.capacityType}`.slice(0, 64);
        const got = await ports.launch(actionId, { ...option, count: remaining, clientToken });
        launched.push(...got);
        remaining -= got.length;
      } catch (err) {
        if (!isCapacityError(err)) throw err;
        failures.push(`${option.capacityType} in ${option.zone}: ${(err as Error).name}`);
      }
    }
  }
  return { launched, failures };
}

/**
 * Handles ScaleUp and ReplaceCapacity: launch once per action (a redelivered
 * or replayed command finds the action's instances by tag and launches only
 * what is missing), then publish InstancesLaunched and a delayed VerifyJoin.
 */
export async function provision(
  command: Envelope<'ScaleUp'> | Envelope<'ReplaceCapacity'>,
  ports: ProvisionerPorts,
): Promise<LaunchOutcome> {
  const wanted = command.type === 'ScaleUp' ? command.payload.count : 1;
  const already = await ports.findByAction(command.actionId);
  const missing = Math.max(0, wanted - already.length);
  const outcome =
    missing > 0
      ? await launchWithFallback(command.actionId, missing, ports)
      : { launched: [], failures: [] };
  const instances = [...already, ...outcome.launched];
  const now = ports.now();
  if (instances.length === 0) {
    await ports.publish(
      followUp(
        command,
        'ActionFailed',
        { step: 'launch', reason: 'insufficient-capacity', detail: outcome.failures.join('; ') },
        now,
      ),
    );
    return outcome;
  }
  await ports.publish(
    followUp(command, 'InstancesLaunched', { requested: wanted, instances }, now),
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
  await ports.publishDelayed(verify, Math.min(bootSeconds, 900));
  return outcome;
}
