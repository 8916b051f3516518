import type {
  AnyEnvelope,
  ClaimedSample,
  ClusterSnapshot,
  ClusterState,
  Decision,
  Envelope,
  InFlightAction,
  SampleClaim,
} from '@smartscale/contracts';
import { followUp } from '@smartscale/contracts';
import { expireStaleActions, isRecentlyClosed, startAction } from './action-ledger.js';
import { noteAnnouncements } from './announcements.js';
import { type AuditRecord, auditedSnapshotDetail } from './audit-record.js';
import { commandForRecorded, commandsFor } from './commands.js';
import type { Config } from './config.js';
import { decisionCostEffect } from './cost-effect.js';
import { decide, staleSampleHold } from './decide/index.js';
import { type InstanceCatalog, scaleUpHeadline } from './instance-mix.js';

/** A policy: what to do about one snapshot given the ledger. core's `decide` unless told otherwise. */
export type DecisionPolicy = (
  snapshot: ClusterSnapshot,
  state: ClusterState,
  config: Config,
  now: Date,
  catalog?: InstanceCatalog,
) => Decision;

/**
 * What one sample comes to. `decided`: the policy ran; `replayed`: the
 * sample's action is in flight already and its command goes out again;
 * `already-closed`: its action has closed, and a late redelivery decides nothing.
 */
export type EvaluationStatus = 'decided' | 'replayed' | 'already-closed';

export type Evaluation = {
  /** The next ledger; the very object passed in when nothing changed (nothing to save). */
  readonly state: ClusterState;
  /** Actions that outlived every deadline, closed in `state` as expired. */
  readonly expired: readonly InFlightAction[];
  /** Messages to publish, in order. */
  readonly commands: readonly AnyEnvelope[];
  /** Audit records to write, in order: the expired actions, then the decision. */
  readonly audit: readonly AuditRecord[];
} & (
  | { readonly status: 'decided'; readonly decision: Decision }
  | {
      readonly status: 'replayed' | 'already-closed' | 'skipped-stale';
      readonly decision: null;
    }
);

/**
 * A sample that is stale now and whose action the ledger never recorded:
 * it can only be held, so it is passed over - no ledger change, no audit,
 * no announcement - and a decider behind its queue reaches the fresh
 * samples at the tail (the 60-minute chaos soaks: a starved decider paid a
 * whole hold per stale sample, fell further behind, and never decided
 * again). A recorded one (a redelivery after a crash) is evaluated, so its
 * command is sent again.
 */
export function skipsStaleSample(
  state: ClusterState,
  sample: Envelope<'MetricsSampled'>,
  config: Config,
  now: Date,
): boolean {
  return (
    staleSampleHold(sample.payload, config, now) !== null &&
    !state.inFlight.some((a) => a.actionId === sample.actionId) &&
    !isRecentlyClosed(state, sample.actionId)
  );
}

export interface EvaluateOptions {
  /** The S3 object the sample came in, when it came by claim (audited in place of a big snapshot). */
  readonly claim?: SampleClaim;
  /** Replaces core's `decide`, for the simulator's experiments (e.g. consolidation on a hold). */
  readonly policy?: DecisionPolicy;
  /** The resolved instance types and their prices, passed to the policy (see decide). */
  readonly catalog?: InstanceCatalog;
}

/** The audit log's one-line summary of a decision. */
export function decisionSummary(decision: Decision): string {
  if (decision.kind === 'scale-up') return scaleUpHeadline(decision);
  if (decision.kind === 'scale-down') return `scale down ${decision.victim.nodeName}`;
  return 'hold';
}

function expiredRecord(clusterId: string, action: InFlightAction, now: Date): AuditRecord {
  return {
    clusterId,
    actionId: action.actionId,
    at: now.toISOString(),
    kind: 'expired',
    summary: `${action.kind} expired without an outcome`,
    detail: { action },
  };
}

/**
 * Runs the policy on one sample against the ledger, without any I/O: expire
 * lost actions (an action past every deadline is closed, not replayed),
 * then either replay the sample's recorded action or decide, note what is
 * news for people, record the action and build the commands and audit
 * records. The sample's actionId names the action. The decider saves
 * `state` when it is not the one it loaded, publishes `commands` and writes
 * `audit`; the simulator moves its cluster by the same commands.
 *
 * @example
 * const { state: next, commands, audit } = evaluate(state, sample, config, new Date());
 * if (next !== state) await saveState(next, lease);
 */
export function evaluate(
  state: ClusterState,
  sample: Envelope<'MetricsSampled'>,
  config: Config,
  now: Date,
  options: EvaluateOptions = {},
): Evaluation {
  if (skipsStaleSample(state, sample, config, now))
    return { status: 'skipped-stale', state, decision: null, expired: [], commands: [], audit: [] };
  const expiry = expireStaleActions(state, config, now);
  const expired = expiry.expired;
  const audit = expired.map((a) => expiredRecord(sample.clusterId, a, now));

  const recorded = expiry.state.inFlight.find((a) => a.actionId === sample.actionId);
  if (recorded || isRecentlyClosed(expiry.state, sample.actionId)) {
    const base = { state: expiry.state, decision: null, expired, audit } as const;
    if (!recorded) return { ...base, status: 'already-closed', commands: [] };
    const command = commandForRecorded(sample, recorded, config, now);
    return { ...base, status: 'replayed', commands: command ? [command] : [] };
  }

  const policy = options.policy ?? decide;
  // What is news for people (an unhostable pod owner, a changed scale-down
  // hold) is marked and remembered, so Slack hears a lasting condition once.
  const noted = noteAnnouncements(
    policy(sample.payload, expiry.state, config, now, options.catalog),
    expiry.state,
    now,
    sample.actionId,
  );
  const decision = noted.decision;
  // Commands and audit records are built when first read: the simulator
  // evaluates a sample a minute for weeks and reads only the commands of
  // actions, while encoding every snapshot for the audit would cost more
  // than deciding.
  const commands = once(() =>
    commandsFor(sample, decision, sample.payload.nodes.length, config, now),
  );
  const records = once((): AuditRecord[] => {
    const cost = decisionCostEffect(decision, sample.payload, config, options.catalog?.prices);
    const record: AuditRecord = {
      clusterId: sample.clusterId,
      actionId: sample.actionId,
      at: now.toISOString(),
      kind: 'decision',
      summary: decisionSummary(decision),
      detail: {
        decision,
        ...auditedSnapshotDetail(sample.payload, options.claim),
        stateVersion: expiry.state.version,
        ...(cost ? { costEffect: cost } : {}),
      },
    };
    return [...audit, record];
  });
  return {
    status: 'decided',
    // A hold records no action: the state moves only by expiry or news.
    state: startAction(noted.state, decision, sample.actionId, now),
    decision,
    expired,
    get commands() {
      return commands();
    },
    get audit() {
      return records();
    },
  };
}

/** `build`, run on the first call only; later calls return its result. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | null = null;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/**
 * A sample whose claim could not be read (gone from S3, or bytes whose
 * digest differs): nothing is known about the cluster, so the decision is a
 * hold with `sample-unreadable`, announced as DecisionMade like any hold and
 * audited under the sample's action id with the claim and the reason.
 *
 * @example
 * const { decision, commands, audit } = holdUnreadable(sample, err.message, new Date());
 */
export function holdUnreadable(
  sample: ClaimedSample,
  detail: string,
  now: Date,
): { decision: Decision; commands: AnyEnvelope[]; audit: AuditRecord[] } {
  const decision: Decision = {
    kind: 'hold',
    reasons: [
      {
        code: 'sample-unreadable',
        message: `the sample's snapshot could not be read: ${detail}`,
        data: { key: sample.claim.key, sha256: sample.claim.sha256 },
      },
    ],
  };
  const { id, clusterId, actionId } = sample.header;
  const made = followUp(
    { id, clusterId, actionId },
    'DecisionMade',
    { decision, snapshotTakenAt: sample.claim.takenAt, workers: sample.claim.workers },
    now,
  );
  const record: AuditRecord = {
    clusterId,
    actionId,
    at: now.toISOString(),
    kind: 'decision',
    summary: 'hold',
    detail: { decision, claim: sample.claim, messageId: id },
  };
  return { decision, commands: [made], audit: [record] };
}
