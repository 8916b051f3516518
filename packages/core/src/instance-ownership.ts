import type { ClusterSnapshot } from '@smartscale/contracts';

/**
 * The snapshot with each node's `smartscaleInstance` set from EC2: true
 * when its instance (from the providerID) is one of `ours`, the instances
 * tagged with this cluster and `smartscale:managed=true`; false otherwise,
 * also for a node with no providerID. A Node's `smartscale.io/managed`
 * label is set by its own kubelet, so only the tags say a node is ours
 * (issue #21 item 9).
 *
 * @example
 * const marked = withInstanceOwnership(sample.payload, new Set(['i-0abc']));
 */
export function withInstanceOwnership(
  snapshot: ClusterSnapshot,
  ours: ReadonlySet<string>,
): ClusterSnapshot {
  return {
    ...snapshot,
    nodes: snapshot.nodes.map((node) => ({
      ...node,
      smartscaleInstance: node.instanceId !== undefined && ours.has(node.instanceId),
    })),
  };
}
