import { createHash } from 'node:crypto';
import {
  type _InstanceType,
  CreateFleetCommand,
  type CreateFleetError,
  type DescribeInstancesCommandInput,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type Instance,
  paginateDescribeInstances,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type CapacityType, RedeliverLater, ValidationError } from '@smartscale/contracts';
import type { DedupStore } from './dedup.js';

/** Tags on every worker SmartScale launches. */
export const FleetTag = {
  Cluster: 'smartscale:cluster',
  ActionId: 'smartscale:action-id',
  Managed: 'smartscale:managed',
  CapacityType: 'smartscale:capacity-type',
  /** Which of the action's requested workers this one is (0-based). */
  Slot: 'smartscale:slot',
} as const;

/** A worker instance as the services see it. */
export interface Worker {
  readonly instanceId: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly instanceType: string;
  /** The action's slot this worker fills (tag `smartscale:slot`), when launched for one. */
  readonly slot?: number;
}

/** A worker with its EC2 state (pending, running, shutting-down, ...). */
export interface ManagedWorker extends Worker {
  readonly state: string;
  readonly actionId: string | null;
  readonly launchedAt: string | null;
}

/** One RunInstances call: `count` workers of one capacity type in one zone. */
export interface LaunchGroup {
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly count: number;
  /** Client token for EC2; derived from the action id (and slot) when absent. */
  readonly clientToken?: string;
  /**
   * The slot of the action this launch fills. With a slot, the launch is
   * idempotent per (action, slot, zone, capacity type) and the tag
   * cross-check looks for the slot, so a fallback attempt in the zone and
   * capacity type of another slot never returns that slot's workers.
   */
  readonly slot?: number;
  /**
   * Instance types to offer, in order of preference: with them the launch
   * is one EC2 CreateFleet (type instant) with one override per type in the
   * group's zone, and EC2 picks the pool (Spot price-capacity-optimized,
   * on-demand lowest-price); without them, one RunInstances of the launch
   * template's type.
   */
  readonly instanceTypes?: readonly string[];
  /**
   * The AMI of a type whose architecture is not the launch template's
   * (instance.imageIds): its override names it, so one fleet request can
   * launch Graviton and x86 types from one template.
   */
  readonly imageIds?: Readonly<Record<string, string>>;
  /**
   * Told the pools (type, zone, capacity type) CreateFleet reported as
   * failed, also when another type launched: the provisioner avoids them.
   */
  readonly onPoolErrors?: (errors: readonly FleetPoolError[]) => void;
}

/** One pool a CreateFleet could not launch in, and EC2's reason. */
export interface FleetPoolError {
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** EC2's error code, e.g. InsufficientInstanceCapacity. */
  readonly error: string;
  readonly message: string;
}

/**
 * A CreateFleet that launched nothing. Its `name` is the first pool's error
 * code, so callers classify it as they would a RunInstances error
 * (InsufficientInstanceCapacity, VcpuLimitExceeded, ...); `pools` has every
 * pool's error.
 */
export class FleetLaunchError extends Error {
  readonly pools: readonly FleetPoolError[];
  constructor(pools: readonly FleetPoolError[], zone: string, capacityType: CapacityType) {
    super(
      `CreateFleet launched no ${capacityType} instance in ${zone}: ${
        pools.map((p) => `${p.instanceType} ${p.error} (${p.message})`).join('; ') ||
        'EC2 reported no instance and no error'
      }`,
    );
    this.name = pools[0]?.error ?? 'UnfulfillableCapacity';
    this.pools = pools;
  }
}

/**
 * Karpenter's bound on the types of one CreateFleet (60): EC2 limits the
 * overrides of a request, and past a few dozen types more choice buys little.
 */
export const MAX_FLEET_TYPES = 60;

/**
 * Client token of one CreateFleet: the launch's token plus a hash of the
 * types offered. An instant fleet is kept (with its errors) under its token,
 * so a retry offering other types (a pool now avoided) must not reuse it;
 * a retry with the same offer returns the first fleet's answer.
 */
export function fleetClientTokenFor(
  actionId: string,
  group: Pick<LaunchGroup, 'zone' | 'capacityType' | 'slot'>,
  instanceTypes: readonly string[],
): string {
  const offer = createHash('sha256').update(instanceTypes.join(',')).digest('hex').slice(0, 8);
  const token = `${clientTokenFor(actionId, group)}-${offer}`;
  if (token.length <= 64) return token;
  return `${actionId}-${createHash('sha256').update(token).digest('hex')}`.slice(0, 64);
}

/** The launch is being done by another delivery of the same command; retry later. */
export class LaunchInProgressError extends RedeliverLater {
  constructor(actionId: string, step: string) {
    super(`launch ${step} of action ${actionId} is in progress elsewhere; retry later`);
    this.name = 'LaunchInProgressError';
  }
}

export interface Ec2FleetOptions {
  /** Injectable so tests can add middleware (e.g. capacity errors). */
  readonly ec2: EC2Client;
  readonly clusterId: string;
  /** Launch template of the workers (AMI, instance type, user data). */
  readonly launchTemplate: { readonly id: string } | { readonly name: string };
  readonly launchTemplateVersion?: string;
  /** One subnet per availability zone the cluster may use. */
  readonly subnets: readonly { readonly zone: string; readonly subnetId: string }[];
  /** Makes launches idempotent per (actionId, group). */
  readonly dedup: DedupStore;
}

const LIVE_STATES = ['pending', 'running'];

/**
 * The DescribeInstances filters of this cluster's workers: both tags, the
 * cluster's and `smartscale:managed=true`, as the terminate permission
 * requires them. Only filters moto implements: tag:<key>, instance-state-name,
 * instance-id.
 */
function workerFilters(clusterId: string): { Name: string; Values: string[] }[] {
  return [
    { Name: `tag:${FleetTag.Cluster}`, Values: [clusterId] },
    { Name: `tag:${FleetTag.Managed}`, Values: ['true'] },
  ];
}

/**
 * Ids of this cluster's live (pending or running) workers, as EC2 tags
 * them: what makes a Node SmartScale's, since a Node's own label is set by
 * its kubelet (issue #21 item 9). For the decider, which needs nothing
 * else of the fleet.
 *
 * @example
 * const ours = await liveWorkerIds(ec2, 'prod'); // Set { 'i-0abc…', … }
 */
export async function liveWorkerIds(ec2: EC2Client, clusterId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const live = await describeInstances(ec2, {
    Filters: [...workerFilters(clusterId), { Name: 'instance-state-name', Values: LIVE_STATES }],
  });
  for (const instance of live) if (instance.InstanceId) ids.add(instance.InstanceId);
  return ids;
}

/**
 * Every instance of every page of a DescribeInstances. EC2 (and moto)
 * answers 100 reservations a page when no MaxResults is given; a reader of
 * the first page only loses the newest instances once more were launched.
 */
export async function describeInstances(
  ec2: EC2Client,
  input: DescribeInstancesCommandInput,
): Promise<Instance[]> {
  const instances: Instance[] = [];
  for await (const page of paginateDescribeInstances({ client: ec2 }, input))
    for (const reservation of page.Reservations ?? [])
      instances.push(...(reservation.Instances ?? []));
  return instances;
}

/** The dedup step of one launch: per slot and attempt when a slot is given. */
export function launchStepFor(group: Pick<LaunchGroup, 'zone' | 'capacityType' | 'slot'>): string {
  const where = `${group.zone}/${group.capacityType}`;
  return group.slot === undefined ? `launch/${where}` : `launch/slot-${group.slot}/${where}`;
}

/**
 * EC2 client token of one launch (distinct per slot and attempt). Tokens are
 * at most 64 ASCII characters: a longer one is shortened with a hash rather
 * than cut, so two attempts never share a token.
 */
export function clientTokenFor(
  actionId: string,
  group: Pick<LaunchGroup, 'zone' | 'capacityType' | 'slot'>,
): string {
  const slot = group.slot === undefined ? '' : `s${group.slot}-`;
  const token = `${actionId}-${slot}${group.zone}-${group.capacityType}`;
  if (token.length <= 64) return token;
  return `${actionId}-${createHash('sha256').update(token).digest('hex')}`.slice(0, 64);
}

/**
 * Refuses an `instance.type` EC2 does not offer in this region: a typo such
 * as `t3.gigantic` stops start-up naming the setting, instead of failing
 * every launch later. Other errors (network, permissions) propagate as they are.
 *
 * @example
 * await assertInstanceTypeOffered(ec2, config.instance.type);
 */
export async function assertInstanceTypeOffered(
  ec2: EC2Client,
  instanceType: string,
): Promise<void> {
  const refuse = (why: string): never => {
    throw new ValidationError('SmartScale configuration', [
      {
        path: 'instance.type',
        message: `'${instanceType}' ${why}; expected an EC2 instance type offered in this region, e.g. t3.medium`,
      },
    ]);
  };
  let offered: string[];
  try {
    const res = await ec2.send(
      // The SDK's type lists the known names; the point is to ask about any name.
      new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }),
    );
    offered = (res.InstanceTypes ?? []).map((t) => String(t.InstanceType));
  } catch (error) {
    // EC2 answers an unknown name with InvalidInstanceType rather than an empty list.
    if ((error as { name?: string }).name === 'InvalidInstanceType')
      return refuse(`is not an EC2 instance type (${(error as Error).message})`);
    throw error;
  }
  if (!offered.includes(instanceType)) refuse('is not offered by EC2 here');
}

function tag(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

function slotOf(instance: Instance): { slot?: number } {
  const slot = Number(tag(instance, FleetTag.Slot) ?? Number.NaN);
  return Number.isInteger(slot) && slot >= 0 ? { slot } : {};
}

function toManagedWorker(instance: Instance): ManagedWorker {
  const capacityType: CapacityType =
    instance.InstanceLifecycle === 'spot' || tag(instance, FleetTag.CapacityType) === 'spot'
      ? 'spot'
      : 'on-demand';
  return {
    instanceId: instance.InstanceId ?? '',
    zone: instance.Placement?.AvailabilityZone ?? '',
    capacityType,
    instanceType: instance.InstanceType ?? '',
    ...slotOf(instance),
    state: instance.State?.Name ?? 'unknown',
    actionId: tag(instance, FleetTag.ActionId) ?? null,
    launchedAt: instance.LaunchTime?.toISOString() ?? null,
  };
}

function toWorker(w: ManagedWorker): Worker {
  return {
    instanceId: w.instanceId,
    zone: w.zone,
    capacityType: w.capacityType,
    instanceType: w.instanceType,
    ...(w.slot === undefined ? {} : { slot: w.slot }),
  };
}

/** The tags that make a launched instance ours (the reconciler and IAM conditions read them). */
function workerTags(
  clusterId: string,
  actionId: string,
  group: LaunchGroup,
): { Key: string; Value: string }[] {
  return [
    { Key: FleetTag.Cluster, Value: clusterId },
    { Key: FleetTag.ActionId, Value: actionId },
    { Key: FleetTag.Managed, Value: 'true' },
    { Key: FleetTag.CapacityType, Value: group.capacityType },
    ...(group.slot === undefined ? [] : [{ Key: FleetTag.Slot, Value: String(group.slot) }]),
  ];
}

/**
 * This cluster's EC2 workers: launch from the launch template (one
 * RunInstances per zone and capacity type; spot through
 * InstanceMarketOptions), describe and terminate. A launch is idempotent per
 * action and group: a dedup record holds the launched instance ids, the
 * `smartscale:action-id` tag finds instances of a launch that crashed before
 * recording them, and EC2 gets a ClientToken derived from the action id.
 *
 * @example
 * const workers = await fleet.launchWorkers(actionId, [
 *   { zone: 'us-east-1a', capacityType: 'spot', count: 2 },
 *   { zone: 'us-east-1b', capacityType: 'on-demand', count: 1 },
 * ]);
 */
export class Ec2Fleet {
  readonly #options: Ec2FleetOptions;

  constructor(options: Ec2FleetOptions) {
    if (options.subnets.length === 0) throw new Error('Ec2Fleet: at least one subnet is required');
    this.#options = options;
  }

  /** Zones the fleet can launch in. */
  get zones(): string[] {
    return this.#options.subnets.map((s) => s.zone);
  }

  async #describe(filters: { Name: string; Values: string[] }[]): Promise<ManagedWorker[]> {
    const instances = await describeInstances(this.#options.ec2, {
      Filters: [...workerFilters(this.#options.clusterId), ...filters],
    });
    return instances.map(toManagedWorker);
  }

  /** Live (pending or running) workers of this cluster that SmartScale manages. */
  async describeWorkers(): Promise<ManagedWorker[]> {
    return this.#describe([{ Name: 'instance-state-name', Values: LIVE_STATES }]);
  }

  /**
   * Every managed worker of this cluster in any state, stopped and
   * terminated included (EC2 lists terminated instances for about an hour):
   * what the reconciler compares with the Nodes.
   */
  async describeAllWorkers(): Promise<ManagedWorker[]> {
    return this.#describe([]);
  }

  /**
   * One managed worker of this cluster in any state, or null when it is not
   * ours. Filtered by id, not listed and searched: the drainer and the spot
   * listener ask once per message, and a cluster's terminated instances
   * (EC2 keeps them for about an hour; moto for ever) need not come back.
   * A filter, unlike InstanceIds, answers an unknown id with nothing.
   */
  async findWorker(instanceId: string): Promise<ManagedWorker | null> {
    const found = await this.#describe([{ Name: 'instance-id', Values: [instanceId] }]);
    return found.find((w) => w.instanceId === instanceId) ?? null;
  }

  /** Live workers launched for one action. */
  async findByAction(actionId: string): Promise<Worker[]> {
    const workers = await this.#describe([
      { Name: `tag:${FleetTag.ActionId}`, Values: [actionId] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]);
    return workers.map(toWorker);
  }

  /** Launches every group of an action; repeats return the first launch's workers. */
  async launchWorkers(actionId: string, groups: readonly LaunchGroup[]): Promise<Worker[]> {
    const workers: Worker[] = [];
    for (const group of groups) workers.push(...(await this.launch(actionId, group)));
    return workers;
  }

  /**
   * Launches one group of an action once. Throws LaunchInProgressError while
   * another delivery holds the launch, and EC2's own error (e.g. a capacity
   * error) when the launch fails, after which a retry may launch again.
   */
  async launch(actionId: string, group: LaunchGroup): Promise<Worker[]> {
    if (!Number.isInteger(group.count) || group.count < 1) {
      throw new RangeError(`launch group count must be a positive integer, got ${group.count}`);
    }
    if (group.slot !== undefined && (group.count !== 1 || !Number.isInteger(group.slot))) {
      throw new RangeError(
        `a slot launch fills one slot: expected count 1 and an integer slot, got count ${group.count}, slot ${group.slot}`,
      );
    }
    const subnet = this.#options.subnets.find((s) => s.zone === group.zone);
    if (!subnet) {
      throw new Error(
        `no subnet configured for zone ${group.zone}; configured zones: ${this.zones.join(', ')}`,
      );
    }
    const step = launchStepFor(group);
    const { dedup } = this.#options;
    const claim = await dedup.claim<Worker[]>(actionId, step);
    if (claim.status === 'done') return claim.result;
    // A slot is filled wherever its worker landed; without a slot, the group's
    // zone and capacity type identify it.
    const tagged = (await this.findByAction(actionId)).filter((w) =>
      group.slot === undefined
        ? w.zone === group.zone && w.capacityType === group.capacityType
        : w.slot === group.slot,
    );
    if (tagged.length > 0) {
      // Launched by an earlier delivery that stopped before recording it.
      if (claim.status === 'claimed') await dedup.complete(actionId, step, tagged);
      return tagged;
    }
    if (claim.status === 'in-progress') throw new LaunchInProgressError(actionId, step);
    try {
      const workers = await this.#run(actionId, group, subnet.subnetId);
      await dedup.complete(actionId, step, workers);
      return workers;
    } catch (error) {
      await dedup.abandon(actionId, step);
      throw error;
    }
  }

  async #run(actionId: string, group: LaunchGroup, subnetId: string): Promise<Worker[]> {
    if (group.instanceTypes !== undefined) return this.#createFleet(actionId, group, subnetId);
    const { launchTemplate, launchTemplateVersion, clusterId } = this.#options;
    const tags = workerTags(clusterId, actionId, group);
    const res = await this.#options.ec2.send(
      new RunInstancesCommand({
        MinCount: group.count,
        MaxCount: group.count,
        ClientToken: group.clientToken ?? clientTokenFor(actionId, group),
        SubnetId: subnetId,
        LaunchTemplate: {
          ...('id' in launchTemplate
            ? { LaunchTemplateId: launchTemplate.id }
            : { LaunchTemplateName: launchTemplate.name }),
          Version: launchTemplateVersion ?? '$Default',
        },
        // Spot must be requested here: a launch template's market options
        // are not honoured by moto, and an explicit request reads clearer.
        ...(group.capacityType === 'spot'
          ? {
              InstanceMarketOptions: {
                MarketType: 'spot' as const,
                SpotOptions: {
                  SpotInstanceType: 'one-time' as const,
                  InstanceInterruptionBehavior: 'terminate' as const,
                },
              },
            }
          : {}),
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      }),
    );
    return (res.Instances ?? []).map((i) =>
      toWorker({
        ...toManagedWorker(i),
        zone: i.Placement?.AvailabilityZone ?? group.zone,
        // RunInstances need not echo the tags; the slot is the one asked for.
        ...(group.slot === undefined ? {} : { slot: group.slot }),
      }),
    );
  }

  /**
   * One CreateFleet of type instant: the launch template, one override per
   * offered type in the group's subnet, `count` of the group's capacity
   * type. Spot uses price-capacity-optimized (AWS's advice: the cheapest of
   * the pools least likely to be interrupted), on-demand lowest-price. The
   * zone stays the caller's choice (the purchase plan spreads zones; the
   * fallbacks move between them), so the fleet chooses only among types.
   */
  async #createFleet(actionId: string, group: LaunchGroup, subnetId: string): Promise<Worker[]> {
    const types = group.instanceTypes ?? [];
    if (types.length === 0 || types.length > MAX_FLEET_TYPES)
      throw new RangeError(
        `a fleet launch offers 1 to ${MAX_FLEET_TYPES} instance types, got ${types.length}`,
      );
    const { launchTemplate, launchTemplateVersion, clusterId } = this.#options;
    const tags = workerTags(clusterId, actionId, group);
    const spot = group.capacityType === 'spot';
    const res = await this.#options.ec2.send(
      new CreateFleetCommand({
        Type: 'instant',
        ClientToken: fleetClientTokenFor(actionId, group, types),
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: {
              ...('id' in launchTemplate
                ? { LaunchTemplateId: launchTemplate.id }
                : { LaunchTemplateName: launchTemplate.name }),
              Version: launchTemplateVersion ?? '$Default',
            },
            Overrides: types.map((t) => ({
              InstanceType: t as _InstanceType,
              SubnetId: subnetId,
              ...(group.imageIds?.[t] ? { ImageId: group.imageIds[t] } : {}),
            })),
          },
        ],
        TargetCapacitySpecification: {
          TotalTargetCapacity: group.count,
          DefaultTargetCapacityType: spot ? 'spot' : 'on-demand',
          ...(spot ? { SpotTargetCapacity: group.count } : { OnDemandTargetCapacity: group.count }),
        },
        ...(spot
          ? { SpotOptions: { AllocationStrategy: 'price-capacity-optimized' as const } }
          : { OnDemandOptions: { AllocationStrategy: 'lowest-price' as const } }),
        // An instant fleet tags the fleet and its instances; volumes only
        // through the launch template (CreateFleet has no volume tags).
        TagSpecifications: [
          { ResourceType: 'fleet', Tags: tags },
          { ResourceType: 'instance', Tags: tags },
        ],
      }),
    );
    const errors = (res.Errors ?? []).map((e) => poolErrorOf(e, group));
    if (errors.length > 0) group.onPoolErrors?.(errors);
    const workers: Worker[] = (res.Instances ?? []).flatMap((launched) =>
      (launched.InstanceIds ?? []).map((instanceId) => ({
        instanceId,
        zone: launched.LaunchTemplateAndOverrides?.Overrides?.AvailabilityZone ?? group.zone,
        capacityType: group.capacityType,
        instanceType: String(
          launched.InstanceType ??
            launched.LaunchTemplateAndOverrides?.Overrides?.InstanceType ??
            types[0],
        ),
        ...(group.slot === undefined ? {} : { slot: group.slot }),
      })),
    );
    if (workers.length === 0) throw new FleetLaunchError(errors, group.zone, group.capacityType);
    return workers;
  }

  /**
   * Terminates workers of this cluster; ids that are not managed workers of
   * this cluster are refused (returned in `refused`), never terminated.
   */
  async terminate(
    instanceIds: readonly string[],
  ): Promise<{ terminated: string[]; refused: string[] }> {
    const ours = new Set((await this.#describe([])).map((w) => w.instanceId));
    const terminated = instanceIds.filter((id) => ours.has(id));
    const refused = instanceIds.filter((id) => !ours.has(id));
    if (terminated.length > 0) {
      await this.#options.ec2.send(new TerminateInstancesCommand({ InstanceIds: terminated }));
    }
    return { terminated, refused };
  }
}

function poolErrorOf(
  e: CreateFleetError,
  group: Pick<LaunchGroup, 'zone' | 'capacityType'>,
): FleetPoolError {
  const o = e.LaunchTemplateAndOverrides?.Overrides;
  return {
    instanceType: String(o?.InstanceType ?? 'unknown'),
    zone: o?.AvailabilityZone ?? group.zone,
    capacityType:
      e.Lifecycle === 'spot'
        ? 'spot'
        : e.Lifecycle === 'on-demand'
          ? 'on-demand'
          : group.capacityType,
    error: e.ErrorCode ?? 'UnknownError',
    message: e.ErrorMessage ?? '',
  };
}
