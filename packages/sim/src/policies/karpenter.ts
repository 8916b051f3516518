import type { SimCluster, SimNode } from '../cluster.js';
import { nodesFor } from '../model.js';
import type { Policy, PolicyContext } from '../simulator.js';

/**
 * Karpenter's settings that matter here, at their defaults. Sources:
 * karpenter.sh/docs/reference/settings (BATCH_IDLE_DURATION,
 * BATCH_MAX_DURATION), karpenter.sh/docs/concepts/disruption
 * (consolidation, its validation, budgets, interruption) and
 * karpenter.sh/docs/concepts/nodepools (disruption block defaults).
 */
export interface KarpenterSettings {
  /** --batch-idle-duration=1s: a batch ends when no new Pending pod arrived for this long. */
  readonly batchIdleSeconds: number;
  /** --batch-max-duration=10s: a batch never lasts longer than this. */
  readonly batchMaxSeconds: number;
  /** NodePool spec.disruption.consolidateAfter default 0s (v1): candidates at once. */
  readonly consolidateAfterSeconds: number;
  /** The disruption controller's polling period (pkg/controllers/disruption: 10 s). */
  readonly disruptionPollSeconds: number;
  /** A consolidation command is re-validated after this wait before it runs (15 s, disruption docs). */
  readonly consolidationValidationSeconds: number;
  /** NodePool spec.disruption.budgets default `nodes: "10%"`, rounded up. */
  readonly disruptionBudgetShare: number;
}

export const karpenterDefaults: KarpenterSettings = {
  batchIdleSeconds: 1,
  batchMaxSeconds: 10,
  consolidateAfterSeconds: 0,
  disruptionPollSeconds: 10,
  consolidationValidationSeconds: 15,
  disruptionBudgetShare: 0.1,
};

/**
 * The provisioner's batching window: opened by the first new Pending pod,
 * extended by each later one, closed when `idle` passes without one or
 * `max` after it opened. Virtual time moves in steps and pods only arrive
 * on steps, so the window closes at the last step before it would lapse:
 * on 10 s steps a batch launches on the step its pods arrived, up to 1 s
 * sooner than Karpenter would (in the peer's favour, never against it).
 *
 * @example
 * const batch = new ProvisioningBatch(1, 10);
 * batch.podArrived(60);
 * batch.closesAt(60, 70); // true: no pod can arrive before the idle second is up
 */
export class ProvisioningBatch {
  #openedAt: number | null = null;
  #lastArrivalAt = 0;

  constructor(
    readonly idleSeconds: number,
    readonly maxSeconds: number,
  ) {}

  get open(): boolean {
    return this.#openedAt !== null;
  }

  podArrived(now: number): void {
    this.#openedAt ??= now;
    this.#lastArrivalAt = now;
  }

  /** Whether the window ends before `nextArrivalAt`, the next moment a pod could arrive. */
  closesAt(now: number, nextArrivalAt: number): boolean {
    if (this.#openedAt === null) return false;
    const idleEnds = this.#lastArrivalAt + this.idleSeconds;
    const maxEnds = this.#openedAt + this.maxSeconds;
    return nextArrivalAt > idleEnds || nextArrivalAt > maxEnds || now >= maxEnds;
  }

  close(): void {
    this.#openedAt = null;
  }
}

/** Nodes Karpenter may disrupt at once under a percentage budget (rounded up, as `nodes: "10%"` is). */
export function disruptionBudget(nodes: number, share: number): number {
  return Math.ceil(nodes * share - 1e-9);
}

interface ConsolidationCommand {
  readonly nodes: readonly SimNode[];
  readonly decidedAt: number;
}

/** Room for pods on nodes that stay: Ready ones not being removed, and in-flight ones. */
function roomOutside(cluster: SimCluster, leaving: ReadonlySet<number>): number {
  let room = 0;
  for (const n of cluster.active())
    if (!leaving.has(n.id) && !n.cordoned) room += cluster.podCapacity - n.pods.size;
  return room;
}

/**
 * Karpenter with one NodePool of the workers' instance type, limits at the
 * cluster's max, and its defaults:
 * - provisioning: Pending pods are batched (1 s idle, 10 s max), then
 *   scheduled in simulation onto in-flight nodes first and bin-packed onto as
 *   few new nodes as hold the rest, launched together;
 * - consolidation `WhenEmptyOrUnderutilized`: every 10 s the disruption
 *   controller looks for empty nodes, then for the largest set of nodes
 *   (fewest pods first) whose pods, with any Pending pods, fit on the nodes
 *   that stay (one instance type, so a cheaper replacement never exists and
 *   consolidation is always a delete); it waits 15 s, re-validates, and
 *   deletes, never more nodes in disruption at once than the 10 % budget;
 * - interruption handling (the SQS interruption queue configured, as the
 *   install guide sets up): on a Spot warning the node is cordoned and
 *   drained at once and a replacement launched.
 * It never consolidates below the cluster's `workers.min`: the same floor
 * every policy in the bench keeps (in a Karpenter cluster, the static node
 * group that hosts the system pods).
 *
 * @example
 * simulate(trace, karpenterPolicy(), options);
 */
export function karpenterPolicy(settings: KarpenterSettings = karpenterDefaults): Policy {
  const batch = new ProvisioningBatch(settings.batchIdleSeconds, settings.batchMaxSeconds);
  const seen = new Set<number>();
  let nextPoll = 0;
  let command: ConsolidationCommand | null = null;
  const podsChangedAt = new Map<number, { pods: number; at: number }>();

  const provision = (ctx: PolicyContext) => {
    const { cluster, now, options } = ctx;
    let arrived = false;
    for (const p of cluster.pending)
      if (!seen.has(p.id)) {
        seen.add(p.id);
        arrived = true;
      }
    if (seen.size > 4096) {
      const live = new Set(cluster.pending.map((p) => p.id));
      for (const id of seen) if (!live.has(id)) seen.delete(id);
    }
    const inFlightRoom = cluster
      .active()
      .filter((n) => !n.ready)
      .reduce((room, n) => room + cluster.podCapacity - n.pods.size, 0);
    const uncovered = cluster.pending.length - inFlightRoom;
    // Pods still Pending after a launch was capped re-open a batch (the provisioner re-queues them).
    if (arrived || (uncovered > 0 && !batch.open)) batch.podArrived(now);
    if (!batch.closesAt(now, now + options.stepSeconds)) return;
    batch.close();
    if (uncovered <= 0) return;
    const count = Math.min(
      nodesFor(uncovered, options),
      options.config.workers.max - cluster.active().length,
    );
    if (count > 0) cluster.scaleUp(count, now);
  };

  const candidates = (ctx: PolicyContext): SimNode[] =>
    ctx.cluster
      .active()
      .filter((n) => {
        if (!n.ready || n.cordoned) return false;
        const changed = podsChangedAt.get(n.id);
        return !changed || ctx.now - changed.at >= settings.consolidateAfterSeconds;
      })
      .sort((a, b) => a.pods.size - b.pods.size || a.id - b.id);

  const allowed = (cluster: SimCluster): number => {
    const live = cluster.live();
    const deleting = live.filter((n) => n.terminateAt !== null).length;
    return disruptionBudget(live.length, settings.disruptionBudgetShare) - deleting;
  };

  /** The consolidation Karpenter would run now: empty nodes first, else the largest set that fits. */
  const findConsolidation = (ctx: PolicyContext): SimNode[] => {
    const { cluster, options } = ctx;
    const limit = Math.min(allowed(cluster), cluster.active().length - options.config.workers.min);
    if (limit <= 0) return [];
    const pool = candidates(ctx);
    const empty = pool.filter((n) => n.pods.size === 0).slice(0, limit);
    if (empty.length > 0) return empty;
    let best: SimNode[] = [];
    for (let k = 1; k <= Math.min(limit, pool.length); k++) {
      const set = pool.slice(0, k);
      const leaving = new Set(set.map((n) => n.id));
      const pods = set.reduce((sum, n) => sum + n.pods.size, 0) + cluster.pending.length;
      if (pods <= roomOutside(cluster, leaving)) best = set;
      else break;
    }
    return best;
  };

  const stillValid = (ctx: PolicyContext, nodes: readonly SimNode[]): boolean => {
    const { cluster, options } = ctx;
    const ids = new Set(candidates(ctx).map((n) => n.id));
    if (!nodes.every((n) => ids.has(n.id))) return false;
    if (nodes.length > allowed(cluster)) return false;
    if (cluster.active().length - nodes.length < options.config.workers.min) return false;
    const leaving = new Set(nodes.map((n) => n.id));
    const pods = nodes.reduce((sum, n) => sum + n.pods.size, 0) + cluster.pending.length;
    return pods <= roomOutside(cluster, leaving);
  };

  const consolidate = (ctx: PolicyContext) => {
    const { cluster, now } = ctx;
    for (const n of cluster.active()) {
      const last = podsChangedAt.get(n.id);
      if (!last || last.pods !== n.pods.size)
        podsChangedAt.set(n.id, { pods: n.pods.size, at: now });
    }
    if (command) {
      // The wait ends on the nearest step (ties early, in the peer's favour): 10 s steps
      // cannot hold 15 s, and rounding up would keep Karpenter's nodes 5 s longer each time.
      const waited = now + ctx.options.stepSeconds / 2 - command.decidedAt;
      if (waited < settings.consolidationValidationSeconds) return;
      const nodes = command.nodes;
      command = null;
      if (stillValid(ctx, nodes)) for (const n of nodes) cluster.scaleDown(n, now);
      return;
    }
    if (now < nextPoll) return;
    nextPoll = now + settings.disruptionPollSeconds;
    const nodes = findConsolidation(ctx);
    if (nodes.length > 0) command = { nodes, decidedAt: now };
  };

  return {
    name: 'karpenter',
    initialNodes: (trace, options) => ({
      count: Math.min(
        options.config.workers.max,
        Math.max(options.config.workers.min, nodesFor(trace.points[0]?.replicas ?? 0, options)),
      ),
    }),
    step(ctx) {
      provision(ctx);
      consolidate(ctx);
    },
    onSpotWarning(node, ctx) {
      ctx.cluster.replace(node, ctx.now);
      return 'drain-now';
    },
  };
}
