import { ValidationError } from '@smartscale/contracts';
import type { Config } from './config.js';

/**
 * Pods per node on a SmartScale worker: K3s' kubelet default, 110, whatever
 * the instance type. K3s networks pods with flannel (an overlay, pod IPs
 * from the cluster CIDR), not the AWS VPC CNI, so pods take no ENI addresses
 * and the ENI formula EKS uses does not bound them. EC2's network limits are
 * still recorded on each type (`eniMaxPods`) for anyone who switches CNI.
 */
export const K3S_MAX_PODS = 110;

/** An instance type as EC2's DescribeInstanceTypes describes it, in SmartScale's units. */
export interface ResolvedInstanceType {
  readonly instanceType: string;
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly architecture: 'x86_64' | 'arm64';
  readonly currentGeneration: boolean;
  /** What the type offers before reserved and DaemonSets: vCPU x 1000, MiB x 2^20. */
  readonly capacity: { readonly cpuMillis: number; readonly memoryBytes: number };
  readonly network: {
    readonly maxNetworkInterfaces: number;
    readonly ipv4AddressesPerInterface: number;
    /** What the VPC CNI would allow (not applied: K3s uses flannel, see K3S_MAX_PODS). */
    readonly eniMaxPods: number;
  };
  /** The pods-per-node limit that applies to a SmartScale worker: K3S_MAX_PODS. */
  readonly maxPods: number;
}

/**
 * The VPC CNI's pods-per-node limit, ENIs x (IPv4 per ENI - 1) + 2, as EKS
 * computes it (one address per ENI is the ENI's own; two host-network pods).
 *
 * @example
 * eniMaxPods(3, 6) // 17, a t3.medium
 */
export function eniMaxPods(
  maxNetworkInterfaces: number,
  ipv4AddressesPerInterface: number,
): number {
  return maxNetworkInterfaces * (ipv4AddressesPerInterface - 1) + 2;
}

/**
 * What a new worker of `type` offers to pods: EC2's capacity minus
 * `instance.reserved` and `instance.daemonSetOverhead`.
 *
 * @example
 * typeAllocatable(t3large, config) // { cpuMillis: 1800, memoryBytes: 7680 MiB }
 */
export function typeAllocatable(
  type: Pick<ResolvedInstanceType, 'capacity'>,
  config: Config,
): { cpuMillis: number; memoryBytes: number } {
  const { reserved, daemonSetOverhead } = config.instance;
  return {
    cpuMillis: type.capacity.cpuMillis - reserved.cpuMillis - daemonSetOverhead.cpuMillis,
    memoryBytes: type.capacity.memoryBytes - reserved.memoryBytes - daemonSetOverhead.memoryBytes,
  };
}

/**
 * Smallest first (vCPU, then memory, then name): the order the decision's
 * single capacity is taken from and, with `instance.requirements`, the
 * order of preference.
 */
export function bySize(a: ResolvedInstanceType, b: ResolvedInstanceType): number {
  return (
    a.vcpu - b.vcpu || a.memoryMiB - b.memoryMiB || a.instanceType.localeCompare(b.instanceType)
  );
}

/**
 * The configuration with the capacity the decision uses taken from EC2.
 * `instance.capacity` becomes the smallest resolved type's: with one type
 * the decision bin-packs on it as before; with several, the decision packs
 * across the types (planInstanceMix, given the types) and this capacity
 * only sizes what knows no type (workers launching, CPU pressure). A
 * deprecated `instance.capacity` override (single type only) is kept, and
 * said so in `notes`, as is any difference from EC2.
 *
 * @example
 * withResolvedTypes(config, [t3medium]).config.instance.capacity // { cpuMillis: 2000, ... }
 */
export function withResolvedTypes(
  config: Config,
  types: readonly ResolvedInstanceType[],
): { config: Config; notes: string[] } {
  const smallest = [...types].sort(bySize)[0];
  if (smallest === undefined)
    throw new ValidationError('SmartScale configuration', [
      { path: 'instance', message: 'no instance type resolved; expected at least one' },
    ]);
  const notes: string[] = [];
  const instance = config.instance;
  let capacity = smallest.capacity;
  let capacityFrom: Config['instance']['capacityFrom'] = 'ec2';
  if (instance.capacityFrom === 'config') {
    capacity = instance.capacity;
    capacityFrom = 'config';
    notes.push(
      `instance.capacity is deprecated: EC2 says ${smallest.instanceType} has ${smallest.capacity.cpuMillis}m CPU and ${smallest.capacity.memoryBytes} B; the configured ${instance.capacity.cpuMillis}m and ${instance.capacity.memoryBytes} B are used as an override. Remove it to use EC2's numbers.`,
    );
  }
  if (types.length > 1)
    notes.push(
      `${types.length} instance types resolved (${types.map((t) => t.instanceType).join(', ')}); pending pods are packed across them, cheapest per pod first`,
    );
  for (const r of ['cpuMillis', 'memoryBytes'] as const) {
    if (instance.reserved[r] + instance.daemonSetOverhead[r] >= capacity[r])
      throw new ValidationError('SmartScale configuration', [
        {
          path: `instance.reserved.${r}`,
          message: `reserved plus daemonSetOverhead leaves no ${r} for pods on ${smallest.instanceType} (capacity ${capacity[r]} from ${capacityFrom === 'ec2' ? 'EC2' : 'instance.capacity'})`,
        },
      ]);
  }
  return {
    config: {
      ...config,
      instance: { ...instance, type: smallest.instanceType, capacity, capacityFrom },
    },
    notes,
  };
}
