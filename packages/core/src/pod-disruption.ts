import type { PodInfo } from '@smartscale/contracts';
import { RefusalCode } from '@smartscale/contracts';

/** Why a pod pins its node: the node cannot be drained without harm. */
export const PodBlocker = {
  DoNotDisrupt: RefusalCode.DoNotDisrupt,
  SafeToEvictFalse: RefusalCode.SafeToEvictFalse,
  PdbAllowsNoDisruption: RefusalCode.PdbAllowsNoDisruption,
  LocalStorage: RefusalCode.LocalStorage,
  StatefulSet: RefusalCode.StatefulSet,
  BarePod: RefusalCode.BarePod,
  SingleReplicaWithoutPdb: RefusalCode.SingleReplicaWithoutPdb,
  KubeSystem: RefusalCode.KubeSystem,
} as const;
export type PodBlocker = (typeof PodBlocker)[keyof typeof PodBlocker];

/** Why a pod is neither evicted nor a blocker. */
export const PodSkip = {
  Finished: 'finished',
  Mirror: 'mirror',
  LongTerminating: 'long-terminating',
  DaemonSet: 'daemonset',
} as const;
export type PodSkip = (typeof PodSkip)[keyof typeof PodSkip];

/**
 * What removing the pod's node means for the pod:
 * - `evict`: the drainer evicts it (a pod already terminating is evicted too,
 *   which the API answers at once, so the drain waits for its graceful exit);
 * - `skip`: nothing to do, it neither moves nor blocks;
 * - `block`: the node must stay, because of `blocker` (and `pdb`, its name).
 */
export type PodDisruption =
  | { readonly verdict: 'evict'; readonly terminating: boolean }
  | { readonly verdict: 'skip'; readonly why: PodSkip }
  | { readonly verdict: 'block'; readonly blocker: PodBlocker; readonly pdb?: string };

/**
 * Cluster Autoscaler's margin past a deleted pod's grace period after which
 * the pod is taken as gone (its `PodLongTerminatingExtraThreshold`).
 */
export const LONG_TERMINATING_MARGIN_SECONDS = 30;

/** Kubernetes' terminationGracePeriodSeconds when the pod spec leaves it out. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;

const evict = (terminating: boolean): PodDisruption => ({ verdict: 'evict', terminating });
const skip = (why: PodSkip): PodDisruption => ({ verdict: 'skip', why });
const block = (blocker: PodBlocker, pdb?: string): PodDisruption =>
  pdb === undefined ? { verdict: 'block', blocker } : { verdict: 'block', blocker, pdb };

function isLongTerminating(pod: PodInfo, now: Date): boolean {
  if (pod.deletionTimestamp === undefined) return false;
  const gone =
    Date.parse(pod.deletionTimestamp) +
    ((pod.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS) +
      LONG_TERMINATING_MARGIN_SECONDS) *
      1000;
  return gone < now.getTime();
}

const pdbBlocks = (pod: PodInfo) => pod.pdbDisruptionsAllowed === 0;

/**
 * The one classification of a pod on a node being removed, used by victim
 * selection and by the drainer alike. Rules, in order (first match wins):
 *
 * 1. Finished (Succeeded/Failed) pods and pods terminating past their grace
 *    period plus 30 s are skipped (Cluster Autoscaler: terminal and
 *    long-terminating rules; Karpenter: not active).
 * 2. `do-not-disrupt` blocks, on DaemonSet and mirror pods too, unless the
 *    pod is already terminating (Karpenter).
 * 3. Mirror (static) pods are skipped: the API cannot evict them (both).
 * 4. DaemonSet pods leave with the node and are skipped, unless a budget
 *    selecting them allows no disruption (Karpenter; Cluster Autoscaler lets
 *    them go, but terminating the node would break that budget).
 * 5. Any other pod already terminating is evicted and never blocks: neither
 *    do-not-disrupt nor a budget holds back a pod that is leaving anyway
 *    (Karpenter), and the drain still waits for its graceful exit.
 * 6. `safe-to-evict: "false"` blocks (Cluster Autoscaler).
 * 7. A budget allowing no disruption now blocks, even with
 *    `safe-to-evict: "true"`, since the Eviction API would refuse (both).
 * 8. `safe-to-evict: "true"` lets the pod move past the remaining rules
 *    (Cluster Autoscaler).
 * 9. Local storage, StatefulSet, no owner, kube-system without a budget,
 *    a single replica without a budget block (SmartScale's defaults, most
 *    from Cluster Autoscaler).
 *
 * A budget allowing at least one disruption never blocks, even when the node
 * holds more of its pods than it allows at once: both peers drain those one
 * after another, and the drainer retries a refused eviction later.
 *
 * @example
 * const d = classifyPod(pod, now);
 * if (d.verdict === 'block') console.log(`${pod.name} pins its node: ${d.blocker}`);
 */
export function classifyPod(pod: PodInfo, now: Date): PodDisruption {
  if (pod.finished) return skip(PodSkip.Finished);
  if (isLongTerminating(pod, now)) return skip(PodSkip.LongTerminating);
  const terminating = pod.deletionTimestamp !== undefined;
  if (pod.doNotDisrupt && !terminating) return block(PodBlocker.DoNotDisrupt);
  if (pod.mirror) return skip(PodSkip.Mirror);
  if (pod.ownerKind === 'DaemonSet')
    return pdbBlocks(pod) && !terminating
      ? block(PodBlocker.PdbAllowsNoDisruption, pod.pdbName)
      : skip(PodSkip.DaemonSet);
  if (terminating) return evict(true);
  if (pod.safeToEvict === false) return block(PodBlocker.SafeToEvictFalse);
  if (pdbBlocks(pod)) return block(PodBlocker.PdbAllowsNoDisruption, pod.pdbName);
  if (pod.safeToEvict === true) return evict(false);
  if (pod.localStorage) return block(PodBlocker.LocalStorage);
  if (pod.ownerKind === 'StatefulSet') return block(PodBlocker.StatefulSet);
  if (pod.ownerKind === 'None') return block(PodBlocker.BarePod);
  if (pod.namespace === 'kube-system' && !pod.hasPdb) return block(PodBlocker.KubeSystem);
  if (pod.ownerReplicas === 1 && !pod.hasPdb) return block(PodBlocker.SingleReplicaWithoutPdb);
  return evict(false);
}
