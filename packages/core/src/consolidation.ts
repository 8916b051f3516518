import type { ClusterSnapshot, Decision, NodeInfo, PodInfo, Reason } from '@smartscale/contracts';
import type { Config } from './config.js';
import { holdsOf } from './decide/context.js';
import { cooldownAfterScaleDown } from './decide/cooldowns.js';
import { predictedRiseAhead } from './decide/forecast.js';
import { reasons } from './decide/reasons.js';
import {
  anyScaleDownGates,
  projectedCpuTooHigh,
  type ScaleDownContext,
} from './decide/scale-down-gates.js';
import { removeOneNode } from './decide/victim.js';
import { classifyPod } from './pod-disruption.js';

/** Resource requests (or room for them) on the fleet. */
export interface RequestTotals {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

const ZERO: RequestTotals = { cpuMillis: 0, memoryBytes: 0 };
const plus = (a: RequestTotals, b: RequestTotals): RequestTotals => ({
  cpuMillis: a.cpuMillis + b.cpuMillis,
  memoryBytes: a.memoryBytes + b.memoryBytes,
});
const minus = (a: RequestTotals, b: RequestTotals): RequestTotals => ({
  cpuMillis: a.cpuMillis - b.cpuMillis,
  memoryBytes: a.memoryBytes - b.memoryBytes,
});

/** What consolidation reads off a sample: the demand to keep room for, and the room each node gives. */
export interface RequestsPicture {
  /** The higher of the sample's window peak and the requests seen in the sample itself. */
  readonly peak: RequestTotals;
  /** `scaleDown.headroom` in resources: pods of the largest shape seen, before the share. */
  readonly headroomPods: RequestTotals;
  readonly headroomShare: number;
  /** Ready schedulable nodes, each with the room it offers pods that move. */
  readonly hosts: readonly { readonly node: NodeInfo; readonly room: RequestTotals }[];
  readonly windowSeconds: number;
}

/** A DaemonSet or mirror pod leaves with its node: it needs no room elsewhere. */
function staysWithNode(pod: PodInfo, now: Date): boolean {
  if (pod.ownerKind === 'DaemonSet' || pod.mirror === true) return true;
  const d = classifyPod(pod, now);
  return d.verdict === 'skip' && (d.why === 'daemonset' || d.why === 'mirror');
}

/**
 * Room a node offers pods that can move: allocatable minus what stays with
 * it (the peak's query leaves DaemonSet pods out too).
 */
function roomOf(node: NodeInfo, now: Date): RequestTotals {
  let room: RequestTotals = node.allocatable;
  for (const p of node.pods) if (staysWithNode(p, now)) room = minus(room, p);
  return room;
}

/** Pods that need room somewhere: on the nodes (not leaving with them, not finished or gone) or pending. */
function podsNeedingRoom(snapshot: ClusterSnapshot, now: Date): RequestTotals[] {
  const onNodes = snapshot.nodes.flatMap((n) =>
    n.pods.filter((p) => !staysWithNode(p, now) && classifyPod(p, now).verdict !== 'skip'),
  );
  return [...onNodes, ...snapshot.pendingPods];
}

/**
 * The requests picture of a sample, or null when it carries no window peak
 * (the sampler gathers it only for the consolidation profile, from
 * kube-state-metrics): without the peak a dip shorter than the window would
 * cost a node needed again at once.
 *
 * @example
 * const picture = requestsPicture(snapshot, config, now);
 */
export function requestsPicture(
  snapshot: ClusterSnapshot,
  config: Config,
  now: Date,
): RequestsPicture | null {
  const window = snapshot.requestsWindowMax;
  if (!window) return null;
  const pods = podsNeedingRoom(snapshot, now);
  const current = pods.reduce<RequestTotals>((sum, p) => plus(sum, p), ZERO);
  let largest = ZERO;
  for (const p of pods)
    largest = {
      cpuMillis: Math.max(largest.cpuMillis, p.cpuMillis),
      memoryBytes: Math.max(largest.memoryBytes, p.memoryBytes),
    };
  const { pods: headroomPods, share } = config.scaleDown.headroom;
  return {
    peak: {
      cpuMillis: Math.max(window.cpuMillis, current.cpuMillis),
      memoryBytes: Math.max(window.memoryBytes, current.memoryBytes),
    },
    headroomPods: {
      cpuMillis: headroomPods * largest.cpuMillis,
      memoryBytes: headroomPods * largest.memoryBytes,
    },
    headroomShare: share,
    hosts: snapshot.nodes
      .filter((n) => n.ready && !n.unschedulable)
      .map((node) => ({ node, room: roomOf(node, now) })),
    windowSeconds: window.windowSeconds,
  };
}

/**
 * Share of `room` that the peak plus headroom takes, the larger of CPU and
 * memory: at most 1 means it fits. The share of headroom is kept free of the
 * room itself ("keep 10 % of Ready capacity free").
 */
export function demandShare(picture: RequestsPicture, room: RequestTotals): number {
  const keep = 1 - picture.headroomShare;
  const need = plus(picture.peak, picture.headroomPods);
  const share = (want: number, have: number) =>
    want <= 0 ? 0 : have <= 0 ? Number.POSITIVE_INFINITY : want / (have * keep);
  return Math.max(share(need.cpuMillis, room.cpuMillis), share(need.memoryBytes, room.memoryBytes));
}

/** The fleet's room without the `k` nodes of least room (the fewest a removal could take away). */
function roomWithout(picture: RequestsPicture, k: number): RequestTotals {
  const rooms = picture.hosts.map((h) => h.room);
  const total = rooms.reduce(plus, ZERO);
  // Nodes of one type all give the same room; with several types the
  // smallest are the removals that leave the most.
  const bySize = [...rooms].sort(
    (a, b) => a.cpuMillis - b.cpuMillis || a.memoryBytes - b.memoryBytes,
  );
  return bySize.slice(0, k).reduce(minus, total);
}

/**
 * Requests-based consolidation (scaleDown.profile "consolidation"), asked
 * when the CPU and memory rule holds: remove a node when the pods' peak
 * requests over the window plus `scaleDown.headroom` fit on the Ready nodes
 * that stay, and the node's pods fit on the others now (core's `pickVictim`,
 * so the same blockers: do-not-disrupt, local storage, PDBs, StatefulSets,
 * kube-system, too young, recently failed drain). The same budgets as the
 * CPU rule: nothing pending, above min, at most `scaleDown.maxStep` drains
 * at once, nothing joining or not Ready, both cooldowns (the scale-down one
 * skipped while the peak would still fit with two nodes fewer, a clear
 * surplus), no rise the daily pattern expects, and no removal that would
 * put CPU above the scale-up target. It lets go of a node whose pods are
 * few but busy (CPU above 30 % on a half-empty fleet), which the CPU rule
 * keeps. Pure.
 *
 * @example
 * const decision = consolidate({ ...ctx, usage });
 * if (decision.kind === 'scale-down') drain(decision.victim.nodeName);
 */
export function consolidate(ctx: ScaleDownContext): Decision {
  const holds: Reason[] = holdsOf(anyScaleDownGates, ctx);
  const { config, snapshot, now } = ctx;
  const picture = requestsPicture(snapshot, config, now);
  if (!picture)
    return {
      kind: 'hold',
      reasons: [
        ...holds,
        reasons.RequestsPeakUnavailable({ windowSeconds: config.scaleDown.sustainSeconds }),
      ],
    };
  const described = {
    peak: picture.peak,
    headroom: config.scaleDown.headroom,
    windowSeconds: picture.windowSeconds,
    nodes: picture.hosts.length,
  };
  const withOneFewer =
    picture.hosts.length > 1 ? demandShare(picture, roomWithout(picture, 1)) : Infinity;
  if (withOneFewer > 1)
    holds.push(reasons.RequestsNotLow({ ...described, projected: withOneFewer }));
  const clearSurplus =
    config.scaleDown.skipCooldownWhenSurplus &&
    picture.hosts.length > 2 &&
    demandShare(picture, roomWithout(picture, 2)) <= 1;
  holds.push(
    ...[
      cooldownAfterScaleDown(ctx, clearSurplus),
      predictedRiseAhead(ctx),
      projectedCpuTooHigh(ctx),
    ].flatMap((r) => r ?? []),
  );
  if (holds.length > 0) return { kind: 'hold', reasons: holds };

  const total = picture.hosts.reduce((sum, h) => plus(sum, h.room), ZERO);
  const rooms = new Map(picture.hosts.map((h) => [h.node.name, h.room]));
  // With several instance types, nodes differ in room: only one whose
  // removal leaves room for the peak may go.
  const keepsRoom = (node: NodeInfo) =>
    demandShare(picture, minus(total, rooms.get(node.name) ?? ZERO)) <= 1;
  return removeOneNode(
    ctx,
    [reasons.RequestsLow({ ...described, projected: withOneFewer })],
    'requests',
    keepsRoom,
  );
}
