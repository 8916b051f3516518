import type { ClusterSnapshot, ClusterState } from '@smartscale/contracts';
import { incomingWorkers, joinedSince, joiningInstanceIds } from '../action-ledger.js';

/** Worker counts the policy reasons about. */
export interface Fleet {
  /** Registered workers plus those launched and not yet joined. */
  readonly workers: number;
  readonly ready: number;
  readonly incoming: number;
  /** Registered, not Ready, and not one of ours still joining. */
  readonly notReady: number;
}

/** Counts the fleet without counting a joining instance twice. */
export function countFleet(snapshot: ClusterSnapshot, state: ClusterState): Fleet {
  const joining = joiningInstanceIds(state);
  const settled = snapshot.nodes.filter((n) => !(n.instanceId && joining.has(n.instanceId)));
  // A worker whose join the ledger recorded after the sample was taken is in
  // neither the sample nor the in-flight actions: count it as incoming.
  const seen = new Set([
    ...joining,
    ...snapshot.nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : [])),
  ]);
  const incoming = incomingWorkers(state) + joinedSince(state, snapshot.takenAt, seen);
  return {
    workers: settled.length + incoming,
    ready: settled.filter((n) => n.ready).length,
    incoming,
    notReady: settled.filter((n) => !n.ready).length,
  };
}
