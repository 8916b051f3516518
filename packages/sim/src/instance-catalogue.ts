import {
  type Config,
  eniMaxPods,
  fits,
  type InstanceCatalog,
  K3S_MAX_PODS,
  priceBook,
  type ResolvedInstanceType,
  typeAllocatable,
} from '@smartscale/core';
import type { WorkloadModel } from './model.js';

const MiB = 1024 ** 2;

function ec2Type(
  instanceType: string,
  vcpu: number,
  memoryMiB: number,
  architecture: ResolvedInstanceType['architecture'],
  maxNetworkInterfaces: number,
  ipv4AddressesPerInterface: number,
): ResolvedInstanceType {
  return {
    instanceType,
    vcpu,
    memoryMiB,
    architecture,
    currentGeneration: true,
    capacity: { cpuMillis: vcpu * 1000, memoryBytes: memoryMiB * MiB },
    network: {
      maxNetworkInterfaces,
      ipv4AddressesPerInterface,
      eniMaxPods: eniMaxPods(maxNetworkInterfaces, ipv4AddressesPerInterface),
    },
    maxPods: K3S_MAX_PODS,
  };
}

/**
 * The instance types the simulator knows, as EC2's DescribeInstanceTypes
 * describes them (vCPU, MiB, architecture, ENIs x IPv4 per ENI): there is
 * no EC2 in the simulator to resolve them against.
 */
export const SIM_INSTANCE_TYPES: readonly ResolvedInstanceType[] = [
  ec2Type('t3.medium', 2, 4096, 'x86_64', 3, 6),
  ec2Type('t3a.medium', 2, 4096, 'x86_64', 3, 6),
  ec2Type('t3.large', 2, 8192, 'x86_64', 3, 12),
  ec2Type('m7i.large', 2, 8192, 'x86_64', 3, 10),
  ec2Type('m7g.large', 2, 8192, 'arm64', 3, 10),
  ec2Type('c7g.xlarge', 4, 8192, 'arm64', 4, 15),
];

/**
 * The simulator's types by name, in the order given (the order of preference).
 *
 * @example
 * simInstanceTypes(['t3.medium', 'm7g.large'])
 */
export function simInstanceTypes(names: readonly string[]): ResolvedInstanceType[] {
  return names.map((name) => {
    const type = SIM_INSTANCE_TYPES.find((t) => t.instanceType === name);
    if (!type)
      throw new RangeError(
        `simulator instance type "${name}": expected one of ${SIM_INSTANCE_TYPES.map((t) => t.instanceType).join(', ')}`,
      );
    return type;
  });
}

/**
 * What the decider chooses among: the types and a price book (on-demand from
 * core's table; Spot estimated as the configured share of it, as the decider
 * prices Spot before DescribeSpotPriceHistory has answered).
 */
export function simCatalog(
  types: readonly ResolvedInstanceType[],
  config: Config,
): InstanceCatalog {
  return { types, prices: priceBook(config) };
}

/** Workload pods one empty worker of `type` holds, by core's fit rule. */
export function podsPerType(
  type: ResolvedInstanceType,
  workload: WorkloadModel,
  config: Config,
): number {
  const room = { ...typeAllocatable(type, config) };
  const pod = { cpuMillis: workload.podCpuMillis, memoryBytes: workload.podMemoryBytes };
  let pods = 0;
  while (pods < type.maxPods && fits(pod, room)) {
    room.cpuMillis -= pod.cpuMillis;
    room.memoryBytes -= pod.memoryBytes;
    pods += 1;
  }
  return pods;
}
