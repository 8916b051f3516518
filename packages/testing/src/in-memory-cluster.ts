import type { RefusalCode } from '@smartscale/contracts';
import type { ObservedNode } from '@smartscale/core';
import type { Eviction } from '@smartscale/service-drainer/drain-node';

/** How the API server answers an eviction of one pod: the drainer's own Eviction. */
export type EvictionAnswer = Eviction;

/** A pod on a node, with the answer its eviction gets. */
export interface ClusterPod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  /** What blocks moving it now (core's classifyPod), as the drainer's podsToEvict reports it. */
  readonly blocker?: { readonly code: RefusalCode; readonly pdb?: string };
  /** The answer to its eviction; 'evicted' removes the pod. */
  eviction: EvictionAnswer;
}

/** A Node as the API server keeps it; `instanceId` stands for its providerID. */
export interface ClusterNode {
  name: string;
  instanceId?: string;
  managed: boolean;
  ready: boolean;
  unschedulable: boolean;
  cordonedBy?: string;
  drainDeadline?: string;
  createdAt?: string;
  /** Not Ready since when (the Ready condition's last transition). */
  notReadySince?: string;
}

/**
 * A Kubernetes cluster in memory: Nodes (found by instance, as the
 * providerID lookup finds them) and the pods to evict from each, with what
 * every call changed recorded for assertions.
 */
export class InMemoryCluster {
  readonly nodes = new Map<string, ClusterNode>();
  pods: ClusterPod[] = [];
  readonly seen = {
    cordons: [] as { nodeName: string; actionId: string; deadline: string }[],
    uncordons: [] as string[],
    evictions: [] as string[],
    deletedNodes: [] as string[],
  };

  addNode(node: Partial<ClusterNode> & { name: string }): ClusterNode {
    const full: ClusterNode = {
      managed: true,
      ready: true,
      unschedulable: false,
      instanceId: node.name,
      ...node,
    };
    this.nodes.set(full.name, full);
    return full;
  }

  addPod(pod: Omit<ClusterPod, 'eviction'> & { eviction?: EvictionAnswer }): ClusterPod {
    const full: ClusterPod = { eviction: 'evicted', ...pod };
    this.pods.push(full);
    return full;
  }

  node(name: string): ClusterNode | undefined {
    return this.nodes.get(name);
  }

  findByInstance(instanceId: string): ClusterNode | null {
    for (const node of this.nodes.values()) if (node.instanceId === instanceId) return node;
    return null;
  }

  podsOn(nodeName: string): ClusterPod[] {
    return this.pods.filter((p) => p.nodeName === nodeName);
  }

  async cordon(nodeName: string, actionId: string, deadline: string): Promise<void> {
    const node = this.#required(nodeName);
    this.seen.cordons.push({ nodeName, actionId, deadline });
    node.unschedulable = true;
    node.cordonedBy = actionId;
    node.drainDeadline = deadline;
  }

  async uncordon(nodeName: string): Promise<void> {
    const node = this.#required(nodeName);
    this.seen.uncordons.push(nodeName);
    node.unschedulable = false;
    delete node.cordonedBy;
    delete node.drainDeadline;
  }

  async evict(pod: { namespace: string; name: string }): Promise<EvictionAnswer> {
    this.seen.evictions.push(`${pod.namespace}/${pod.name}`);
    const found = this.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name);
    if (!found) return 'gone';
    if (found.eviction === 'evicted') this.pods = this.pods.filter((p) => p !== found);
    return found.eviction;
  }

  /** Deletes a Node and forgets its pods; one already gone is not an error. */
  async deleteNode(nodeName: string): Promise<void> {
    this.seen.deletedNodes.push(nodeName);
    this.nodes.delete(nodeName);
    this.pods = this.pods.filter((p) => p.nodeName !== nodeName);
  }

  /** Every Node as the reconciler lists them. */
  async listNodes(): Promise<ObservedNode[]> {
    return [...this.nodes.values()].map((n) => ({ ...n }));
  }

  #required(nodeName: string): ClusterNode {
    const node = this.nodes.get(nodeName);
    if (!node) throw new Error(`nodes "${nodeName}" not found`);
    return node;
  }
}
