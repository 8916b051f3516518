import type {
  NodeSelectorRequirement,
  PendingPod,
  Toleration,
  UnhostableCode,
  UnhostablePod,
} from '@smartscale/contracts';
import { UnhostableCode as Code } from '@smartscale/contracts';
import { fits } from './binpack.js';
import { type Config, podAllocatable, type Taint } from './config.js';
import { type ResolvedInstanceType, typeAllocatable } from './instance-types.js';

/** The instance type facts a worker's labels depend on. */
export type LabelledType = Pick<ResolvedInstanceType, 'instanceType' | 'architecture'>;

/** `kubernetes.io/arch` as the kubelet reports it for an EC2 architecture. */
export function kubernetesArch(architecture: ResolvedInstanceType['architecture']): string {
  return architecture === 'arm64' ? 'arm64' : 'amd64';
}

/**
 * The labels a new worker registers with (k3s/worker-user-data.sh and the
 * local join agent): `known` have one value; `open` take a value only known
 * at launch (zone, name, capacity type...), so any requirement on them may
 * hold and is given the benefit of the doubt. Every other label is absent.
 * With `type`, the worker is of that instance type, so its instance-type and
 * architecture labels are known; without, the configured single type and an
 * open architecture, as before several types were planned.
 */
export function newWorkerLabels(
  config: Config,
  type?: LabelledType,
): {
  readonly known: Readonly<Record<string, string>>;
  readonly open: ReadonlySet<string>;
} {
  return {
    known: {
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': type?.instanceType ?? config.instance.type,
      ...(type ? { 'kubernetes.io/arch': kubernetesArch(type.architecture) } : {}),
      'smartscale.io/managed': 'true',
      ...config.instance.nodeLabels,
    },
    open: new Set([
      'kubernetes.io/hostname',
      ...(type ? [] : ['kubernetes.io/arch']),
      'topology.kubernetes.io/zone',
      'topology.kubernetes.io/region',
      'smartscale.io/capacity-type',
      'smartscale.io/cluster',
    ]),
  };
}

type Labels = ReturnType<typeof newWorkerLabels>;

function requirementHolds(r: NodeSelectorRequirement, labels: Labels): boolean {
  if (labels.open.has(r.key)) return true;
  const value = labels.known[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(value);
      const bound = Number(values[0]);
      if (value === undefined || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

const describeRequirement = (r: NodeSelectorRequirement) =>
  `${r.key} ${r.operator}${r.values?.length ? ` ${r.values.join(',')}` : ''}`;

/**
 * Whether `toleration` tolerates `taint`, as the API's ToleratesTaint reads
 * it: an effect, when given, must be the taint's; a key, when given, must be
 * the taint's (an empty key with Exists matches every key); Exists ignores
 * the value, Equal (or no operator) needs the same value, absent as "".
 */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  // An empty key with Equal is refused by the API server; never a match here.
  if (!toleration.key) return false;
  return (toleration.value ?? '') === (taint.value ?? '');
}

const describeTaint = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/**
 * The first taint of a new worker that keeps `tolerations` off it. Only
 * NoSchedule and NoExecute keep a pod off a node (the scheduler's
 * TaintToleration filter); PreferNoSchedule is a preference the scheduler
 * may ignore.
 */
export function untoleratedTaint(
  tolerations: readonly Toleration[],
  taints: readonly Taint[],
): Taint | undefined {
  return taints.find(
    (taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)),
  );
}

/**
 * Why the pod's bound volumes cannot be attached in any zone new workers
 * launch in: every volume must be reachable from one common zone. Null when
 * they can, or when the worker zones are not known.
 */
function volumeZoneProblem(pod: PendingPod, workerZones: readonly string[] | undefined) {
  const volumes = pod.volumeZones ?? [];
  if (!workerZones || volumes.length === 0) return null;
  const where = workerZones.join(', ');
  for (const v of volumes) {
    if (!v.zones.some((z) => workerZones.includes(z)))
      return `volume ${v.volume} (claim ${v.claim}) is in ${v.zones.join(', ')}; new workers launch in ${where}`;
  }
  const common = workerZones.filter((z) => volumes.every((v) => v.zones.includes(z)));
  if (common.length > 0) return null;
  return `volumes ${volumes.map((v) => `${v.volume} (${v.zones.join(', ')})`).join(' and ')} share no zone where new workers launch (${where})`;
}

type Why = { readonly code: UnhostableCode; readonly detail: string };

/** Why the labels of a new worker (of `type`, when given) keep `pod` off it; null when they do not. */
function labelProblem(pod: PendingPod, config: Config, type?: LabelledType): Why | null {
  const labels = newWorkerLabels(config, type);
  const on = type ? ` (${type.instanceType})` : '';
  for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
    if (!requirementHolds({ key, operator: 'In', values: [value] }, labels))
      return {
        code: Code.NodeSelector,
        detail: `nodeSelector ${key}=${value}; new workers${on} have ${key}=${labels.known[key] ?? '(none)'}`,
      };
  }
  const terms = pod.nodeAffinityTerms ?? [];
  // An empty list of terms selects no node in the API; the k8s adapter leaves it out instead.
  if (terms.length > 0 && !terms.some((t) => t.every((r) => requirementHolds(r, labels)))) {
    const failing = terms.map((t) => t.filter((r) => !requirementHolds(r, labels)));
    return {
      code: Code.NodeAffinity,
      detail: `required node affinity${on}: ${failing.map((f) => f.map(describeRequirement).join(' and ')).join(' | ')}`,
    };
  }
  return null;
}

/**
 * Whether a new worker of `type` could host `pod` by size and labels (its
 * node selector and required node affinity, with the type's
 * `node.kubernetes.io/instance-type` and `kubernetes.io/arch`). Taints and
 * volume zones are the same for every type (see whyUnhostable).
 *
 * @example
 * typeHostsPod(pod, m7gLarge, config) // false for a pod selecting kubernetes.io/arch=amd64
 */
export function typeHostsPod(pod: PendingPod, type: ResolvedInstanceType, config: Config): boolean {
  return fits(pod, typeAllocatable(type, config)) && labelProblem(pod, config, type) === null;
}

const mib = (bytes: number) => Math.floor(bytes / 2 ** 20);

/** Why no type of `types` could host `pod`; null when one could. */
function typeProblem(pod: PendingPod, config: Config, types: readonly ResolvedInstanceType[]) {
  let labelled: Why | null = null;
  for (const type of types) {
    if (!fits(pod, typeAllocatable(type, config))) continue;
    const problem = labelProblem(pod, config, type);
    if (problem === null) return null;
    labelled ??= problem;
  }
  if (labelled) return labelled;
  const largest = types.reduce((a, b) =>
    typeAllocatable(b, config).cpuMillis > typeAllocatable(a, config).cpuMillis ? b : a,
  );
  const room = typeAllocatable(largest, config);
  return {
    code: Code.TooLargeForInstance,
    detail: `requests ${pod.cpuMillis}m CPU and ${Math.ceil(pod.memoryBytes / 2 ** 20)}Mi; no instance type offers that much (the largest, ${largest.instanceType}, offers pods ${room.cpuMillis}m and ${mib(room.memoryBytes)}Mi)`,
  };
}

/**
 * Why a new worker could not host `pod`; null when it could. With `types`
 * (several resolved instance types), the pod needs one type that fits it
 * and whose labels meet its selectors; without, the configured single type.
 */
export function whyUnhostable(
  pod: PendingPod,
  config: Config,
  types?: readonly ResolvedInstanceType[],
): Why | null {
  if (types && types.length > 0) {
    const problem = typeProblem(pod, config, types);
    if (problem) return problem;
  } else {
    const room = podAllocatable(config);
    if (!fits(pod, room)) {
      return {
        code: Code.TooLargeForInstance,
        detail: `requests ${pod.cpuMillis}m CPU and ${Math.ceil(pod.memoryBytes / 2 ** 20)}Mi; a ${config.instance.type} offers pods ${room.cpuMillis}m and ${mib(room.memoryBytes)}Mi`,
      };
    }
    const labels = labelProblem(pod, config);
    if (labels) return labels;
  }
  const taint = untoleratedTaint(pod.tolerations ?? [], config.instance.taints);
  if (taint)
    return {
      code: Code.TaintNotTolerated,
      detail: `new workers carry the taint ${describeTaint(taint)}, which the pod does not tolerate`,
    };
  const volume = volumeZoneProblem(pod, config.instance.zones);
  if (volume) return { code: Code.VolumeZone, detail: volume };
  return null;
}

/**
 * Splits pending pods into those a new worker could host, which may
 * trigger a launch and hold back scale-down, and those none could (too big
 * for the instance type, a node selector or required affinity no new
 * worker's labels meet, a worker taint not tolerated, a bound volume in a
 * zone no worker launches in), which only get reported: launching cannot help
 * them, and waiting for them would keep idle nodes forever.
 *
 * @example
 * const { hostable, unhostable } = classifyPendingPods(snapshot.pendingPods, config);
 */
export function classifyPendingPods(
  pods: readonly PendingPod[],
  config: Config,
  types?: readonly ResolvedInstanceType[],
): { hostable: PendingPod[]; unhostable: UnhostablePod[] } {
  const hostable: PendingPod[] = [];
  const unhostable: UnhostablePod[] = [];
  for (const pod of pods) {
    const why = whyUnhostable(pod, config, types);
    if (!why) hostable.push(pod);
    else
      unhostable.push({
        pod: `${pod.namespace}/${pod.name}`,
        owner: `${pod.namespace}/${pod.owner ?? `Pod/${pod.name}`}`,
        ...why,
      });
  }
  return { hostable, unhostable };
}
