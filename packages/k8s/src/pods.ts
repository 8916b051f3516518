import type {
  V1LabelSelector,
  V1PersistentVolume,
  V1Pod,
  V1PodDisruptionBudget,
  V1PodSpec,
} from '@kubernetes/client-node';
import type { OwnerKind, PendingPod, PodInfo, Resources, Toleration } from '@smartscale/contracts';
import { cpuMillis, memoryBytes } from './quantity.ts';

/** Annotations that forbid moving a pod (SmartScale's own, and Karpenter's for compatibility). */
export const DO_NOT_DISRUPT_ANNOTATIONS = [
  'smartscale.io/do-not-disrupt',
  'karpenter.sh/do-not-disrupt',
] as const;

/**
 * What the scheduler reserves for a pod: the larger of the sum of its
 * containers' requests and its largest init container request (restartable
 * "sidecar" init containers add to the sum), plus the pod overhead.
 *
 * @example
 * podRequests({ containers: [{ name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] });
 * // { cpuMillis: 250, memoryBytes: 67108864 }
 */
export function podRequests(spec: V1PodSpec | undefined): Resources {
  let cpu = 0;
  let memory = 0;
  let initCpu = 0;
  let initMemory = 0;
  for (const c of spec?.containers ?? []) {
    cpu += cpuMillis(c.resources?.requests?.cpu);
    memory += memoryBytes(c.resources?.requests?.memory);
  }
  let sidecarCpu = 0;
  let sidecarMemory = 0;
  for (const c of spec?.initContainers ?? []) {
    const cCpu = cpuMillis(c.resources?.requests?.cpu);
    const cMemory = memoryBytes(c.resources?.requests?.memory);
    if (c.restartPolicy === 'Always') {
      sidecarCpu += cCpu;
      sidecarMemory += cMemory;
    } else {
      // A plain init container runs alongside the sidecars started before it.
      initCpu = Math.max(initCpu, sidecarCpu + cCpu);
      initMemory = Math.max(initMemory, sidecarMemory + cMemory);
    }
  }
  cpu += sidecarCpu;
  memory += sidecarMemory;
  return {
    cpuMillis: Math.max(cpu, initCpu) + cpuMillis(spec?.overhead?.cpu),
    memoryBytes: Math.max(memory, initMemory) + memoryBytes(spec?.overhead?.memory),
  };
}

/** The pod annotations of the peers that scale-down reads. */
export const PodAnnotation = {
  /** Cluster Autoscaler: "true" lets a pod that would pin its node move, "false" pins it. */
  SafeToEvict: 'cluster-autoscaler.kubernetes.io/safe-to-evict',
  /** Cluster Autoscaler: comma-separated local volumes whose loss is acceptable. */
  SafeToEvictLocalVolumes: 'cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes',
  /** Cluster Autoscaler: "true" makes a pod of a custom controller count as a DaemonSet pod. */
  DaemonSetPod: 'cluster-autoscaler.kubernetes.io/daemonset-pod',
  /** Set by the kubelet on the API copy of a static pod. */
  Mirror: 'kubernetes.io/config.mirror',
} as const;

/** The kind of the pod's controlling owner, reduced to the kinds scale-down cares about. */
export function ownerOf(pod: V1Pod): { kind: OwnerKind; name?: string } {
  const refs = pod.metadata?.ownerReferences ?? [];
  const owner = refs.find((r) => r.controller) ?? refs[0];
  if (pod.metadata?.annotations?.[PodAnnotation.DaemonSetPod] === 'true')
    return owner ? { kind: 'DaemonSet', name: owner.name } : { kind: 'DaemonSet' };
  if (!owner) return { kind: 'None' };
  const known = ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'] as const;
  const kind = (known as readonly string[]).includes(owner.kind)
    ? (owner.kind as OwnerKind)
    : 'Other';
  return { kind, name: owner.name };
}

/** True for the API copy of a static pod: the mirror annotation, or owned by its Node (Karpenter's test). */
export function isMirrorPod(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.[PodAnnotation.Mirror] !== undefined) return true;
  return (pod.metadata?.ownerReferences ?? []).some(
    (r) => r.kind === 'Node' && r.apiVersion === 'v1',
  );
}

/** The safe-to-evict annotation as true, false, or undefined when unset or another value. */
export function safeToEvictOf(pod: V1Pod): boolean | undefined {
  const value = pod.metadata?.annotations?.[PodAnnotation.SafeToEvict];
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** True when the pod asks not to be disrupted by an annotation set to "true". */
export function hasDoNotDisrupt(pod: V1Pod): boolean {
  const annotations = pod.metadata?.annotations ?? {};
  return DO_NOT_DISRUPT_ANNOTATIONS.some((key) => annotations[key] === 'true');
}

/**
 * True when the pod keeps data on the node itself (an emptyDir or hostPath
 * volume) that `safe-to-evict-local-volumes` does not name.
 */
export function usesLocalStorage(pod: V1Pod): boolean {
  const released = new Set(
    (pod.metadata?.annotations?.[PodAnnotation.SafeToEvictLocalVolumes] ?? '')
      .split(',')
      .filter((name) => name !== ''),
  );
  return (pod.spec?.volumes ?? []).some(
    (v) => (v.emptyDir !== undefined || v.hostPath !== undefined) && !released.has(v.name),
  );
}

/** True when the scheduler tried and could not place the pod. */
export function isUnschedulable(pod: V1Pod): boolean {
  if (pod.status?.phase !== 'Pending' || pod.spec?.nodeName) return false;
  return (pod.status?.conditions ?? []).some(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
}

/** True when a label selector (matchLabels and matchExpressions) selects `labels`. */
export function selectorMatches(
  selector: V1LabelSelector,
  labels: Record<string, string>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True when a PodDisruptionBudget in the pod's namespace selects it. An empty selector selects every pod. */
export function pdbSelects(pdb: V1PodDisruptionBudget, pod: V1Pod): boolean {
  if (pdb.metadata?.namespace !== pod.metadata?.namespace) return false;
  const selector = pdb.spec?.selector;
  if (!selector) return false;
  return selectorMatches(selector, pod.metadata?.labels ?? {});
}

/** True when the pod's Ready condition is False (what `unhealthyPodEvictionPolicy` calls unhealthy). */
function isNotReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'False');
}

/**
 * The budget that allows the fewest disruptions of this pod now, if any
 * selects it. A budget with `unhealthyPodEvictionPolicy: AlwaysAllow` does
 * not hold back a pod that is not Ready (the Eviction API lets it go).
 */
export function tightestPdb(
  pod: V1Pod,
  pdbs: readonly V1PodDisruptionBudget[],
): { name: string; disruptionsAllowed: number } | undefined {
  let tightest: { name: string; disruptionsAllowed: number } | undefined;
  for (const pdb of pdbs) {
    if (!pdbSelects(pdb, pod)) continue;
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' && isNotReady(pod)) continue;
    // An unset status means the disruption controller has not counted yet: nothing is allowed.
    const allowed = Math.max(0, pdb.status?.disruptionsAllowed ?? 0);
    if (!tightest || allowed < tightest.disruptionsAllowed)
      tightest = { name: pdb.metadata?.name ?? '', disruptionsAllowed: allowed };
  }
  return tightest;
}

/**
 * Maps a pod to what scale-down needs to know. `siblings` counts the live pods
 * of the same owner (its current replicas); `pdbs` are the cluster's budgets,
 * of which the tightest selecting the pod is recorded with its allowance.
 */
export function toPodInfo(
  pod: V1Pod,
  context: { pdbs: readonly V1PodDisruptionBudget[]; siblings?: number },
): PodInfo {
  const owner = ownerOf(pod);
  const safeToEvict = safeToEvictOf(pod);
  const phase = pod.status?.phase;
  const deletion = pod.metadata?.deletionTimestamp;
  const grace = pod.spec?.terminationGracePeriodSeconds;
  const pdb = tightestPdb(pod, context.pdbs);
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    ...podRequests(pod.spec),
    ownerKind: owner.kind,
    ...(owner.name !== undefined ? { ownerName: owner.name } : {}),
    ...(context.siblings !== undefined && owner.kind !== 'None'
      ? { ownerReplicas: context.siblings }
      : {}),
    hasPdb: context.pdbs.some((pdb) => pdbSelects(pdb, pod)),
    doNotDisrupt: hasDoNotDisrupt(pod),
    localStorage: usesLocalStorage(pod),
    ...(safeToEvict !== undefined ? { safeToEvict } : {}),
    ...(isMirrorPod(pod) ? { mirror: true } : {}),
    ...(phase === 'Succeeded' || phase === 'Failed' ? { finished: true } : {}),
    ...(deletion ? { deletionTimestamp: new Date(deletion).toISOString() } : {}),
    ...(grace !== undefined && grace !== null ? { terminationGracePeriodSeconds: grace } : {}),
    ...(pdb ? { pdbDisruptionsAllowed: pdb.disruptionsAllowed, pdbName: pdb.name } : {}),
  };
}

/** Maps an unschedulable pod to a pending pod with its requests and since when it waits. */
export function toPendingPod(pod: V1Pod): PendingPod {
  const scheduled = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
  const since = scheduled?.lastTransitionTime ?? pod.metadata?.creationTimestamp ?? new Date(0);
  const refs = pod.metadata?.ownerReferences ?? [];
  const owner = refs.find((r) => r.controller) ?? refs[0];
  const selector = pod.spec?.nodeSelector;
  const terms = requiredAffinityTerms(pod);
  const tolerations = tolerationsOf(pod);
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    ...podRequests(pod.spec),
    pendingSince: new Date(since).toISOString(),
    ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
    ...(selector && Object.keys(selector).length > 0 ? { nodeSelector: { ...selector } } : {}),
    ...(terms.length > 0 ? { nodeAffinityTerms: terms } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
  };
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/**
 * spec.tolerations as the decider matches them. An operator or effect this
 * version does not know (a newer API's) is read as tolerating anything, so
 * doubt never keeps a pod from a launch.
 */
function tolerationsOf(pod: V1Pod): Toleration[] {
  return (pod.spec?.tolerations ?? []).map((t) => {
    if (
      (t.operator && t.operator !== 'Exists' && t.operator !== 'Equal') ||
      (t.effect && !EFFECTS.has(t.effect))
    )
      return { operator: 'Exists' as const };
    return {
      ...(t.key ? { key: t.key } : {}),
      ...(t.operator ? { operator: t.operator as 'Exists' | 'Equal' } : {}),
      ...(t.value ? { value: t.value } : {}),
      ...(t.effect ? { effect: t.effect as 'NoSchedule' } : {}),
    };
  });
}

/**
 * The PersistentVolumeClaims a pod mounts, as "namespace/name": its
 * persistentVolumeClaim volumes and the claims Kubernetes makes for its
 * generic ephemeral volumes (named `<pod>-<volume>`).
 */
export function claimsOf(pod: V1Pod): string[] {
  const namespace = pod.metadata?.namespace ?? 'default';
  const claims = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName)
      claims.add(`${namespace}/${v.persistentVolumeClaim.claimName}`);
    else if (v.ephemeral) claims.add(`${namespace}/${pod.metadata?.name ?? ''}-${v.name}`);
  }
  return [...claims];
}

/** The zone labels a volume may be pinned by: the current one and the beta one older PVs carry. */
const ZONE_KEYS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];

/**
 * The zones a PersistentVolume can be attached in, or undefined when it is
 * not pinned to zones. Its required node affinity decides (terms are ORed:
 * one term without a zone requirement means any zone); PVs of older
 * provisioners carry a zone label instead (several zones joined by `__`),
 * which the scheduler's VolumeZone filter reads.
 */
export function volumeZonesOf(pv: V1PersistentVolume): string[] | undefined {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length > 0) {
    const zones = new Set<string>();
    for (const term of terms) {
      const inZones = (term.matchExpressions ?? []).filter(
        (e) => ZONE_KEYS.includes(e.key) && e.operator === 'In',
      );
      if (inZones.length === 0) return undefined;
      // Two zone requirements in one term must both hold: their intersection.
      const [first, ...rest] = inZones.map((e) => e.values ?? []);
      for (const z of first ?? []) if (rest.every((v) => v.includes(z))) zones.add(z);
    }
    return zones.size > 0 ? [...zones] : undefined;
  }
  const labels = pv.metadata?.labels ?? {};
  for (const key of ZONE_KEYS) {
    const value = labels[key];
    if (value) return value.split('__').filter(Boolean);
  }
  return undefined;
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

/**
 * The required node affinity's terms as matchExpressions. A term with
 * matchFields (node name) or an unknown operator is one the decider cannot
 * judge from labels: it is taken as satisfiable (an empty term), so doubt
 * never stops a launch.
 */
function requiredAffinityTerms(pod: V1Pod): NonNullable<PendingPod['nodeAffinityTerms']> {
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return (required?.nodeSelectorTerms ?? []).map((term) => {
    const expressions = term.matchExpressions ?? [];
    if ((term.matchFields ?? []).length > 0 || expressions.some((e) => !OPERATORS.has(e.operator)))
      return [];
    return expressions.map((e) => ({
      key: e.key,
      operator: e.operator as 'In',
      ...(e.values ? { values: [...e.values] } : {}),
    }));
  });
}
