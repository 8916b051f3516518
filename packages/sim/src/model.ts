import {
  type Config,
  defaultConfig,
  fits,
  parseConfig,
  podAllocatable,
  type ResolvedInstanceType,
  withResolvedTypes,
} from '@smartscale/core';
import { simInstanceTypes } from './instance-catalogue.js';
import type { SpotPoolModel } from './spot-pools.js';

const MiB = 1024 ** 2;

/** The simulated workload: every web pod requests the same resources. */
export interface WorkloadModel {
  readonly namespace: string;
  readonly deployment: string;
  readonly podCpuMillis: number;
  readonly podMemoryBytes: number;
}

/** The web deployment of the scenarios: 500m CPU and 512Mi per pod. */
export const defaultWorkload: WorkloadModel = {
  namespace: 'shop',
  deployment: 'web',
  podCpuMillis: 500,
  podMemoryBytes: 512 * MiB,
};

/** Everything a simulation run needs besides the trace and the policy. */
export interface SimOptions {
  /** core's configuration: instance type, boot time, min/max, pricing, purchase mix. */
  readonly config: Config;
  readonly workload: WorkloadModel;
  /** Resolution of virtual time; events land on multiples of it. */
  readonly stepSeconds: number;
  /** Cordon-to-terminate time of a scale-down; the node is billed throughout. */
  readonly drainSeconds: number;
  readonly spot: {
    /** Interruption warnings per Spot node-hour (seeded, deterministic). */
    readonly interruptionsPerNodeHour: number;
    /** Warning-to-termination time AWS gives. */
    readonly warningSeconds: number;
  };
  /** Seed of the PRNG that draws Spot interruptions. */
  readonly seed: number;
  readonly zones: readonly string[];
  /** Wall-clock time of t=0 (trace times of day are read from it). */
  readonly startAt: Date;
  /**
   * The instance types the cluster launches, in order of preference, given
   * to the decider as its catalogue; absent, one type of
   * `config.instance.capacity`, as before.
   */
  readonly instanceTypes?: readonly ResolvedInstanceType[];
  /** Spot crunches and insufficient capacity per pool (type x zone), in place of `spot`'s one rate. */
  readonly spotPools?: SpotPoolModel;
}

export interface SimOptionsInput {
  readonly config?: unknown;
  readonly workload?: Partial<WorkloadModel>;
  readonly stepSeconds?: number;
  readonly drainSeconds?: number;
  readonly spot?: Partial<SimOptions['spot']>;
  readonly seed?: number;
  readonly zones?: readonly string[];
  readonly startAt?: Date;
  /** Names from the simulator's catalogue (SIM_INSTANCE_TYPES), in order of preference. */
  readonly instanceTypes?: readonly string[];
  readonly spotPools?: SpotPoolModel;
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
    throw new RangeError(
      `simulation option ${name}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  return value;
}

/**
 * Fills in the simulation defaults and checks them: 10 s steps, 60 s drain,
 * 0.01 Spot interruptions per node-hour (pessimistic on purpose, so the
 * replacement path is exercised), seed 1, three zones, t=0 at a Monday 00:00 UTC.
 *
 * @example
 * const options = simOptions({ drainSeconds: 120, config: { workers: { max: 20 } } });
 */
export function simOptions(input: SimOptionsInput = {}): SimOptions {
  let config = input.config === undefined ? defaultConfig : parseConfig(input.config);
  const types = input.instanceTypes ? simInstanceTypes(input.instanceTypes) : undefined;
  if (types) {
    // As start-up resolves them: several types are priced from the table, and
    // the capacity that sizes what knows no type is the smallest one's.
    if (types.length > 1)
      config = {
        ...config,
        instance: { ...config.instance, types: types.map((t) => t.instanceType) },
      };
    config = withResolvedTypes(config, types).config;
  }
  const workload = { ...defaultWorkload, ...input.workload };
  positive('workload.podCpuMillis', workload.podCpuMillis);
  positive('workload.podMemoryBytes', workload.podMemoryBytes);
  const stepSeconds = positive('stepSeconds', input.stepSeconds ?? 10);
  if (60 % stepSeconds !== 0)
    throw new RangeError(
      `simulation option stepSeconds: expected a divisor of 60, got ${stepSeconds}`,
    );
  const options: SimOptions = {
    config,
    workload,
    stepSeconds,
    drainSeconds: positive('drainSeconds', input.drainSeconds ?? 60, true),
    spot: {
      interruptionsPerNodeHour: positive(
        'spot.interruptionsPerNodeHour',
        input.spot?.interruptionsPerNodeHour ?? 0.01,
        true,
      ),
      warningSeconds: positive('spot.warningSeconds', input.spot?.warningSeconds ?? 120, true),
    },
    seed: input.seed ?? 1,
    zones: input.zones ?? ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    startAt: input.startAt ?? new Date('2026-01-05T00:00:00.000Z'),
    ...(types ? { instanceTypes: types } : {}),
    ...(input.spotPools ? { spotPools: input.spotPools } : {}),
  };
  if (podsPerNode(options) === 0)
    throw new RangeError(
      `workload: a pod (${workload.podCpuMillis}m, ${workload.podMemoryBytes} B) does not fit on one ${config.instance.type}`,
    );
  return options;
}

/**
 * Web pods one empty worker holds, by core's fit rule (`fits`, the test its
 * bin packing sizes scale-ups with), so the simulated nodes fill exactly as
 * the planner expects them to.
 */
export function podsPerNode(options: SimOptions): number {
  const room = { ...podAllocatable(options.config) };
  const pod = {
    cpuMillis: options.workload.podCpuMillis,
    memoryBytes: options.workload.podMemoryBytes,
  };
  let pods = 0;
  // simOptions checks the requests are positive, so the room runs out.
  while (fits(pod, room)) {
    room.cpuMillis -= pod.cpuMillis;
    room.memoryBytes -= pod.memoryBytes;
    pods += 1;
  }
  return pods;
}

/**
 * Workers that hold `replicas` pods, before min and max: what core's
 * first-fit decreasing packing comes to when every pod is the same.
 */
export function nodesFor(replicas: number, options: SimOptions): number {
  return Math.ceil(replicas / podsPerNode(options));
}
