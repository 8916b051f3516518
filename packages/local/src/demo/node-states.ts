import type { V1Node } from '@kubernetes/client-node';
import { isNodeReady } from '@smartscale/k8s';

/** Workers by where they are in their life, as the demo timeline shows them. */
export interface NodeStates {
  /** Ready and schedulable: capacity pods can use. */
  readonly ready: number;
  /** Registered but not Ready yet (the join agent's boot, the kubelet's start). */
  readonly joining: number;
  /** Cordoned: being drained before it leaves, whether or not still Ready. */
  readonly draining: number;
  /** Of all three, the workers on spot capacity (the rest are on-demand). */
  readonly spot: number;
}

/** The label the join agent (and the real worker user data) puts on every worker. */
const CAPACITY_TYPE_LABEL = 'smartscale.io/capacity-type';

/**
 * Counts Nodes as Ready, joining or draining. A cordoned node is draining
 * even while its kubelet still reports Ready: it is on its way out, and
 * counting it as "not Ready" made a drain read as a join (`4+1`).
 *
 * @example
 * countNodeStates(nodes) // { ready: 4, joining: 0, draining: 1, spot: 2 }
 */
export function countNodeStates(nodes: readonly V1Node[]): NodeStates {
  let ready = 0;
  let joining = 0;
  let draining = 0;
  let spot = 0;
  for (const node of nodes) {
    if (node.metadata?.labels?.[CAPACITY_TYPE_LABEL] === 'spot') spot += 1;
    if (node.spec?.unschedulable) draining += 1;
    else if (isNodeReady(node)) ready += 1;
    else joining += 1;
  }
  return { ready, joining, draining, spot };
}
