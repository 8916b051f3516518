import type { AnyEnvelope, ClusterState, Repair } from '@smartscale/contracts';
import { createMessage, isRedeliverLater, RepairCode, stableUlid } from '@smartscale/contracts';
import {
  applyLedgerRepairs,
  type ClusterView,
  type Config,
  type LeftAloneNode,
  labelledNotOurs,
  type ObservedInstance,
  type ObservedNode,
  type PlannedRepair,
  planLedgerRepairs,
  planRepairs,
  unhealthyNodesHeld,
} from '@smartscale/core';

/**
 * One line of the audit log, as the reconciler writes it: its repairs and
 * passes under their own ids, and the end of an action it closed (outcome)
 * or expired under that action's id.
 */
export interface ReconcilerAuditRecord {
  readonly clusterId: string;
  readonly actionId: string;
  readonly at: string;
  readonly kind: 'repair' | 'reconcile' | 'outcome' | 'expired';
  readonly summary: string;
  readonly detail: Record<string, unknown>;
}

/** What the reconciler needs from EC2, Kubernetes and DynamoDB; `L` is the lock's lease. */
export interface ReconcilerPorts<L = unknown> {
  readonly clusterId: string;
  readonly config: Config;
  readonly now: () => Date;
  /** The cluster's tagged workers in every state (terminated ones while EC2 still lists them). */
  describeInstances(): Promise<ObservedInstance[]>;
  /** Every Node, without pods. */
  listNodes(): Promise<ObservedNode[]>;
  /** Terminates a worker of this cluster; refuses anything else. */
  terminate(instanceId: string): Promise<void>;
  /** Deletes a Node; one already gone is not an error. */
  deleteNode(nodeName: string): Promise<void>;
  uncordon(nodeName: string): Promise<void>;
  acquireLock(clusterId: string): Promise<L | null>;
  releaseLock(clusterId: string, lease: L): Promise<void>;
  loadState(clusterId: string): Promise<ClusterState>;
  saveState(state: ClusterState, lease: L): Promise<void>;
  audit(record: ReconcilerAuditRecord): Promise<void>;
  /** Keeps the pass's summary for `smartscale status` (overwrites the last one). */
  recordPass(summary: Reconciliation): Promise<void>;
  publish(message: AnyEnvelope): Promise<void>;
  /** Runs `effect` only the first time (actionId, step) is seen, so two runs repair once. */
  once(actionId: string, step: string, effect: () => Promise<void>): Promise<boolean>;
}

/** What one pass found and did; also audited and shown by `smartscale status`. */
export interface Reconciliation {
  readonly at: string;
  readonly actionId: string;
  readonly found: { readonly instances: number; readonly nodes: number; readonly inFlight: number };
  readonly repaired: (Repair & { readonly actionId: string })[];
  /** Repairs that threw, by code and subject; the next pass tries them again. */
  readonly failed: {
    readonly code: Repair['code'];
    readonly subject: string;
    readonly error: string;
  }[];
  /** The ledger repairs waited for the cluster lock and it stayed busy: tried next pass. */
  readonly ledgerLockBusy: boolean;
  /**
   * The ledger repairs held the lock but lost it before their write (the
   * lease ran out, or the state moved under it): the refusal, named; nothing
   * of them was saved or reported and the next pass tries them again. The
   * other repairs still ran. Absent when the ledger part did not lose it.
   */
  readonly ledgerLockLost?: string;
  /**
   * Nodes labelled managed whose instance EC2 does not tag as ours (joined
   * by hand, or forgotten by EC2): never repaired, listed for a person.
   */
  readonly leftAlone: readonly LeftAloneNode[];
}

const LEDGER_CODES = new Set<string>([RepairCode.ActionDone, RepairCode.ActionOverdue]);

/** A repair's action id: the same in every run that finds the same fact. */
export function repairActionId(repair: PlannedRepair): string {
  const subject = [repair.instanceId, repair.nodeName, repair.repairedActionId]
    .map((s) => s ?? '')
    .join('/');
  return stableUlid(new Date(repair.since), `${repair.code}/${subject}`);
}

/** What a repair is about, in one word: the Node, else the instance, else the action. */
function subjectOf(repair: Repair): string {
  return repair.nodeName ?? repair.instanceId ?? repair.repairedActionId ?? '';
}

function published(repair: PlannedRepair): Repair {
  // since and joinedInstanceIds serve the ledger; RepairMade carries the repair itself.
  const { since: _since, joinedInstanceIds: _joined, ...rest } = repair;
  return rest;
}

async function act<L>(ports: ReconcilerPorts<L>, repair: PlannedRepair): Promise<void> {
  switch (repair.code) {
    case RepairCode.OrphanInstance:
      return ports.terminate(repair.instanceId as string);
    case RepairCode.GhostNode:
      return ports.deleteNode(repair.nodeName as string);
    case RepairCode.StaleCordon:
      return ports.uncordon(repair.nodeName as string);
    case RepairCode.UnhealthyNode:
      // Terminate first: a kubelet that came back would register the Node again.
      await ports.terminate(repair.instanceId as string);
      return ports.deleteNode(repair.nodeName as string);
    default:
      throw new Error(`repair ${repair.code} is a ledger repair, made under the cluster lock`);
  }
}

/**
 * Publishes the repair for people (Slack) and audits it under its own
 * action id, stamped when it was made (after the act), not when the pass
 * began: the audit's order is then the world's.
 */
async function report<L>(
  ports: ReconcilerPorts<L>,
  repair: PlannedRepair,
  actionId: string,
): Promise<void> {
  const now = ports.now();
  const payload = published(repair);
  await ports.publish(
    createMessage('RepairMade', payload, { clusterId: ports.clusterId, actionId }, now),
  );
  await ports.audit({
    clusterId: ports.clusterId,
    actionId,
    at: now.toISOString(),
    kind: 'repair',
    summary: `repair ${repair.code}: ${subjectOf(repair)}`,
    detail: { repair: payload },
  });
}

/**
 * Ends the trail of the action a ledger repair closed, under that action's
 * id: the repair itself is audited under its own id, and the outcome the
 * action waited for may come late or never (that is why it was repaired),
 * so without this its history ended in its decision (chaos soak seed 2: a
 * scale-down closed by action-done while its NodeRemoved sat behind a
 * backlog of samples). A late outcome still follows, audited as changing
 * nothing.
 */
async function endTrail<L>(
  ports: ReconcilerPorts<L>,
  repair: PlannedRepair,
  repairActionId: string,
): Promise<void> {
  if (!repair.repairedActionId) return;
  const overdue = repair.code === RepairCode.ActionOverdue;
  await ports.audit({
    clusterId: ports.clusterId,
    actionId: repair.repairedActionId,
    at: ports.now().toISOString(),
    kind: overdue ? 'expired' : 'outcome',
    summary: overdue
      ? 'expired without an outcome (reconciler)'
      : 'closed by the reconciler: its outcome never reached the ledger',
    detail: { repair: published(repair), repairActionId, ledgerChanged: true },
  });
}

async function withLock<T, L>(
  ports: ReconcilerPorts<L>,
  work: (lease: L) => Promise<T>,
): Promise<T | null> {
  const lease = await ports.acquireLock(ports.clusterId);
  if (!lease) return null;
  try {
    return await work(lease);
  } finally {
    await ports.releaseLock(ports.clusterId, lease);
  }
}

/**
 * One pass of the reconciler: observe EC2, Kubernetes and the ledger, then
 * repair. Ledger repairs come first, planned again under the cluster lock
 * on the state read there (so they never undo a newer outcome); the other
 * repairs are then planned with core's {@link planRepairs} against that
 * ledger, and each runs once per fact (dedup on a stable action id), so two
 * passes at once repair once. One failed repair does not stop the others;
 * the pass reports it.
 *
 * @example
 * const result = await reconcileCluster(ports);
 */
export async function reconcileCluster<L>(ports: ReconcilerPorts<L>): Promise<Reconciliation> {
  const now = ports.now();
  const [instances, nodes, state] = await Promise.all([
    ports.describeInstances(),
    ports.listNodes(),
    ports.loadState(ports.clusterId),
  ]);
  const repaired: Reconciliation['repaired'] = [];
  const failed: Reconciliation['failed'] = [];

  // The ledger first: an action closed or expired now no longer shields its
  // instances, so an orphan is found in this pass, not the next.
  let ledgerLockBusy = false;
  let ledgerLockLost: string | undefined;
  let current = state;
  if (planLedgerRepairs({ instances, nodes, state }, ports.config, now).length > 0) {
    let closed: PlannedRepair[] | null = null;
    try {
      closed = await withLock(ports, async (lease) => {
        const fresh = await ports.loadState(ports.clusterId);
        // The newest ledger read stands for the other repairs even if the
        // write below is refused: the repaired copy never reached the ledger.
        current = fresh;
        const repairs = planLedgerRepairs({ instances, nodes, state: fresh }, ports.config, now);
        // Applied as of now, after EC2 and Kubernetes answered, not as of the
        // pass start: the joins a done action leaves are counted for samples
        // older than them, and a sample taken while the pass looked may predate
        // the Node it saw (the demo's 13 workers of max 10).
        const repaired = applyLedgerRepairs(fresh, repairs, ports.now());
        if (repairs.length > 0) await ports.saveState(repaired, lease);
        current = repaired;
        return repairs;
      });
      if (closed === null) ledgerLockBusy = true;
    } catch (err) {
      // A lease lost (or the state moved) before the write ends only the
      // ledger part: orphans, ghosts and stale cordons need no lock, so they
      // are not held back a whole pass by another holder of it.
      if (!isRedeliverLater(err)) throw err;
      ledgerLockLost = (err as Error).message;
    }
    for (const repair of closed ?? []) {
      const actionId = repairActionId(repair);
      await report(ports, repair, actionId);
      await endTrail(ports, repair, actionId);
      repaired.push({ ...published(repair), actionId });
    }
  }

  const view: ClusterView = { instances, nodes, state: current };
  const planned = planRepairs(view, ports.config, now).filter((r) => !LEDGER_CODES.has(r.code));
  for (const repair of planned) {
    const actionId = repairActionId(repair);
    try {
      const ran = await ports.once(actionId, repair.code, async () => {
        await act(ports, repair);
        await report(ports, repair, actionId);
      });
      if (ran) repaired.push({ ...published(repair), actionId });
    } catch (err) {
      failed.push({ code: repair.code, subject: subjectOf(repair), error: (err as Error).message });
    }
  }

  const result: Reconciliation = {
    at: now.toISOString(),
    actionId: stableUlid(now, `reconcile/${ports.clusterId}`),
    found: { instances: instances.length, nodes: nodes.length, inFlight: state.inFlight.length },
    repaired,
    failed,
    ledgerLockBusy,
    ...(ledgerLockLost !== undefined ? { ledgerLockLost } : {}),
    leftAlone: [...labelledNotOurs(view), ...unhealthyNodesHeld(view, ports.config, now)],
  };
  await ports.recordPass(result);
  // A pass that found nothing leaves no line in the audit log (one every
  // two minutes would bury the decisions); status shows it all the same.
  // A lost lock is written: it explains a ledger repair that came a pass late.
  if (repaired.length > 0 || failed.length > 0 || ledgerLockLost !== undefined) {
    await ports.audit({
      clusterId: ports.clusterId,
      actionId: result.actionId,
      at: result.at,
      kind: 'reconcile',
      summary: `reconciled: ${repaired.length} repaired${failed.length > 0 ? `, ${failed.length} failed` : ''}${ledgerLockLost !== undefined ? ', ledger repairs lost the cluster lock' : ''}`,
      detail: { ...result },
    });
  }
  return result;
}
