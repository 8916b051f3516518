import type { ClusterState, Decision, Reason } from '@smartscale/contracts';
import { ReasonCode, RefusalCode } from '@smartscale/contracts';

/**
 * How often a lasting condition is told again: an unhostable owner once per
 * six hours; the same scale-down hold once per hour, and hold summaries at
 * most every ten minutes whatever changes (pods come and go between samples).
 */
export const AnnouncementQuiet = {
  unhostableSeconds: 6 * 3600,
  sameHoldSeconds: 3600,
  anyHoldSeconds: 600,
  maxRemembered: 200,
} as const;

const HOLD_CODES: ReadonlySet<string> = new Set([
  ReasonCode.NoEligibleVictim,
  ReasonCode.VictimPodsWouldNotFit,
]);

/** Refusals nobody needs to act on: the node's state, not a pod or budget pinning it. */
export const ROUTINE_REFUSALS: ReadonlySet<string> = new Set([
  RefusalCode.NotManaged,
  RefusalCode.NotReady,
  RefusalCode.Cordoned,
  RefusalCode.TooYoung,
  RefusalCode.PodsWouldNotFit,
]);

function toldSince(
  state: ClusterState,
  key: (k: string) => boolean,
  seconds: number,
  now: Date,
  actionId: string | undefined,
) {
  const since = now.getTime() - seconds * 1000;
  // What this same sample told does not count: it is being evaluated again
  // because its first evaluation failed somewhere, perhaps before the
  // DecisionMade carrying the news was published.
  return state.announced.some(
    (a) =>
      key(a.key) && Date.parse(a.at) > since && (actionId === undefined || a.actionId !== actionId),
  );
}

/** The keys a reason would announce, each with how long it stays quiet after. */
function keysOf(r: Reason): string[] {
  if (r.code === ReasonCode.PendingUnhostable)
    return [...new Set((r.unhostable ?? []).map((u) => `unhostable:${u.owner}:${u.code}`))];
  // Only refusals a person can act on are news: a pod or budget that pins a
  // node, a failed drain. Young, cordoned or unmanaged nodes are routine.
  const actionable = (r.refusals ?? []).filter((f) => !ROUTINE_REFUSALS.has(f.code));
  if (HOLD_CODES.has(r.code) && actionable.length > 0) {
    const refusals = actionable
      .map((f) => [f.nodeName, f.code, f.pod ?? '', f.pdb ?? ''].join(':'))
      .sort();
    return [`hold:${refusals.join('|')}`];
  }
  return [];
}

/**
 * Marks the reasons of `decision` that are news (`announce: true`) and
 * remembers them in the state, so the notifier tells people about a lasting
 * condition once rather than every sample: a pending pod owner no new worker
 * can host, the first time (per owner and reason, then every 6 h); a
 * scale-down hold's refusals, when they differ from the last told (the same
 * again after an hour; summaries at most every 10 minutes). Returns the same
 * state when nothing is news. A sample delivered again (`actionId`, its
 * first evaluation failed, perhaps before its DecisionMade was published)
 * tells its news again, so a failed publish does not silence a condition
 * for its quiet period: at least once, a duplicate post rather than none.
 *
 * @example
 * const { decision, state } = noteAnnouncements(decided, current, now);
 */
export function noteAnnouncements(
  decision: Decision,
  state: ClusterState,
  now: Date,
  /** The sample's action id: what it told before does not silence it. */
  actionId?: string,
): { decision: Decision; state: ClusterState } {
  const told: string[] = [];
  const reasons = decision.reasons.map((r) => {
    const keys = keysOf(r);
    if (keys.length === 0) return r;
    const isHold = r.code !== ReasonCode.PendingUnhostable;
    const fresh = isHold
      ? keys.filter(
          (k) =>
            !toldSince(state, (a) => a === k, AnnouncementQuiet.sameHoldSeconds, now, actionId) &&
            !toldSince(
              state,
              (a) => a.startsWith('hold:'),
              AnnouncementQuiet.anyHoldSeconds,
              now,
              actionId,
            ),
        )
      : keys.filter(
          (k) =>
            !toldSince(state, (a) => a === k, AnnouncementQuiet.unhostableSeconds, now, actionId),
        );
    if (fresh.length === 0) return r;
    told.push(...fresh);
    return { ...r, announce: true };
  });
  if (told.length === 0) return { decision, state };
  const at = now.toISOString();
  const since = now.getTime() - AnnouncementQuiet.unhostableSeconds * 1000;
  const announced = [
    ...state.announced.filter((a) => !told.includes(a.key) && Date.parse(a.at) > since),
    ...told.map((key) => ({ key, at, ...(actionId ? { actionId } : {}) })),
  ].slice(-AnnouncementQuiet.maxRemembered);
  return { decision: { ...decision, reasons } as Decision, state: { ...state, announced } };
}
