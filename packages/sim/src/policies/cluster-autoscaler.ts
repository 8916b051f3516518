import { podAllocatable } from '@smartscale/core';
import type { SimNode } from '../cluster.js';
import { nodesFor, type SimOptions } from '../model.js';
import type { Policy, PolicyContext } from '../simulator.js';

/**
 * Cluster Autoscaler's flags that matter here, at their defaults. Sources:
 * kubernetes/autoscaler cluster-autoscaler/FAQ.md ("What are the parameters
 * to CA?", "How does scale-down work?") and the flag definitions in
 * cluster-autoscaler/main.go / config/autoscaling_options.go.
 */
export interface ClusterAutoscalerFlags {
  /** --scan-interval=10s: how often the cluster is re-evaluated for scale up or down. */
  readonly scanIntervalSeconds: number;
  /** --new-pod-scale-up-delay=0s: unschedulable pods younger than this are ignored. */
  readonly newPodScaleUpDelaySeconds: number;
  /** --scale-down-utilization-threshold=0.5: requests / allocatable (CPU and memory, the higher). */
  readonly scaleDownUtilizationThreshold: number;
  /** --scale-down-unneeded-time=10m: a node must stay unneeded this long before removal. */
  readonly scaleDownUnneededSeconds: number;
  /** --scale-down-delay-after-add=10m: scale-down evaluation resumes this long after a scale-up. */
  readonly scaleDownDelayAfterAddSeconds: number;
  /** --scale-down-delay-after-delete: defaults to the scan interval. */
  readonly scaleDownDelayAfterDeleteSeconds: number;
  /** --max-node-provision-time=15m: a node not registered by then is given up and removed. */
  readonly maxNodeProvisionSeconds: number;
  /** --max-empty-bulk-delete=10: empty nodes removed in one go. */
  readonly maxEmptyBulkDelete: number;
  /** --max-drain-parallelism=1: non-empty nodes drained at once. */
  readonly maxDrainParallelism: number;
}

export const clusterAutoscalerDefaults: ClusterAutoscalerFlags = {
  scanIntervalSeconds: 10,
  newPodScaleUpDelaySeconds: 0,
  scaleDownUtilizationThreshold: 0.5,
  scaleDownUnneededSeconds: 600,
  scaleDownDelayAfterAddSeconds: 600,
  scaleDownDelayAfterDeleteSeconds: 10,
  maxNodeProvisionSeconds: 900,
  maxEmptyBulkDelete: 10,
  maxDrainParallelism: 1,
};

/** A node's requested share of its allocatable: the higher of CPU and memory, as CA computes it. */
export function requestedShare(pods: number, options: SimOptions): number {
  const room = podAllocatable(options.config);
  const { podCpuMillis, podMemoryBytes } = options.workload;
  return Math.max(
    (pods * podCpuMillis) / room.cpuMillis,
    (pods * podMemoryBytes) / room.memoryBytes,
  );
}

/**
 * Cluster Autoscaler with one node group (the workers' launch template,
 * min and max of the cluster's config) and its default flags. Every scan:
 * - scale-up: the Pending pods (the scheduler found no room) are first
 *   placed, in simulation, on nodes already booting ("upcoming nodes"); for
 *   the rest the binpacking estimator asks for as many new nodes as they
 *   fill, in one scale-up, capped by the group's max;
 * - scale-down: a Ready node whose requests are under 50 % of allocatable
 *   and whose pods all fit on the other nodes (room reserved node by node,
 *   so two candidates never count on the same room) is "unneeded"; one that
 *   stays unneeded for 10 minutes is removed, unless a scale-up happened in
 *   the last 10 minutes. Unneeded time keeps counting during that delay (CA
 *   updates unneeded nodes on every loop and only skips the removal).
 * Spot interruption warnings are not CA's business (it reacts when the node
 * goes away and its pods are Pending), so the node rides the warning out.
 *
 * @example
 * simulate(trace, clusterAutoscalerPolicy(), options);
 */
export function clusterAutoscalerPolicy(
  flags: ClusterAutoscalerFlags = clusterAutoscalerDefaults,
): Policy {
  let nextScan = 0;
  let lastScaleUpAt = Number.NEGATIVE_INFINITY;
  let lastDeleteAt = Number.NEGATIVE_INFINITY;
  const unneededSince = new Map<number, number>();

  const scaleUp = (ctx: PolicyContext) => {
    const { cluster, now, options } = ctx;
    const unschedulable = cluster.pending.filter(
      (p) => now - (p.pendingSince ?? now) >= flags.newPodScaleUpDelaySeconds,
    ).length;
    if (unschedulable === 0) return false;
    const upcoming = cluster.active().filter((n) => !n.ready);
    const upcomingRoom = upcoming.length * cluster.podCapacity;
    const short = unschedulable - upcomingRoom;
    if (short <= 0) return false;
    const targetSize = cluster.active().length;
    const count = Math.min(nodesFor(short, options), options.config.workers.max - targetSize);
    if (count <= 0) return false;
    cluster.scaleUp(count, now);
    lastScaleUpAt = now;
    return true;
  };

  /** Marks unneeded nodes (every loop) and returns those unneeded long enough. */
  const updateUnneeded = (ctx: PolicyContext): SimNode[] => {
    const { cluster, now, options } = ctx;
    const ready = cluster.active().filter((n) => n.ready && !n.cordoned);
    const free = new Map(ready.map((n) => [n.id, cluster.podCapacity - n.pods.size]));
    const candidates = ready
      .filter((n) => requestedShare(n.pods.size, options) < flags.scaleDownUtilizationThreshold)
      .sort((a, b) => a.pods.size - b.pods.size || a.id - b.id);
    const unneeded = new Set<number>();
    for (const node of candidates) {
      // Room on the nodes that stay, minus what earlier candidates already took.
      let toPlace = node.pods.size;
      const takes: [number, number][] = [];
      for (const other of ready) {
        if (toPlace === 0) break;
        if (other.id === node.id || unneeded.has(other.id)) continue;
        const room = free.get(other.id) ?? 0;
        const take = Math.min(room, toPlace);
        if (take > 0) takes.push([other.id, take]);
        toPlace -= take;
      }
      if (toPlace > 0) continue;
      for (const [id, take] of takes) free.set(id, (free.get(id) ?? 0) - take);
      unneeded.add(node.id);
    }
    for (const id of unneededSince.keys()) if (!unneeded.has(id)) unneededSince.delete(id);
    for (const id of unneeded) if (!unneededSince.has(id)) unneededSince.set(id, now);
    return candidates.filter(
      (n) =>
        unneeded.has(n.id) &&
        now - (unneededSince.get(n.id) as number) >= flags.scaleDownUnneededSeconds,
    );
  };

  const scaleDown = (ctx: PolicyContext, removable: SimNode[]) => {
    const { cluster, now, options } = ctx;
    if (now - lastScaleUpAt < flags.scaleDownDelayAfterAddSeconds) return;
    if (now - lastDeleteAt < flags.scaleDownDelayAfterDeleteSeconds) return;
    let spare = cluster.active().length - options.config.workers.min;
    if (spare <= 0 || removable.length === 0) return;
    const empty = removable.filter((n) => n.pods.size === 0);
    const victims =
      empty.length > 0
        ? empty.slice(0, Math.min(flags.maxEmptyBulkDelete, spare))
        : removable.slice(0, Math.min(flags.maxDrainParallelism, spare));
    for (const v of victims) {
      cluster.scaleDown(v, now);
      unneededSince.delete(v.id);
      spare -= 1;
    }
    lastDeleteAt = now;
  };

  return {
    name: 'cluster-autoscaler',
    initialNodes: (trace, options) => ({
      count: Math.min(
        options.config.workers.max,
        Math.max(options.config.workers.min, nodesFor(trace.points[0]?.replicas ?? 0, options)),
      ),
    }),
    step(ctx) {
      if (ctx.now < nextScan) return;
      nextScan = ctx.now + flags.scanIntervalSeconds;
      const { cluster, now } = ctx;
      for (const n of cluster.active())
        if (!n.ready && now - n.launchedAt >= flags.maxNodeProvisionSeconds)
          cluster.drain(n, now, 0);
      // A loop that scaled up does not scale down (CA's RunOnce returns after a scale-up).
      if (scaleUp(ctx)) return;
      scaleDown(ctx, updateUnneeded(ctx));
    },
  };
}
