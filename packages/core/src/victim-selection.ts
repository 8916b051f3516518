import type { FailedVictim, NodeInfo, NodeRefusal, PodInfo } from '@smartscale/contracts';
import { RefusalCode } from '@smartscale/contracts';
import { firstFit, freeRoom, sortDecreasing } from './binpack.js';
import type { Config } from './config.js';
import { classifyPod } from './pod-disruption.js';
import { type PriceBook, priceBook } from './prices.js';

/** Pods that must find a new home if `node` goes (those already terminating have been replaced). */
export function podsToMove(node: NodeInfo, now: Date): PodInfo[] {
  return node.pods.filter((p) => {
    const d = classifyPod(p, now);
    return d.verdict === 'evict' && !d.terminating;
  });
}

/** A node that may not be removed, with the first rule it fails. */
export type RejectedNode = NodeRefusal;

/** The first pod on `node` that pins it, as a refusal; null when every pod may go. */
export function firstPodBlocker(node: NodeInfo, now: Date): NodeRefusal | null {
  for (const pod of node.pods) {
    const d = classifyPod(pod, now);
    if (d.verdict !== 'block') continue;
    return {
      nodeName: node.name,
      code: d.blocker,
      pod: `${pod.namespace}/${pod.name}`,
      ...(d.pdb !== undefined ? { pdb: `${pod.namespace}/${d.pdb}` } : {}),
    };
  }
  return null;
}

export type VictimChoice =
  | {
      readonly ok: true;
      readonly node: NodeInfo & { instanceId: string };
      readonly podsToMove: number;
      /** The pods that move, "namespace/name", in the node's order. */
      readonly movingPods: readonly string[];
      /**
       * What removing it saves per hour, when the candidates span several
       * instance types and were ranked by it; absent with one type.
       */
      readonly savesHourlyUsd?: number;
      /** Nodes passed over before this one, each with why. */
      readonly rejected: readonly RejectedNode[];
    }
  | {
      readonly ok: false;
      readonly reason: 'no-eligible-victim' | 'victim-pods-would-not-fit';
      readonly rejected: readonly RejectedNode[];
    };

/** What a caller adds to the choice. */
export interface VictimOptions {
  /**
   * A rule beyond the pods' fit (requests-based consolidation: the others'
   * room must hold the peak); a node it turns down is refused with
   * room-needed-for-peak.
   */
  readonly keepsRoom?: (node: NodeInfo) => boolean;
  /** Prices per type, for ranking by savings (core's priceBook of `config` when absent). */
  readonly prices?: PriceBook;
}

function ageSeconds(node: NodeInfo, now: Date): number {
  return node.createdAt
    ? (now.getTime() - Date.parse(node.createdAt)) / 1000
    : Number.POSITIVE_INFINITY;
}

/**
 * The refusal for a node whose drain failed recently (the newest failure),
 * naming the pod and PDB that stopped it; null when none did.
 */
function recentlyFailed(
  node: NodeInfo,
  failed: readonly FailedVictim[],
  config: Config,
): NodeRefusal | null {
  // The same name on a new instance is a new node: its predecessor's failure says nothing.
  const last = failed.findLast(
    (f) =>
      f.nodeName === node.name &&
      (f.instanceId === undefined || node.instanceId == null || f.instanceId === node.instanceId),
  );
  if (!last) return null;
  const until = new Date(
    Date.parse(last.failedAt) + config.scaleDown.failedVictimBackoffSeconds * 1000,
  ).toISOString();
  return {
    nodeName: node.name,
    code: RefusalCode.RecentlyFailedDrain,
    ...(last.refusal?.pod !== undefined ? { pod: last.refusal.pod } : {}),
    ...(last.refusal?.pdb !== undefined ? { pdb: last.refusal.pdb } : {}),
    until,
  };
}

/**
 * Picks the node to remove on scale-down. Only ready, schedulable nodes that
 * SmartScale launched (labelled managed and their instance tagged ours,
 * `smartscaleInstance`), old enough not to be flapping, whose drain did not
 * fail within the backoff (`recentFailures`, already narrowed to it), and
 * holding no pinned pod are candidates. Among them it prefers the least
 * disruption (fewest requests to move), then the dearer capacity type
 * (removing on-demand saves more), and takes the first whose movable pods
 * fit on the other nodes. When the candidates are of several instance types
 * (issue #23), the one whose removal saves the most per hour comes first,
 * those orders breaking ties: a big on-demand node whose pods fit elsewhere
 * is worth more than a small one.
 *
 * @example
 * const choice = pickVictim(snapshot.nodes, config, now);
 * if (choice.ok) drain(choice.node.name);
 */
export function pickVictim(
  nodes: readonly NodeInfo[],
  config: Config,
  now: Date,
  recentFailures: readonly FailedVictim[] = [],
  options: VictimOptions = {},
): VictimChoice {
  const rejected: RejectedNode[] = [];
  const candidates: (NodeInfo & { instanceId: string })[] = [];
  const refuse = (node: NodeInfo, code: RefusalCode) =>
    rejected.push({ nodeName: node.name, code });
  for (const node of nodes) {
    if (!node.managed || !node.instanceId) refuse(node, RefusalCode.NotManaged);
    // The label is the node's own word; its instance's EC2 tags decide.
    else if (node.smartscaleInstance !== true) refuse(node, RefusalCode.NotSmartscaleInstance);
    else if (!node.ready) refuse(node, RefusalCode.NotReady);
    else if (node.unschedulable) refuse(node, RefusalCode.Cordoned);
    else if (ageSeconds(node, now) < config.scaleDown.minNodeAgeSeconds)
      refuse(node, RefusalCode.TooYoung);
    else {
      const blocked = recentlyFailed(node, recentFailures, config) ?? firstPodBlocker(node, now);
      if (blocked) rejected.push(blocked);
      else candidates.push(node as NodeInfo & { instanceId: string });
    }
  }
  if (candidates.length === 0) return { ok: false, reason: 'no-eligible-victim', rejected };

  const load = (n: NodeInfo) =>
    podsToMove(n, now).reduce(
      (sum, p) =>
        sum +
        p.cpuMillis / Math.max(n.allocatable.cpuMillis, 1) +
        p.memoryBytes / Math.max(n.allocatable.memoryBytes, 1),
      0,
    );
  const price = (n: NodeInfo) =>
    n.capacityType === 'spot' ? config.pricing.spotHourlyUsd : config.pricing.onDemandHourlyUsd;
  // One type (the default, and every node of an unlabelled fleet): today's
  // order, unchanged. Several: what each removal saves, from the price book.
  const typeOf = (n: NodeInfo) => n.instanceType ?? config.instance.type;
  const byType = new Set(candidates.map(typeOf)).size > 1;
  const book = options.prices ?? priceBook(config);
  const saves = (n: NodeInfo) =>
    byType ? book.hourlyUsd(typeOf(n), n.capacityType ?? 'on-demand') : 0;
  const ranked = candidates
    .map((node) => ({ node, saves: saves(node), load: load(node), price: price(node) }))
    .sort(
      (a, b) =>
        b.saves - a.saves ||
        a.load - b.load ||
        b.price - a.price ||
        a.node.name.localeCompare(b.node.name),
    );

  const hosts = nodes.filter((n) => n.ready && !n.unschedulable);
  for (const { node, saves: saved } of ranked) {
    if (options.keepsRoom && !options.keepsRoom(node)) {
      refuse(node, RefusalCode.RoomNeededForPeak);
      continue;
    }
    const moving = podsToMove(node, now);
    const bins = hosts.filter((h) => h.name !== node.name).map(freeRoom);
    const placed = firstFit(sortDecreasing(moving, node.allocatable), bins);
    if (placed.every((i) => i !== -1))
      return {
        ok: true,
        node,
        podsToMove: moving.length,
        movingPods: moving.map((p) => `${p.namespace}/${p.name}`),
        ...(byType ? { savesHourlyUsd: saved } : {}),
        rejected,
      };
    refuse(node, RefusalCode.PodsWouldNotFit);
  }
  return { ok: false, reason: 'victim-pods-would-not-fit', rejected };
}
