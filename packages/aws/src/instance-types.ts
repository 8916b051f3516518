import {
  type EC2Client,
  type Filter,
  type InstanceTypeInfo,
  paginateDescribeInstanceTypes,
} from '@aws-sdk/client-ec2';
import { ValidationError } from '@smartscale/contracts';
import {
  bySize,
  type Config,
  eniMaxPods,
  K3S_MAX_PODS,
  type ResolvedInstanceType,
  withResolvedTypes,
} from '@smartscale/core';

const MiB = 1024 ** 2;
const GiB_IN_MiB = 1024;

function refuse(path: string, message: string): never {
  throw new ValidationError('SmartScale configuration', [{ path, message }]);
}

/** EC2's description of one type in SmartScale's units. */
export function toResolvedType(info: InstanceTypeInfo): ResolvedInstanceType {
  const vcpu = info.VCpuInfo?.DefaultVCpus ?? 0;
  const memoryMiB = info.MemoryInfo?.SizeInMiB ?? 0;
  const archs = info.ProcessorInfo?.SupportedArchitectures ?? [];
  const interfaces = info.NetworkInfo?.MaximumNetworkInterfaces ?? 0;
  const ipv4 = info.NetworkInfo?.Ipv4AddressesPerInterface ?? 0;
  return {
    instanceType: String(info.InstanceType),
    vcpu,
    memoryMiB,
    architecture: archs.includes('arm64') ? 'arm64' : 'x86_64',
    currentGeneration: info.CurrentGeneration === true,
    capacity: { cpuMillis: vcpu * 1000, memoryBytes: memoryMiB * MiB },
    network: {
      maxNetworkInterfaces: interfaces,
      ipv4AddressesPerInterface: ipv4,
      eniMaxPods: eniMaxPods(interfaces, ipv4),
    },
    // K3s runs flannel, not the VPC CNI: the kubelet's 110 applies (K3S_MAX_PODS).
    maxPods: K3S_MAX_PODS,
  };
}

async function describe(ec2: EC2Client, filters: Filter[]): Promise<InstanceTypeInfo[]> {
  const out: InstanceTypeInfo[] = [];
  // Filters, not InstanceTypes: EC2 refuses a whole InstanceTypes request
  // for one unknown name, while a filter just leaves it out, so each
  // configured name can be checked (and named) on its own.
  const pages = paginateDescribeInstanceTypes({ client: ec2, pageSize: 100 }, { Filters: filters });
  for await (const page of pages) out.push(...(page.InstanceTypes ?? []));
  return out;
}

/**
 * Types of two architectures need an AMI for each: the launch template's
 * serves one, `instance.imageIds` must name the other's (a Graviton
 * instance cannot boot an x86_64 image). Refuses naming the setting.
 */
function checkArchitectures(
  types: readonly ResolvedInstanceType[],
  imageIds: Config['instance']['imageIds'],
  pathOf: (n: number) => string,
): void {
  const first = types[0];
  if (first === undefined) return;
  types.forEach((t, n) => {
    if (t.architecture === first.architecture) return;
    if (imageIds?.[t.architecture] !== undefined || imageIds?.[first.architecture] !== undefined)
      return;
    refuse(
      pathOf(n),
      `"${t.instanceType}" is ${t.architecture} but "${first.instanceType}" is ${first.architecture}; the workers' launch template has one AMI: name the ${t.architecture} AMI in instance.imageIds.${t.architecture} (or keep to one architecture)`,
    );
  });
}

function inRange(value: number, range: { min?: number; max?: number } | undefined): boolean {
  return (
    range === undefined ||
    ((range.min === undefined || value >= range.min) &&
      (range.max === undefined || value <= range.max))
  );
}

/**
 * The instance types `config.instance` names, described by EC2 in `region`:
 * `type` (one), `types` (each checked, in the configured order) or
 * `requirements` (families, vCPU and memory ranges, architecture and
 * generation; smallest first). Requirements leave out bare-metal types
 * (they boot in many minutes, far past `bootSeconds`) and types too small
 * to host a pod after `reserved` and `daemonSetOverhead`. An
 * unknown type, a family that matches nothing, two architectures without
 * an `instance.imageIds` AMI for the other one, or an empty resolution throws a
 * ValidationError naming the setting.
 *
 * @example
 * await resolveInstanceTypes(ec2, 'us-east-1', config) // [{ instanceType: 't3.medium', vcpu: 2, ... }]
 */
export async function resolveInstanceTypes(
  ec2: EC2Client,
  region: string,
  config: Config,
): Promise<ResolvedInstanceType[]> {
  const instance = config.instance;
  const offered = `is not an EC2 instance type offered in ${region}`;
  if (instance.requirements === undefined) {
    const names = instance.types ?? [instance.type];
    const found = new Map(
      (await describe(ec2, [{ Name: 'instance-type', Values: [...names] }])).map((i) => [
        String(i.InstanceType),
        toResolvedType(i),
      ]),
    );
    const resolved = names.map((name, n) => {
      const type = found.get(name);
      const path = instance.types ? `instance.types[${n}]` : 'instance.type';
      return type ?? refuse(path, `"${name}" ${offered}`);
    });
    checkArchitectures(resolved, instance.imageIds, (n) => `instance.types[${n}]`);
    return resolved;
  }
  const r = instance.requirements;
  const architectures = [r.architecture].flat();
  const filters: Filter[] = [
    { Name: 'processor-info.supported-architecture', Values: architectures },
    ...(r.currentGenerationOnly ? [{ Name: 'current-generation', Values: ['true'] }] : []),
    ...(r.families ? [{ Name: 'instance-type', Values: r.families.map((f) => `${f}.*`) }] : []),
  ];
  const all = (await describe(ec2, filters))
    .filter((i) => i.BareMetal !== true)
    .map(toResolvedType);
  for (const [n, family] of (r.families ?? []).entries()) {
    if (!all.some((t) => t.instanceType.startsWith(`${family}.`)))
      refuse(
        `instance.requirements.families[${n}]`,
        `"${family}" matches no ${architectures.join(' or ')}${r.currentGenerationOnly ? ' current-generation' : ''} EC2 instance type offered in ${region}`,
      );
  }
  // A type whose CPU or memory the reserved share and the DaemonSets use up
  // (t3.nano under the defaults) could host no pod: left out, not refused.
  const { reserved, daemonSetOverhead } = instance;
  const roomy = (t: ResolvedInstanceType) =>
    t.capacity.cpuMillis > reserved.cpuMillis + daemonSetOverhead.cpuMillis &&
    t.capacity.memoryBytes > reserved.memoryBytes + daemonSetOverhead.memoryBytes;
  const fit = all
    .filter(
      (t) => inRange(t.vcpu, r.vcpu) && inRange(t.memoryMiB / GiB_IN_MiB, r.memoryGiB) && roomy(t),
    )
    .sort(bySize);
  if (fit.length === 0)
    refuse(
      'instance.requirements',
      `no EC2 instance type offered in ${region} matches ${JSON.stringify(r)}; widen the vCPU or memory range or add families`,
    );
  checkArchitectures(fit, instance.imageIds, () => 'instance.requirements.architecture');
  return fit;
}

/** Resolved types and the configuration sized by them (see withResolvedTypes). */
export interface ResolvedConfig {
  readonly config: Config;
  readonly instanceTypes: readonly ResolvedInstanceType[];
  /** What start-up should say: deprecations, the capacity rule. */
  readonly notes: readonly string[];
}

// One resolution per process (one per Lambda container): DescribeInstanceTypes
// is asked once per instance spec and region, not per message.
const cache = new Map<string, Promise<ResolvedInstanceType[]>>();

/**
 * `config` with its instance types resolved against EC2, cached per
 * process by region and instance settings. A failed resolution is not
 * cached, so a transient error is retried on the next start.
 *
 * @example
 * const { config, instanceTypes, notes } = await resolveConfig(ec2, 'us-east-1', configFromEnv());
 */
export async function resolveConfig(
  ec2: EC2Client,
  region: string,
  config: Config,
): Promise<ResolvedConfig> {
  const { type, types, requirements } = config.instance;
  const key = JSON.stringify([region, types ?? requirements ?? type, !!types, !!requirements]);
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = resolveInstanceTypes(ec2, region, config);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  const instanceTypes = await pending;
  const sized = withResolvedTypes(config, instanceTypes);
  return { config: sized.config, instanceTypes, notes: sized.notes };
}

/** The region an EC2 client calls (its configured region provider). */
export async function regionOf(ec2: EC2Client): Promise<string> {
  return ec2.config.region();
}
