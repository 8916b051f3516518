import type { ClusterState, InFlightAction, Repair } from '@smartscale/contracts';
import { RepairCode } from '@smartscale/contracts';
import { closeAction, expireAction, expireStaleActions, rememberJoins } from './action-ledger.js';
import type { Config } from './config.js';

/** One of the cluster's tagged EC2 workers, in any state, as EC2 reports it. */
export interface ObservedInstance {
  readonly instanceId: string;
  /** EC2 state name: pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
  /** The `smartscale:action-id` tag: the action that launched it. */
  readonly actionId: string | null;
  readonly launchedAt: string | null;
}

/** A Node as the reconciler needs it (no pods). */
export interface ObservedNode {
  readonly name: string;
  readonly instanceId?: string | undefined;
  /**
   * Labelled `smartscale.io/managed=true`: set by the worker user data, but
   * by the node's own kubelet, so a hint. The instance's EC2 tags decide.
   */
  readonly managed: boolean;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly cordonedBy?: string | undefined;
  readonly drainDeadline?: string | undefined;
  readonly createdAt?: string | undefined;
  /** Not Ready since when (the Ready condition's last transition); absent when Ready. */
  readonly notReadySince?: string | undefined;
}

/** The three views the reconciler compares. */
export interface ClusterView {
  readonly instances: readonly ObservedInstance[];
  readonly nodes: readonly ObservedNode[];
  readonly state: ClusterState;
}

/** A repair the reconciler should make, with the fact it rests on. */
export type PlannedRepair = Repair & {
  /** When the fact began (instance launch, node creation, action start): names the repair stably. */
  readonly since: string;
  /**
   * action-done of a scale-up or replace: its instances with a Ready Node,
   * found by the action's tag when its launch report has not reached the
   * ledger yet (the ledger then has no ids), so they are remembered as joins.
   */
  readonly joinedInstanceIds?: readonly string[];
};

/** EC2 states after which the instance never runs pods again. */
const GONE_STATES = new Set(['shutting-down', 'terminated']);
/** States in which the instance runs no kubelet now but may start again. */
const STOPPED_STATES = new Set(['stopping', 'stopped']);

const seconds = (from: string | null | undefined, now: Date): number =>
  from ? (now.getTime() - Date.parse(from)) / 1000 : Number.POSITIVE_INFINITY;

/** Launch to Ready plus the join timeout plus the grace: how long a worker may be without a Node. */
function joinWindowSeconds(config: Config): number {
  return config.instance.bootSeconds + config.join.timeoutSeconds + config.reconcile.graceSeconds;
}

/** Instance ids and action ids the ledger still waits on. */
function liveActionFacts(state: ClusterState): {
  actionIds: Set<string>;
  instanceIds: Set<string>;
} {
  const actionIds = new Set(state.inFlight.map((a) => a.actionId));
  const instanceIds = new Set(state.inFlight.flatMap((a) => a.instanceIds));
  return { actionIds, instanceIds };
}

/**
 * Workers of ours with no Node past their join window and in no live
 * action: nothing will ever verify or use them, and they cost money.
 */
function orphanInstances(view: ClusterView, config: Config, now: Date): PlannedRepair[] {
  const withNode = new Set(view.nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : [])));
  const live = liveActionFacts(view.state);
  const window = joinWindowSeconds(config);
  return view.instances
    .filter(
      (i) =>
        !GONE_STATES.has(i.state) &&
        !withNode.has(i.instanceId) &&
        !live.instanceIds.has(i.instanceId) &&
        !(i.actionId && live.actionIds.has(i.actionId)) &&
        seconds(i.launchedAt, now) > window,
    )
    .map((i) => ({
      code: RepairCode.OrphanInstance,
      instanceId: i.instanceId,
      reason: `${i.instanceId} (${i.state}) has had no Node for ${Math.round(seconds(i.launchedAt, now))} s since launch (boot ${config.instance.bootSeconds} s + join timeout ${config.join.timeoutSeconds} s + grace ${config.reconcile.graceSeconds} s) and no action in flight waits for it`,
      since: i.launchedAt ?? now.toISOString(),
    }));
}

/**
 * The Node's instance when EC2 tags it as this cluster's worker, in any
 * state (EC2 lists terminated instances for about an hour): a Node is ours
 * only through it, never through its own label (issue #21 item 9).
 */
function instanceOf(
  node: ObservedNode,
  instances: ReadonlyMap<string, ObservedInstance>,
): ObservedInstance | undefined {
  return node.instanceId ? instances.get(node.instanceId) : undefined;
}

/**
 * Nodes of ours whose instance is gone: K3s has no cloud controller to
 * delete them, and a ghost counts toward min/max and, NotReady, holds every
 * scale-down. A stopped instance's Node is deleted only once it is NotReady
 * (its kubelet is really gone; a restarted kubelet registers the Node
 * again). Only Nodes whose instance is, or was, tagged ours are touched: a
 * Node whose instance EC2 no longer lists at all cannot be told from one
 * joined by hand, and is left alone and reported ({@link labelledNotOurs}).
 */
function ghostNodes(view: ClusterView, now: Date): PlannedRepair[] {
  const instances = new Map(view.instances.map((i) => [i.instanceId, i]));
  const repairs: PlannedRepair[] = [];
  for (const node of view.nodes) {
    const instance = instanceOf(node, instances);
    if (!instance) continue;
    const since = node.createdAt ?? now.toISOString();
    let why: string | null = null;
    if (GONE_STATES.has(instance.state)) {
      why = `its instance ${instance.instanceId} is ${instance.state}`;
    } else if (STOPPED_STATES.has(instance.state) && !node.ready) {
      why = `its instance ${instance.instanceId} is ${instance.state} and the Node is NotReady`;
    }
    if (why)
      repairs.push({
        code: RepairCode.GhostNode,
        nodeName: node.name,
        instanceId: node.instanceId,
        reason: `Node ${node.name}: ${why}`,
        since,
      });
  }
  return repairs;
}

/**
 * Cordons SmartScale made whose action is over: no drain works on the node
 * any more (the action left the ledger and the drain's deadline passed), so
 * the node would stay unschedulable for good. Ghost nodes are deleted
 * instead, so they are left to {@link ghostNodes}. Only Nodes whose
 * instance EC2 tags as ours: the annotations are on a Node any kubelet
 * writes to.
 */
function staleCordons(
  view: ClusterView,
  ghosts: ReadonlySet<string>,
  config: Config,
  now: Date,
): PlannedRepair[] {
  const live = liveActionFacts(view.state);
  const instances = new Map(view.instances.map((i) => [i.instanceId, i]));
  return view.nodes
    .filter(
      (n) =>
        instanceOf(n, instances) !== undefined &&
        n.unschedulable &&
        n.cordonedBy !== undefined &&
        !ghosts.has(n.name) &&
        !live.actionIds.has(n.cordonedBy) &&
        seconds(n.drainDeadline, now) > config.reconcile.graceSeconds,
    )
    .map((n) => ({
      code: RepairCode.StaleCordon,
      nodeName: n.name,
      ...(n.instanceId ? { instanceId: n.instanceId } : {}),
      repairedActionId: n.cordonedBy as string,
      reason: `Node ${n.name} was cordoned by action ${n.cordonedBy}, which is no longer in flight${n.drainDeadline ? ` (drain deadline ${n.drainDeadline})` : ''}`,
      since: n.drainDeadline ?? n.createdAt ?? now.toISOString(),
    }));
}

/**
 * How many NotReady workers node repair replaces at once: a fifth of the
 * workers, at least one. Karpenter blocks repair when more than 20 % of a
 * NodePool is unhealthy (so a cluster-wide fault - the network, the API
 * server - does not replace every node); at least one here, or a cluster of
 * two to four workers would never get a dead one back (the small-pool
 * limit kubernetes-sigs/karpenter PR #2739 asks to lift).
 */
function repairableAtOnce(workers: number): number {
  return Math.max(1, Math.floor(workers * 0.2));
}

/** Workers of ours whose Node has stayed NotReady past `reconcile.repairNotReadySeconds`, instance running. */
function notReadyTooLong(view: ClusterView, config: Config, now: Date): ObservedNode[] {
  const limit = config.reconcile.repairNotReadySeconds;
  if (limit === 0) return [];
  const instances = new Map(view.instances.map((i) => [i.instanceId, i]));
  const live = liveActionFacts(view.state);
  return view.nodes.filter(
    (n) =>
      instanceOf(n, instances)?.state === 'running' &&
      !n.ready &&
      n.notReadySince !== undefined &&
      seconds(n.notReadySince, now) > limit &&
      // A join or a drain in flight decides about this node itself.
      !live.instanceIds.has(n.instanceId as string) &&
      !(n.cordonedBy && live.actionIds.has(n.cordonedBy)),
  );
}

/** Workers of ours: Nodes whose instance EC2 tags as this cluster's, running or pending. */
function ourWorkers(view: ClusterView): number {
  const instances = new Map(view.instances.map((i) => [i.instanceId, i]));
  return view.nodes.filter((n) => {
    const state = instanceOf(n, instances)?.state;
    return state === 'running' || state === 'pending';
  }).length;
}

/**
 * Node repair: a worker whose kubelet is gone for good (NotReady past
 * `reconcile.repairNotReadySeconds`, instance running) never drains - an
 * eviction waits for a kubelet that will not answer - and, NotReady, holds
 * every scale-down. It is terminated and its Node deleted; its pods were
 * already not running, and the scale-up rules replace the capacity. Held
 * when more workers than {@link repairableAtOnce} are that far gone.
 */
function unhealthyNodes(view: ClusterView, config: Config, now: Date): PlannedRepair[] {
  const found = notReadyTooLong(view, config, now);
  if (found.length === 0 || found.length > repairableAtOnce(ourWorkers(view))) return [];
  return found.map((n) => ({
    code: RepairCode.UnhealthyNode,
    nodeName: n.name,
    instanceId: n.instanceId,
    reason: `Node ${n.name} has been NotReady since ${n.notReadySince} (${Math.round(seconds(n.notReadySince, now))} s, over reconcile.repairNotReadySeconds ${config.reconcile.repairNotReadySeconds}) while its instance ${n.instanceId} runs: its kubelet is gone; the instance is terminated and the Node deleted`,
    since: n.notReadySince as string,
  }));
}

/**
 * NotReady workers node repair leaves alone because too many are: more
 * than a fifth of the workers points at the cluster (network, API server),
 * not at each node. Reported so a person can look.
 */
export function unhealthyNodesHeld(view: ClusterView, config: Config, now: Date): LeftAloneNode[] {
  const found = notReadyTooLong(view, config, now);
  const workers = ourWorkers(view);
  if (found.length <= repairableAtOnce(workers)) return [];
  return found.map((n) => ({
    nodeName: n.name,
    ...(n.instanceId ? { instanceId: n.instanceId } : {}),
    reason: `Node ${n.name} has been NotReady since ${n.notReadySince}, but ${found.length} of ${workers} workers are: more than node repair replaces at once (${repairableAtOnce(workers)}); a cluster-wide fault is likelier than that many dead kubelets, so none is replaced`,
  }));
}

/** Whether an in-flight action's facts show it finished: how, and which of its instances joined. */
function doneBecause(
  action: InFlightAction,
  view: ClusterView,
): { because: string; joined: string[] } | null {
  const instances = new Map(view.instances.map((i) => [i.instanceId, i]));
  const readyNode = new Set(
    view.nodes.flatMap((n) => (n.ready && n.instanceId ? [n.instanceId] : [])),
  );
  if (action.kind === 'scale-down') {
    const nodeThere = view.nodes.some((n) => n.name === action.nodeName);
    const instanceId = action.instanceIds[0];
    const instance = instanceId ? instances.get(instanceId) : undefined;
    if (!nodeThere && (!instance || GONE_STATES.has(instance.state)))
      return {
        because: `node ${action.nodeName} is gone and its instance ${instanceId ?? '(unknown)'} is ${instance?.state ?? 'gone'}`,
        joined: [],
      };
    return null;
  }
  // Scale-up or replace. Before InstancesLaunched is recorded the ledger has
  // no instance ids: the action's instances are found by their tag, and all
  // it asked for must exist before it can be called done.
  const tagged = view.instances.filter((i) => i.actionId === action.actionId);
  const waiting =
    action.instanceIds.length > 0 ? action.instanceIds : tagged.map((i) => i.instanceId);
  if (action.instanceIds.length === 0 && tagged.length < action.pendingJoins) return null;
  const settled = (id: string) => {
    const state = instances.get(id)?.state;
    return readyNode.has(id) || state === undefined || GONE_STATES.has(state);
  };
  if (waiting.length === 0 || !waiting.every(settled)) return null;
  return {
    because: `every instance it waited for has a Ready Node or is gone (${waiting.join(', ')})`,
    joined: waiting.filter((id) => readyNode.has(id)),
  };
}

/** A Node labelled managed whose instance is not SmartScale's: never repaired, reported. */
export interface LeftAloneNode {
  readonly nodeName: string;
  readonly instanceId?: string;
  readonly reason: string;
}

/**
 * Nodes labelled `smartscale.io/managed=true` whose instance EC2 does not
 * tag as this cluster's worker, or that have no instance at all: joined by
 * hand with the workers' user data, or left over from a worker EC2 has
 * forgotten. The reconciler touches none of them (issue #21 item 9) and
 * says so, so a person can look.
 *
 * @example
 * labelledNotOurs({ instances, nodes, state }); // [{ nodeName: 'by-hand', reason: '...' }]
 */
export function labelledNotOurs(view: ClusterView): LeftAloneNode[] {
  const instances = new Map(view.instances.map((i) => [i.instanceId, i]));
  return view.nodes
    .filter((n) => n.managed && instanceOf(n, instances) === undefined)
    .map((n) => ({
      nodeName: n.name,
      ...(n.instanceId ? { instanceId: n.instanceId } : {}),
      reason: n.instanceId
        ? `Node ${n.name} is labelled smartscale.io/managed but EC2 does not list its instance ${n.instanceId} as a worker of this cluster (smartscale:cluster and smartscale:managed=true): left alone`
        : `Node ${n.name} is labelled smartscale.io/managed but has no AWS providerID: left alone`,
    }));
}

/** In-flight actions whose facts are done, or that outlived every deadline. */
export function planLedgerRepairs(view: ClusterView, config: Config, now: Date): PlannedRepair[] {
  const { expired } = expireStaleActions(view.state, config, now);
  const overdue = new Set(expired.map((a) => a.actionId));
  const repairs: PlannedRepair[] = expired.map((a) => ({
    code: RepairCode.ActionOverdue,
    repairedActionId: a.actionId,
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
    reason: `${a.kind} action ${a.actionId} started ${a.startedAt} is past every deadline it could have and still has no outcome`,
    since: a.startedAt,
  }));
  for (const action of view.state.inFlight) {
    if (overdue.has(action.actionId)) continue;
    const done = doneBecause(action, view);
    if (done)
      repairs.push({
        code: RepairCode.ActionDone,
        repairedActionId: action.actionId,
        ...(action.nodeName ? { nodeName: action.nodeName } : {}),
        reason: `${action.kind} action ${action.actionId} is done but its outcome never reached the ledger: ${done.because}`,
        since: action.startedAt,
        ...(action.kind === 'scale-down' ? {} : { joinedInstanceIds: done.joined }),
      });
  }
  return repairs;
}

/**
 * Compares EC2, Kubernetes and the ledger and lists what to repair, level-
 * triggered: whichever message was lost, late or doubled, the same view
 * gives the same repairs. Pure; the reconciler service acts on the result.
 *
 * @example
 * const repairs = planRepairs({ instances, nodes, state }, config, now);
 */
export function planRepairs(view: ClusterView, config: Config, now: Date): PlannedRepair[] {
  const ghosts = ghostNodes(view, now);
  const ghostNames = new Set(ghosts.flatMap((g) => (g.nodeName ? [g.nodeName] : [])));
  return [
    ...orphanInstances(view, config, now),
    ...ghosts,
    ...staleCordons(view, ghostNames, config, now),
    ...unhealthyNodes(view, config, now),
    ...planLedgerRepairs(view, config, now),
  ];
}

/**
 * The ledger after the ledger repairs: closed and expired actions move to
 * the closed list (so their late outcomes change nothing). Repairs that are
 * not about the ledger change nothing.
 */
export function applyLedgerRepairs(
  state: ClusterState,
  repairs: readonly PlannedRepair[],
  now: Date,
): ClusterState {
  let next = state;
  for (const repair of repairs) {
    const action = next.inFlight.find((a) => a.actionId === repair.repairedActionId);
    if (!action) continue;
    if (repair.code === RepairCode.ActionDone) {
      next = closeAction(next, action, 'completed', now);
      // Its workers' Nodes are Ready now, but a sample taken before this
      // moment shows neither them nor the closed action: remembered as
      // joins so the decider still counts them (else it launched above
      // max; found by the chaos soak, issue #19, CI seed 1). The ids come
      // from the repair, which found them by tag when the launch report had
      // not reached the ledger: the ledger's own list is then empty (the
      // demo's 13 workers of max 10).
      if (action.kind !== 'scale-down') {
        const settled = new Set(action.settledInstanceIds);
        next = rememberJoins(
          next,
          (repair.joinedInstanceIds ?? action.instanceIds).filter((id) => !settled.has(id)),
          now,
        );
      }
    }
    if (repair.code === RepairCode.ActionOverdue) next = expireAction(next, action, now);
  }
  return next;
}
