import type {
  NodeSelectorRequirement,
  PendingPod,
  UnhostableCode,
  UnhostablePod,
} from '@smartscale/contracts';
import { UnhostableCode as Code } from '@smartscale/contracts';
import { fits } from './binpack.js';
import { type Config, podAllocatable } from './config.js';

/**
 * The labels a new worker registers with (k3s/worker-user-data.sh and the
 * local join agent): `known` have one value; `open` take a value only known
 * at launch (zone, name, capacity type...), so any requirement on them may
 * hold and is given the benefit of the doubt. Every other label is absent.
 */
export function newWorkerLabels(config: Config): {
  readonly known: Readonly<Record<string, string>>;
  readonly open: ReadonlySet<string>;
} {
  return {
    known: {
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': config.instance.type,
      'smartscale.io/managed': 'true',
      ...config.instance.nodeLabels,
    },
    open: new Set([
      'kubernetes.io/hostname',
      'kubernetes.io/arch',
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

/** Why a new worker of the configured type could not host `pod`; null when it could. */
export function whyUnhostable(
  pod: PendingPod,
  config: Config,
): { readonly code: UnhostableCode; readonly detail: string } | null {
  const room = podAllocatable(config);
  if (!fits(pod, room)) {
    return {
      code: Code.TooLargeForInstance,
      detail: `requests ${pod.cpuMillis}m CPU and ${Math.ceil(pod.memoryBytes / 2 ** 20)}Mi; a ${config.instance.type} offers pods ${room.cpuMillis}m and ${Math.floor(room.memoryBytes / 2 ** 20)}Mi`,
    };
  }
  const labels = newWorkerLabels(config);
  for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
    if (!requirementHolds({ key, operator: 'In', values: [value] }, labels))
      return {
        code: Code.NodeSelector,
        detail: `nodeSelector ${key}=${value}; new workers have ${key}=${labels.known[key] ?? '(none)'}`,
      };
  }
  const terms = pod.nodeAffinityTerms ?? [];
  // An empty list of terms selects no node in the API; the k8s adapter leaves it out instead.
  if (terms.length > 0 && !terms.some((t) => t.every((r) => requirementHolds(r, labels)))) {
    const failing = terms.map((t) => t.filter((r) => !requirementHolds(r, labels)));
    return {
      code: Code.NodeAffinity,
      detail: `required node affinity: ${failing.map((f) => f.map(describeRequirement).join(' and ')).join(' | ')}`,
    };
  }
  return null;
}

/**
 * Splits pending pods into those a new worker could host, which may
 * trigger a launch and hold back scale-down, and those none could (too big
 * for the instance type, a node selector or required affinity no new
 * worker's labels meet), which only get reported: launching cannot help
 * them, and waiting for them would keep idle nodes forever.
 *
 * @example
 * const { hostable, unhostable } = classifyPendingPods(snapshot.pendingPods, config);
 */
export function classifyPendingPods(
  pods: readonly PendingPod[],
  config: Config,
): { hostable: PendingPod[]; unhostable: UnhostablePod[] } {
  const hostable: PendingPod[] = [];
  const unhostable: UnhostablePod[] = [];
  for (const pod of pods) {
    const why = whyUnhostable(pod, config);
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
