import type { ClusterState, Decision, InFlightAction } from '@smartscale/contracts';
import type { Config } from './config.js';

/** Instances launched and not yet joined, across every in-flight action. */
export function incomingWorkers(state: ClusterState): number {
  return state.inFlight.reduce((n, a) => n + (a.kind === 'scale-down' ? 0 : a.pendingJoins), 0);
}

/** Instance ids launched by in-flight actions that have not joined yet. */
export function joiningInstanceIds(state: ClusterState): Set<string> {
  const ids = new Set<string>();
  for (const a of state.inFlight)
    if (a.kind !== 'scale-down') for (const id of a.instanceIds) ids.add(id);
  return ids;
}

/**
 * Records the start of the action a decision calls for. Holds change nothing.
 *
 * @example
 * state = startAction(state, decision, actionId, now);
 */
export function startAction(
  state: ClusterState,
  decision: Decision,
  actionId: string,
  now: Date,
): ClusterState {
  const at = now.toISOString();
  if (decision.kind === 'scale-up') {
    const action: InFlightAction = {
      actionId,
      kind: 'scale-up',
      startedAt: at,
      pendingJoins: decision.count,
      instanceIds: [],
    };
    return { ...state, lastScaleUpAt: at, inFlight: [...state.inFlight, action] };
  }
  if (decision.kind === 'scale-down') {
    const action: InFlightAction = {
      actionId,
      kind: 'scale-down',
      startedAt: at,
      pendingJoins: 0,
      nodeName: decision.victim.nodeName,
      instanceIds: [decision.victim.instanceId],
    };
    return { ...state, lastScaleDownAt: at, inFlight: [...state.inFlight, action] };
  }
  return state;
}

/** Outcome events that move or close an in-flight action. */
export type ActionOutcome =
  | {
      readonly type: 'InstancesLaunched';
      readonly actionId: string;
      readonly instanceIds: readonly string[];
    }
  | {
      readonly type: 'NodeJoined' | 'JoinFailed';
      readonly actionId: string;
      readonly instanceId: string;
    }
  | { readonly type: 'NodeRemoved' | 'ActionFailed'; readonly actionId: string };

function replaceAction(
  state: ClusterState,
  actionId: string,
  next: InFlightAction | null,
): ClusterState {
  const inFlight = state.inFlight.flatMap((a) =>
    a.actionId !== actionId ? [a] : next ? [next] : [],
  );
  return { ...state, inFlight };
}

/**
 * Applies an outcome to the ledger. Idempotent: a replayed outcome leaves the
 * state as it was, so redelivered events cannot double-count.
 */
export function applyOutcome(state: ClusterState, outcome: ActionOutcome, now: Date): ClusterState {
  const action = state.inFlight.find((a) => a.actionId === outcome.actionId);
  switch (outcome.type) {
    case 'InstancesLaunched': {
      if (!action) {
        // Launched outside a decision (spot replacement): track it so its
        // capacity counts as incoming and is not launched twice.
        if (outcome.instanceIds.length === 0) return state;
        const replace: InFlightAction = {
          actionId: outcome.actionId,
          kind: 'replace',
          startedAt: now.toISOString(),
          pendingJoins: outcome.instanceIds.length,
          instanceIds: [...outcome.instanceIds],
        };
        return { ...state, inFlight: [...state.inFlight, replace] };
      }
      const known = new Set(action.instanceIds);
      const added = outcome.instanceIds.filter((id) => !known.has(id));
      if (added.length === 0) return state;
      const instanceIds = [...action.instanceIds, ...added];
      // Fewer launched than asked (capacity errors): only the launched can join.
      const pendingJoins = Math.min(action.pendingJoins, instanceIds.length);
      if (pendingJoins === 0) return replaceAction(state, action.actionId, null);
      return replaceAction(state, action.actionId, { ...action, instanceIds, pendingJoins });
    }
    case 'NodeJoined':
    case 'JoinFailed': {
      if (!action?.instanceIds.includes(outcome.instanceId)) return state;
      const instanceIds = action.instanceIds.filter((id) => id !== outcome.instanceId);
      const pendingJoins = Math.max(0, action.pendingJoins - 1);
      if (pendingJoins === 0) return replaceAction(state, action.actionId, null);
      return replaceAction(state, action.actionId, { ...action, instanceIds, pendingJoins });
    }
    case 'NodeRemoved':
    case 'ActionFailed':
      return action ? replaceAction(state, action.actionId, null) : state;
  }
}

/**
 * Drops actions that outlived every deadline they could have (a lost
 * outcome must not block scaling forever). Returns the dropped ones so the
 * caller can audit them.
 */
export function expireStaleActions(
  state: ClusterState,
  config: Config,
  now: Date,
): { state: ClusterState; expired: InFlightAction[] } {
  const slackSeconds = 120;
  const limit = (a: InFlightAction) =>
    (a.kind === 'scale-down'
      ? config.scaleDown.drainTimeoutSeconds
      : config.instance.bootSeconds + config.join.timeoutSeconds) + slackSeconds;
  const expired = state.inFlight.filter(
    (a) => (now.getTime() - Date.parse(a.startedAt)) / 1000 > limit(a),
  );
  if (expired.length === 0) return { state, expired };
  const gone = new Set(expired.map((a) => a.actionId));
  return {
    state: { ...state, inFlight: state.inFlight.filter((a) => !gone.has(a.actionId)) },
    expired,
  };
}
