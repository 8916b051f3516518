import type { NodeInfo, PodInfo } from '@smartscale/contracts';
import { firstFit, freeRoom, sortDecreasing } from './binpack.js';
import type { Config } from './config.js';

/** Why a pod pins its node: the node cannot be drained without harm. */
export const PodBlocker = {
  DoNotDisrupt: 'do-not-disrupt',
  LocalStorage: 'local-storage',
  StatefulSet: 'stateful-set',
  BarePod: 'bare-pod',
  SingleReplicaWithoutPdb: 'single-replica-without-pdb',
  KubeSystem: 'kube-system',
} as const;
export type PodBlocker = (typeof PodBlocker)[keyof typeof PodBlocker];

/**
 * The rule that keeps `pod` on its node, or null if it may be evicted.
 * DaemonSet pods never block: they leave with the node.
 */
export function podBlocker(pod: PodInfo): PodBlocker | null {
  if (pod.ownerKind === 'DaemonSet') return null;
  if (pod.doNotDisrupt) return PodBlocker.DoNotDisrupt;
  if (pod.localStorage) return PodBlocker.LocalStorage;
  if (pod.ownerKind === 'StatefulSet') return PodBlocker.StatefulSet;
  if (pod.ownerKind === 'None') return PodBlocker.BarePod;
  if (pod.namespace === 'kube-system') return PodBlocker.KubeSystem;
  if (pod.ownerReplicas === 1 && !pod.hasPdb) return PodBlocker.SingleReplicaWithoutPdb;
  return null;
}

/** Pods that must find a new home if `node` goes. */
export function podsToMove(node: NodeInfo): PodInfo[] {
  return node.pods.filter((p) => p.ownerKind !== 'DaemonSet');
}

export interface RejectedNode {
  readonly nodeName: string;
  readonly why: string;
}

export type VictimChoice =
  | {
      readonly ok: true;
      readonly node: NodeInfo & { instanceId: string };
      readonly podsToMove: number;
    }
  | {
      readonly ok: false;
      readonly reason: 'no-eligible-victim' | 'victim-pods-would-not-fit';
      readonly rejected: readonly RejectedNode[];
    };

function ageSeconds(node: NodeInfo, now: Date): number {
  return node.createdAt
    ? (now.getTime() - Date.parse(node.createdAt)) / 1000
    : Number.POSITIVE_INFINITY;
}

/**
 * Picks the node to remove on scale-down. Only ready, schedulable nodes that
 * SmartScale launched, old enough not to be flapping, and holding no pinned
 * pod are candidates. Among them it prefers the least disruption (fewest
 * requests to move), then the dearer capacity type (removing on-demand saves
 * more), and takes the first whose movable pods fit on the other nodes.
 *
 * @example
 * const choice = pickVictim(snapshot.nodes, config, now);
 * if (choice.ok) drain(choice.node.name);
 */
export function pickVictim(nodes: readonly NodeInfo[], config: Config, now: Date): VictimChoice {
  const rejected: RejectedNode[] = [];
  const candidates: (NodeInfo & { instanceId: string })[] = [];
  for (const node of nodes) {
    const blocker = node.pods.map(podBlocker).find((b) => b !== null);
    if (!node.managed || !node.instanceId)
      rejected.push({ nodeName: node.name, why: 'not-managed' });
    else if (!node.ready) rejected.push({ nodeName: node.name, why: 'not-ready' });
    else if (node.unschedulable) rejected.push({ nodeName: node.name, why: 'cordoned' });
    else if (ageSeconds(node, now) < config.scaleDown.minNodeAgeSeconds)
      rejected.push({ nodeName: node.name, why: 'too-young' });
    else if (blocker) rejected.push({ nodeName: node.name, why: blocker });
    else candidates.push(node as NodeInfo & { instanceId: string });
  }
  if (candidates.length === 0) return { ok: false, reason: 'no-eligible-victim', rejected };

  const load = (n: NodeInfo) =>
    podsToMove(n).reduce(
      (sum, p) =>
        sum +
        p.cpuMillis / Math.max(n.allocatable.cpuMillis, 1) +
        p.memoryBytes / Math.max(n.allocatable.memoryBytes, 1),
      0,
    );
  const price = (n: NodeInfo) =>
    n.capacityType === 'spot' ? config.pricing.spotHourlyUsd : config.pricing.onDemandHourlyUsd;
  const ranked = candidates
    .map((node) => ({ node, load: load(node), price: price(node) }))
    .sort((a, b) => a.load - b.load || b.price - a.price || a.node.name.localeCompare(b.node.name));

  const hosts = nodes.filter((n) => n.ready && !n.unschedulable);
  for (const { node } of ranked) {
    const moving = podsToMove(node);
    const bins = hosts.filter((h) => h.name !== node.name).map(freeRoom);
    const placed = firstFit(sortDecreasing(moving, node.allocatable), bins);
    if (placed.every((i) => i !== -1)) return { ok: true, node, podsToMove: moving.length };
    rejected.push({ nodeName: node.name, why: 'pods-would-not-fit' });
  }
  return { ok: false, reason: 'victim-pods-would-not-fit', rejected };
}
