import type { V1Node } from '@kubernetes/client-node';
import type { CapacityType, NodeInfo, PodInfo } from '@smartscale/contracts';
import { cpuMillis, memoryBytes } from './quantity.ts';

/** Labels SmartScale reads on nodes (set by the worker's join step). */
export const NODE_LABELS = {
  /**
   * `"true"` on nodes SmartScale launched, set by the worker's user data,
   * so by the node's own kubelet: a hint (the admission policy narrows our
   * writers to it), never the authority. Whether a node is ours is its
   * instance's EC2 tags (issue #21 item 9).
   */
  managed: 'smartscale.io/managed',
  /** `spot` or `on-demand`. */
  capacityType: 'smartscale.io/capacity-type',
  zone: 'topology.kubernetes.io/zone',
  instanceType: 'node.kubernetes.io/instance-type',
} as const;

const PROVIDER_ID = /^aws:\/\/\/([^/]+)\/(i-[0-9a-f]+)$/;

/**
 * Reads the EC2 instance id (and zone) from an AWS providerID
 * (`aws:///<az>/<instance-id>`); undefined for anything else.
 *
 * @example
 * parseProviderId('aws:///eu-west-1a/i-0abc123'); // { zone: 'eu-west-1a', instanceId: 'i-0abc123' }
 */
export function parseProviderId(
  providerId: string | undefined,
): { zone: string; instanceId: string } | undefined {
  const match = providerId ? PROVIDER_ID.exec(providerId) : null;
  if (!match?.[1] || !match[2]) return undefined;
  return { zone: match[1], instanceId: match[2] };
}

/** The providerID a worker registers with: `aws:///<az>/<instance-id>`. */
export function providerIdFor(zone: string, instanceId: string): string {
  return `aws:///${zone}/${instanceId}`;
}

/**
 * Role labels of a K3s server (and kubeadm control planes): present, with
 * any value (`"true"` on K3s, empty on kubeadm), on nodes that run the
 * control plane rather than being workers.
 */
export const CONTROL_PLANE_ROLE_LABELS = [
  'node-role.kubernetes.io/control-plane',
  'node-role.kubernetes.io/master',
  'node-role.kubernetes.io/etcd',
] as const;

/**
 * True for a control-plane (K3s server) node: it is not a worker, so it
 * counts neither toward min/max workers nor as capacity SmartScale manages.
 */
export function isControlPlaneNode(node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return CONTROL_PLANE_ROLE_LABELS.some((label) => label in labels);
}

/**
 * Marks a cordon SmartScale made with the action that made it, so a cordon
 * whose action is over can be found and lifted (the reconciler), while a
 * person's own cordon is never touched.
 */
export const CORDONED_BY_ANNOTATION = 'smartscale.io/cordoned-by';

/**
 * The deadline of the drain behind a cordon: until then the drain may still
 * be working on the node, so its cordon is not stale even when the ledger
 * no longer tracks the action (interruption drains are not in the ledger).
 */
export const DRAIN_DEADLINE_ANNOTATION = 'smartscale.io/drain-deadline';

/** An annotation's time as ISO 8601, or undefined when it is absent or not a time. */
function isoOrUndefined(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** True when the node's Ready condition is True. */
export function isNodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Since when a Node has not been Ready: its Ready condition's last
 * transition, else its registration (a kubelet that never posted status).
 * Undefined when Ready, or when neither time is known.
 */
export function notReadySince(node: V1Node): string | undefined {
  if (isNodeReady(node)) return undefined;
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const since = ready?.lastTransitionTime ?? node.metadata?.creationTimestamp;
  return since ? new Date(since).toISOString() : undefined;
}

/**
 * Maps a Node (and the pods bound to it) to the domain's NodeInfo.
 *
 * @example
 * toNodeInfo(node, []).instanceId; // 'i-0abc123' for providerID aws:///eu-west-1a/i-0abc123
 */
export function toNodeInfo(node: V1Node, pods: PodInfo[]): NodeInfo {
  const labels = node.metadata?.labels ?? {};
  const fromProvider = parseProviderId(node.spec?.providerID);
  const capacity = labels[NODE_LABELS.capacityType];
  const zone = labels[NODE_LABELS.zone] ?? fromProvider?.zone;
  const instanceType = labels[NODE_LABELS.instanceType];
  const created = node.metadata?.creationTimestamp;
  const cordonedBy = node.metadata?.annotations?.[CORDONED_BY_ANNOTATION];
  const drainDeadline = isoOrUndefined(node.metadata?.annotations?.[DRAIN_DEADLINE_ANNOTATION]);
  const notReady = notReadySince(node);
  return {
    name: node.metadata?.name ?? '',
    ...(fromProvider ? { instanceId: fromProvider.instanceId } : {}),
    ...(zone ? { zone } : {}),
    ...(instanceType ? { instanceType } : {}),
    ...(capacity === 'spot' || capacity === 'on-demand'
      ? { capacityType: capacity as CapacityType }
      : {}),
    managed: labels[NODE_LABELS.managed] === 'true',
    ready: isNodeReady(node),
    unschedulable: node.spec?.unschedulable === true,
    ...(cordonedBy ? { cordonedBy } : {}),
    ...(cordonedBy && drainDeadline ? { drainDeadline } : {}),
    ...(created ? { createdAt: new Date(created).toISOString() } : {}),
    ...(notReady ? { notReadySince: notReady } : {}),
    allocatable: {
      cpuMillis: cpuMillis(node.status?.allocatable?.cpu),
      memoryBytes: memoryBytes(node.status?.allocatable?.memory),
    },
    pods,
  };
}
