import type {
  ClusterState,
  Decision,
  FailedVictim,
  InFlightAction,
  NodeRefusal,
} from '@smartscale/contracts';
import type { Config } from './config.js';

/**
 * How long and how many closed actions and early join outcomes the ledger
 * remembers. Longer than any redelivery path that matters (visibility
 * timeouts, retries, a DLQ replay the same shift) and small enough for the
 * state item: a few hundred short entries.
 */
export const LedgerMemory = {
  seconds: 6 * 3600,
  maxClosed: 200,
  maxEarlyJoins: 200,
  maxFailedVictims: 50,
} as const;

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
 * True when the ledger closed this action recently: its outcomes and its
 * sample, if they come again, must change nothing.
 *
 * @example
 * if (isRecentlyClosed(state, sample.actionId)) return 'already-closed';
 */
export function isRecentlyClosed(state: ClusterState, actionId: string): boolean {
  return state.closed.some((c) => c.actionId === actionId);
}

/**
 * Failed drains of the last `withinSeconds`, newest last: nodes victim
 * selection leaves alone for now.
 *
 * @example
 * const recent = recentFailedVictims(state, config.scaleDown.failedVictimBackoffSeconds, now);
 */
export function recentFailedVictims(
  state: ClusterState,
  withinSeconds: number,
  now: Date,
): FailedVictim[] {
  const since = now.getTime() - withinSeconds * 1000;
  return state.failedVictims.filter((f) => Date.parse(f.failedAt) > since);
}

/** Drops closed actions, early joins and failed drains past {@link LedgerMemory}. */
export function forgetOldLedgerEntries(state: ClusterState, now: Date): ClusterState {
  const since = now.getTime() - LedgerMemory.seconds * 1000;
  const closed = state.closed
    .filter((c) => Date.parse(c.closedAt) >= since)
    .slice(-LedgerMemory.maxClosed);
  const earlyJoins = state.earlyJoins
    .filter((j) => Date.parse(j.at) >= since)
    .slice(-LedgerMemory.maxEarlyJoins);
  const failedVictims = state.failedVictims
    .filter((f) => Date.parse(f.failedAt) >= since)
    .slice(-LedgerMemory.maxFailedVictims);
  if (
    closed.length === state.closed.length &&
    earlyJoins.length === state.earlyJoins.length &&
    failedVictims.length === state.failedVictims.length
  )
    return state;
  return { ...state, closed, earlyJoins, failedVictims };
}

/**
 * Records the start of the action a decision calls for. Holds change nothing,
 * and so does an action id the ledger already knows (in flight or closed).
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
  if (state.inFlight.some((a) => a.actionId === actionId) || isRecentlyClosed(state, actionId))
    return state;
  const at = now.toISOString();
  if (decision.kind === 'scale-up') {
    const action: InFlightAction = {
      actionId,
      kind: 'scale-up',
      startedAt: at,
      pendingJoins: decision.count,
      instanceIds: [],
      settledInstanceIds: [],
      ...(decision.launches
        ? {
            instanceTypes: decision.launches.flatMap((l) =>
              Array.from({ length: l.count }, () => l.instanceType),
            ),
          }
        : {}),
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
      settledInstanceIds: [],
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
      /** When the launch was reported; a replacement the ledger never saw starts then. */
      readonly occurredAt?: string;
    }
  | {
      readonly type: 'NodeJoined' | 'JoinFailed';
      readonly actionId: string;
      readonly instanceId: string;
    }
  | { readonly type: 'NodeRemoved'; readonly actionId: string }
  | {
      readonly type: 'ActionFailed';
      readonly actionId: string;
      readonly step?: string;
      readonly reason?: string;
      /** The pod that stopped a drain, when the drainer named one. */
      readonly refusal?: NodeRefusal;
    };

type ClosedEnd = ClusterState['closed'][number]['end'];

/**
 * Takes an action out of flight into the closed list (so its late outcomes
 * change nothing), recording how it ended.
 */
export function closeAction(
  state: ClusterState,
  action: Pick<InFlightAction, 'actionId' | 'kind'>,
  end: ClosedEnd,
  now: Date,
): ClusterState {
  const closed = { actionId: action.actionId, kind: action.kind, closedAt: now.toISOString(), end };
  return forgetOldLedgerEntries(
    {
      ...state,
      inFlight: state.inFlight.filter((a) => a.actionId !== action.actionId),
      closed: [...state.closed, closed],
      earlyJoins: state.earlyJoins.filter((j) => j.actionId !== action.actionId),
    },
    now,
  );
}

/** A scale-down's drain failed: its node is not picked again for a while. */
function rememberFailedVictim(
  state: ClusterState,
  action: InFlightAction,
  reason: string | undefined,
  refusal: NodeRefusal | undefined,
  now: Date,
): ClusterState {
  if (action.nodeName === undefined) return state;
  const failed: FailedVictim = {
    nodeName: action.nodeName,
    actionId: action.actionId,
    failedAt: now.toISOString(),
    ...(action.instanceIds[0] !== undefined ? { instanceId: action.instanceIds[0] } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(refusal !== undefined ? { refusal } : {}),
  };
  return { ...state, failedVictims: [...state.failedVictims, failed] };
}

function updateAction(state: ClusterState, next: InFlightAction): ClusterState {
  return {
    ...state,
    inFlight: state.inFlight.map((a) => (a.actionId === next.actionId ? next : a)),
  };
}

/**
 * Launch reported for an action the ledger never saw: a replacement launched
 * outside a decision (spot). Tracked so its capacity counts as incoming,
 * minus any instance whose join outcome came first.
 */
function openReplacement(
  state: ClusterState,
  outcome: Extract<ActionOutcome, { type: 'InstancesLaunched' }>,
  now: Date,
): ClusterState {
  if (outcome.instanceIds.length === 0) return state;
  const early = new Set(
    state.earlyJoins.filter((j) => j.actionId === outcome.actionId).map((j) => j.instanceId),
  );
  const joining = [...new Set(outcome.instanceIds)].filter((id) => !early.has(id));
  const reported = outcome.occurredAt ? Date.parse(outcome.occurredAt) : Number.NaN;
  const startedAt = new Date(
    Number.isNaN(reported) ? now.getTime() : Math.min(reported, now.getTime()),
  ).toISOString();
  const replace: InFlightAction = {
    actionId: outcome.actionId,
    kind: 'replace',
    startedAt,
    pendingJoins: joining.length,
    instanceIds: joining,
    settledInstanceIds: [...early],
  };
  if (joining.length === 0) return closeAction(state, replace, 'completed', now);
  return {
    ...state,
    inFlight: [...state.inFlight, replace],
    earlyJoins: state.earlyJoins.filter((j) => j.actionId !== outcome.actionId),
  };
}

/**
 * Applies an outcome to the ledger. Any order and any repeat of an action's
 * outcomes ends in the same ledger: a join outcome that arrives before the
 * launch report settles its instance (it is never counted as joining again),
 * the action closes once when all its instances have settled, and outcomes
 * or launch reports for a recently closed action change nothing. Returns
 * the same object when nothing changed.
 *
 * @example
 * state = applyOutcome(state, { type: 'NodeJoined', actionId, instanceId }, now);
 */
export function applyOutcome(state: ClusterState, outcome: ActionOutcome, now: Date): ClusterState {
  const next = applyToActions(state, outcome, now);
  return outcome.type === 'NodeJoined' ? rememberJoin(next, outcome.instanceId, now) : next;
}

/** How long a join is remembered for the fleet count: longer than any sample may be old. */
const RECENT_JOIN_SECONDS = 900;

/** Records a join (once per instance), forgetting joins older than {@link RECENT_JOIN_SECONDS}. */
function rememberJoin(state: ClusterState, instanceId: string, now: Date): ClusterState {
  const joins = state.recentJoins ?? [];
  if (joins.some((j) => j.instanceId === instanceId)) return state;
  const since = now.getTime() - RECENT_JOIN_SECONDS * 1000;
  return {
    ...state,
    recentJoins: [
      ...joins.filter((j) => Date.parse(j.at) >= since),
      { instanceId, at: now.toISOString() },
    ].slice(-LedgerMemory.maxClosed),
  };
}

/**
 * Records the joins of `instanceIds` at `now`, as NodeJoined does: for the
 * reconciler's action-done, which closes an action on the workers' Ready
 * Nodes before their NodeJoined reached the ledger.
 */
export function rememberJoins(
  state: ClusterState,
  instanceIds: readonly string[],
  now: Date,
): ClusterState {
  return instanceIds.reduce((next, id) => rememberJoin(next, id, now), state);
}

/**
 * Workers that joined after the sample was taken and are not in it: real
 * capacity the sample cannot show yet.
 */
export function joinedSince(
  state: ClusterState,
  takenAt: string,
  seen: ReadonlySet<string>,
): number {
  const taken = Date.parse(takenAt);
  return (state.recentJoins ?? []).filter(
    (j) => Date.parse(j.at) >= taken && !seen.has(j.instanceId),
  ).length;
}

function applyToActions(state: ClusterState, outcome: ActionOutcome, now: Date): ClusterState {
  if (isRecentlyClosed(state, outcome.actionId)) return state;
  const action = state.inFlight.find((a) => a.actionId === outcome.actionId);
  if (!action) {
    if (outcome.type === 'InstancesLaunched') return openReplacement(state, outcome, now);
    if (outcome.type === 'NodeJoined' || outcome.type === 'JoinFailed') {
      const seen = state.earlyJoins.some(
        (j) => j.actionId === outcome.actionId && j.instanceId === outcome.instanceId,
      );
      if (seen) return state;
      const early = {
        actionId: outcome.actionId,
        instanceId: outcome.instanceId,
        at: now.toISOString(),
      };
      return forgetOldLedgerEntries({ ...state, earlyJoins: [...state.earlyJoins, early] }, now);
    }
    // Removal or failure of an action never recorded: nothing it could hold.
    return state;
  }

  if (action.kind === 'scale-down') {
    if (outcome.type === 'NodeRemoved') return closeAction(state, action, 'completed', now);
    if (outcome.type === 'ActionFailed')
      return closeAction(
        rememberFailedVictim(state, action, outcome.reason, outcome.refusal, now),
        action,
        'failed',
        now,
      );
    return state;
  }

  switch (outcome.type) {
    case 'InstancesLaunched': {
      const known = new Set([...action.instanceIds, ...action.settledInstanceIds]);
      const added = [...new Set(outcome.instanceIds)].filter((id) => !known.has(id));
      const firstReport = action.instanceIds.length === 0;
      if (added.length === 0 && !firstReport) return state;
      // The report lists every instance of the action; those not settled are
      // what can still join (fewer than asked after capacity errors).
      const instanceIds = [...action.instanceIds, ...added];
      if (instanceIds.length === 0) return closeAction(state, action, 'completed', now);
      return updateAction(state, { ...action, instanceIds, pendingJoins: instanceIds.length });
    }
    case 'NodeJoined':
    case 'JoinFailed': {
      if (action.settledInstanceIds.includes(outcome.instanceId)) return state;
      const settledInstanceIds = [...action.settledInstanceIds, outcome.instanceId];
      const launchReported = action.instanceIds.length > 0;
      const instanceIds = action.instanceIds.filter((id) => id !== outcome.instanceId);
      const pendingJoins = launchReported
        ? instanceIds.length
        : // Before the launch report, the decision's count is all the ledger knows.
          Math.max(0, action.pendingJoins - 1);
      if (pendingJoins === 0) return closeAction(state, action, 'completed', now);
      return updateAction(state, { ...action, instanceIds, settledInstanceIds, pendingJoins });
    }
    case 'NodeRemoved':
      // A replacement shares its action with the drain of the node it replaces:
      // that node leaving says nothing about the new one joining.
      return state;
    case 'ActionFailed':
      // Same for a failed drain; a failed launch ends the action.
      return outcome.step === 'drain' ? state : closeAction(state, action, 'failed', now);
  }
}

/**
 * Closes an action whose outcome never came. A drain whose outcome never
 * came most likely failed (its ActionFailed lost or dead-lettered): its node
 * is backed off as if it had said so, or a lost message would bring back the
 * pick-fail-pick loop. (A drain that did finish left no node to back off.)
 */
export function expireAction(state: ClusterState, action: InFlightAction, now: Date): ClusterState {
  const next =
    action.kind === 'scale-down'
      ? rememberFailedVictim(
          state,
          action,
          'no outcome by the drain deadline (expired)',
          undefined,
          now,
        )
      : state;
  return closeAction(next, action, 'expired', now);
}

/**
 * Drops actions that outlived every deadline they could have (a lost
 * outcome must not block scaling forever) into the closed list, so their
 * late outcomes change nothing. Returns the dropped ones so the caller can
 * audit them.
 */
export function expireStaleActions(
  state: ClusterState,
  config: Config,
  now: Date,
): { state: ClusterState; expired: InFlightAction[] } {
  const expired = state.inFlight.filter((a) => now.getTime() > actionDeadline(a, config).getTime());
  let next = state;
  for (const action of expired) next = expireAction(next, action, now);
  return { state: next, expired };
}

/**
 * When the ledger stops waiting for an action's outcome: the drain timeout
 * for a scale-down, boot plus join timeout for a launch, plus the grace
 * (`reconcile.graceSeconds`) every deadline gets before anything gives up.
 */
export function actionDeadline(action: InFlightAction, config: Config): Date {
  const seconds =
    (action.kind === 'scale-down'
      ? config.scaleDown.drainTimeoutSeconds
      : config.instance.bootSeconds + config.join.timeoutSeconds) + config.reconcile.graceSeconds;
  return new Date(Date.parse(action.startedAt) + seconds * 1000);
}
