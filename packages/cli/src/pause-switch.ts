import type { AuditLog, ClusterLock, ClusterStateStore, Lease } from '@smartscale/aws';
import type { ClusterState } from '@smartscale/contracts';
import { ulid } from 'ulid';

/** What the pause switch needs of a deployment. */
export interface PauseSwitchPorts {
  readonly clusterId: string;
  readonly lock: ClusterLock;
  readonly state: ClusterStateStore;
  readonly audit: AuditLog;
}

/** The switch thrown: pause with who and why, or resume. */
export type PauseChange =
  | { readonly pause: true; readonly by: string; readonly reason: string }
  | { readonly pause: false; readonly by: string; readonly reason?: string };

export interface PauseResult {
  /** False when the switch was already where asked (nothing written). */
  readonly changed: boolean;
  readonly paused: ClusterState['paused'];
  /** The audit entry's action id, when something changed. */
  readonly auditActionId: string | null;
}

/**
 * Takes the cluster lock, waiting out a holder's whole lease if need be: the
 * decider holds it for milliseconds per message, but an owner that died
 * holding it keeps it until its lease runs out (30 s deployed). A resume
 * that gave up sooner (50 tries, ~8 s) left a soak's cluster paused for good.
 */
async function acquire(ports: PauseSwitchPorts, owner: string, waitMs: number): Promise<Lease> {
  const started = Date.now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const lease = await ports.lock.acquire(ports.clusterId, owner);
    if (lease) return lease;
    if (Date.now() - started >= waitMs) break;
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
  }
  throw new Error(
    `the lock of cluster ${ports.clusterId} stayed held for ${Math.round((Date.now() - started) / 1000)} s (${attempts} attempts), longer than a lease; see 'smartscale status' for its holder and retry`,
  );
}

/**
 * Sets the `paused` field of the cluster state under the cluster lock (the
 * decider reads it on every sample and holds with reason `paused`), then
 * records who and why in the audit log. Pausing a paused cluster keeps the
 * first pause; resuming a running one changes nothing.
 *
 * @example
 * await setPause(deployment, { pause: true, by: 'alice', reason: 'incident 42' }, new Date());
 */
export async function setPause(
  ports: PauseSwitchPorts,
  change: PauseChange,
  now: Date,
  options: { lockWaitMs?: number } = {},
): Promise<PauseResult> {
  // A lease and a margin: by then a dead holder's lease has run out.
  const waitMs = options.lockWaitMs ?? ports.lock.leaseMs + 5000;
  const lease = await acquire(ports, `smartscale-cli:${change.by}`, waitMs);
  let state: ClusterState;
  try {
    state = await ports.state.load(ports.clusterId);
    if (change.pause === (state.paused !== null))
      return { changed: false, paused: state.paused, auditActionId: null };
    const paused = change.pause
      ? { by: change.by, reason: change.reason, at: now.toISOString() }
      : null;
    state = await ports.state.save({ ...state, paused }, lease);
  } finally {
    await ports.lock.release(ports.clusterId, lease);
  }
  const actionId = ulid(now.getTime());
  await ports.audit.record({
    clusterId: ports.clusterId,
    actionId,
    at: now.toISOString(),
    kind: 'operator',
    summary: change.pause
      ? `paused by ${change.by}: ${change.reason}`
      : `resumed by ${change.by}${change.reason ? `: ${change.reason}` : ''}`,
    detail: {
      change: change.pause ? 'pause' : 'resume',
      by: change.by,
      reason: change.reason ?? null,
    },
  });
  return { changed: true, paused: state.paused, auditActionId: actionId };
}
