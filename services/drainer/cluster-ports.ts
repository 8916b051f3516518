import type { ClusterClient } from '@smartscale/k8s';
import type { DrainerPorts } from './drain-node.js';

/** Where the drainer says why an eviction did not happen. */
export interface EvictionLog {
  info(message: string, fields: Record<string, unknown>): void;
}

/**
 * The drainer's Kubernetes ports on one ClusterClient (its identity's RBAC
 * is what the API server judges). Which pods to evict is the handler's.
 *
 * @example
 * const ports = { ...clusterPorts(cluster, logger), podsToEvict, ...awsPorts };
 */
export function clusterPorts(
  cluster: ClusterClient,
  log: EvictionLog,
): Pick<DrainerPorts, 'getNode' | 'hasReadyNode' | 'cordon' | 'uncordon' | 'evict' | 'deleteNode'> {
  return {
    async getNode(nodeName, instanceId) {
      const found = await cluster.findNodeByInstanceId(instanceId);
      if (!found) return null;
      if (found.name !== nodeName) return { otherNode: found.name };
      return { unschedulable: found.unschedulable, cordonedBy: found.cordonedBy ?? null };
    },
    async hasReadyNode(instanceId) {
      return (await cluster.findNodeByInstanceId(instanceId))?.ready === true;
    },
    cordon: (nodeName, actionId, drainDeadline) =>
      cluster.cordon(nodeName, actionId, drainDeadline),
    uncordon: (nodeName) => cluster.uncordon(nodeName),
    async evict(pod) {
      const result = await cluster.evictPod(pod);
      switch (result.outcome) {
        case 'evicted':
          return 'evicted';
        case 'blocked-by-pdb':
          log.info('eviction refused by a PodDisruptionBudget', {
            pod: `${pod.namespace}/${pod.name}`,
            detail: result.detail,
          });
          return 'pdb-blocked';
        case 'already-gone':
          return 'gone';
        case 'failed':
          return { status: result.status, detail: result.detail, retryable: result.retryable };
      }
    },
    async deleteNode(nodeName) {
      await cluster.deleteNode(nodeName);
    },
  };
}
