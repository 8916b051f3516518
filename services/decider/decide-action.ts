import { type SampleClaims, SampleClaimUnreadableError } from '@smartscale/aws';
import {
  type AnyEnvelope,
  type ClaimedSample,
  type ClusterSnapshot,
  type ClusterState,
  type Decision,
  type Envelope,
  encodeSnapshot,
  followUp,
  type InFlightAction,
  parseMessage,
  type SampleClaim,
} from '@smartscale/contracts';
import {
  type ActionOutcome,
  applyOutcome,
  type Config,
  decide,
  expireStaleActions,
  isRecentlyClosed,
  noteAnnouncements,
  startAction,
} from '@smartscale/core';
import { decisionCostEffect, outcomeCostEffect } from './cost-effect.js';

/** One line of the audit log. */
export interface AuditRecord {
  readonly clusterId: string;
  readonly actionId: string;
  readonly at: string;
  readonly kind: 'decision' | 'outcome' | 'expired';
  readonly summary: string;
  readonly detail: Record<string, unknown>;
}

/** What the decider needs from the outside world; `L` is the adapter's lease. */
export interface DeciderPorts<L = unknown> {
  readonly config: Config;
  readonly now: () => Date;
  /** The cluster lock, or null when another decider holds it. */
  acquireLock(clusterId: string): Promise<L | null>;
  releaseLock(clusterId: string, lease: L): Promise<void>;
  loadState(clusterId: string): Promise<ClusterState>;
  /** Versioned, fenced write: refuses when the lease is stale or the version moved. */
  saveState(state: ClusterState, lease: L): Promise<void>;
  audit(record: AuditRecord): Promise<void>;
  publish(message: AnyEnvelope): Promise<void>;
}

export type EvaluationResult =
  | { readonly status: 'decided'; readonly decision: Decision }
  | { readonly status: 'replayed'; readonly actionId: string }
  /** The sample's action has closed already; a late redelivery decides nothing. */
  | { readonly status: 'already-closed'; readonly actionId: string }
  | { readonly status: 'lock-busy' };

async function withLock<T, L>(
  ports: DeciderPorts<L>,
  clusterId: string,
  work: (lease: L) => Promise<T>,
): Promise<T | null> {
  const lease = await ports.acquireLock(clusterId);
  if (!lease) return null;
  try {
    return await work(lease);
  } finally {
    await ports.releaseLock(clusterId, lease);
  }
}

/** The scale-down drain of `victim`, due `drainTimeoutSeconds` after `startedAt`. */
function drainCommand(
  sample: Envelope<'MetricsSampled'>,
  victim: { nodeName: string; instanceId: string },
  config: Config,
  startedAt: Date,
): AnyEnvelope {
  const deadline = new Date(
    startedAt.getTime() + config.scaleDown.drainTimeoutSeconds * 1000,
  ).toISOString();
  return followUp(sample, 'DrainNode', { ...victim, deadline, reason: 'scale-down' }, startedAt);
}

function commandsFor(
  sample: Envelope<'MetricsSampled'>,
  decision: Decision,
  workers: number,
  config: Config,
  now: Date,
): AnyEnvelope[] {
  const made = followUp(
    sample,
    'DecisionMade',
    { decision, snapshotTakenAt: sample.payload.takenAt, workers },
    now,
  );
  if (decision.kind === 'scale-up') {
    const reason = decision.reasons.map((r) => r.code).join(',');
    return [followUp(sample, 'ScaleUp', { count: decision.count, reason }, now), made];
  }
  if (decision.kind === 'scale-down')
    return [drainCommand(sample, decision.victim, config, now), made];
  return [made];
}

/**
 * The command of an action already recorded for this sample, to publish
 * again after a crash between saving state and publishing. A scale-up that
 * has launched instances was delivered already; downstream dedup by
 * actionId makes any other repeat harmless. A drain keeps the deadline of
 * its action's start, and past that deadline is not sent again: the drainer
 * has given up on it (or will), and a late redelivery must not start it anew.
 */
function commandForRecorded(
  sample: Envelope<'MetricsSampled'>,
  action: InFlightAction,
  config: Config,
  now: Date,
): AnyEnvelope | null {
  const startedAt = new Date(action.startedAt);
  if (action.kind === 'scale-down' && action.nodeName && action.instanceIds[0]) {
    const deadline = startedAt.getTime() + config.scaleDown.drainTimeoutSeconds * 1000;
    if (now.getTime() >= deadline) return null;
    return drainCommand(
      sample,
      { nodeName: action.nodeName, instanceId: action.instanceIds[0] },
      config,
      startedAt,
    );
  }
  const launchSeen = action.instanceIds.length > 0 || action.settledInstanceIds.length > 0;
  if (action.kind === 'scale-up' && !launchSeen && action.pendingJoins > 0) {
    return followUp(
      sample,
      'ScaleUp',
      { count: action.pendingJoins, reason: 'redelivered' },
      startedAt,
    );
  }
  return null;
}

/**
 * Runs the policy on one sample: under the cluster lock, load state, expire
 * lost actions, decide, record the action in state, then publish the command
 * and audit the decision (holds included; a sample older than
 * `samples.maxAgeSeconds` is held as stale). The sample's actionId names the
 * action. A redelivered sample whose action is still in flight re-publishes
 * the same command instead of deciding again, so a crash between saving and
 * publishing loses nothing and launches nothing twice; one whose action has
 * closed is acknowledged without deciding, so the same actionId never names
 * a second action.
 */
export async function evaluateSample<L>(
  sample: Envelope<'MetricsSampled'>,
  ports: DeciderPorts<L>,
  /** The S3 object the sample came in, when it came by claim. */
  claim?: SampleClaim,
): Promise<EvaluationResult> {
  const result = await withLock(ports, sample.clusterId, async (lease) => {
    const now = ports.now();
    // Expire first: an action past every deadline is closed, not replayed.
    const expiry = expireStaleActions(await ports.loadState(sample.clusterId), ports.config, now);
    const state = expiry.state;
    for (const action of expiry.expired) {
      await ports.audit({
        clusterId: sample.clusterId,
        actionId: action.actionId,
        at: now.toISOString(),
        kind: 'expired',
        summary: `${action.kind} expired without an outcome`,
        detail: { action },
      });
    }

    const recorded = state.inFlight.find((a) => a.actionId === sample.actionId);
    if (recorded || isRecentlyClosed(state, sample.actionId)) {
      if (expiry.expired.length > 0) await ports.saveState(state, lease);
      if (!recorded) return { status: 'already-closed', actionId: sample.actionId } as const;
      const command = commandForRecorded(sample, recorded, ports.config, now);
      if (command) await ports.publish(command);
      return { status: 'replayed', actionId: recorded.actionId } as const;
    }

    // What is news for people (an unhostable pod owner, a changed scale-down
    // hold) is marked and remembered, so Slack hears a lasting condition once.
    const noted = noteAnnouncements(decide(sample.payload, state, ports.config, now), state, now);
    const decision = noted.decision;
    const workers = sample.payload.nodes.length;
    if (decision.kind !== 'hold' || expiry.expired.length > 0 || noted.state !== state) {
      await ports.saveState(startAction(noted.state, decision, sample.actionId, now), lease);
    }
    for (const msg of commandsFor(sample, decision, workers, ports.config, now))
      await ports.publish(msg);
    await ports.audit({
      clusterId: sample.clusterId,
      actionId: sample.actionId,
      at: now.toISOString(),
      kind: 'decision',
      summary:
        decision.kind === 'scale-up'
          ? `scale up by ${decision.count}`
          : decision.kind === 'scale-down'
            ? `scale down ${decision.victim.nodeName}`
            : 'hold',
      detail: {
        decision,
        ...auditedSnapshotDetail(sample.payload, claim),
        stateVersion: state.version,
        ...costDetail(decisionCostEffect(decision, sample.payload, ports.config)),
      },
    });
    return { status: 'decided', decision } as const;
  });
  return result ?? { status: 'lock-busy' };
}

/**
 * The snapshot behind a claim, read from S3 and checked against its digest,
 * evaluated as the MetricsSampled it was; a claim that cannot be read is
 * held with `sample-unreadable`. An S3 error other than a missing or changed
 * object is thrown, so the message is redelivered (and dead-lettered if it lasts).
 */
export async function evaluateClaimedSample<L>(
  sample: ClaimedSample,
  claims: SampleClaims | undefined,
  ports: DeciderPorts<L>,
): Promise<EvaluationResult> {
  if (!claims)
    return holdUnreadableSample(
      sample,
      'no samples bucket is configured (resources.buckets.samples)',
      ports,
    );
  let payload: unknown;
  try {
    payload = await claims.read(sample.claim);
  } catch (err) {
    if (err instanceof SampleClaimUnreadableError)
      return holdUnreadableSample(sample, err.message, ports);
    throw err;
  }
  const parsed = parseMessage({ ...sample.header, payload });
  if (!parsed.ok) return holdUnreadableSample(sample, parsed.error.message, ports);
  return evaluateSample(parsed.value as Envelope<'MetricsSampled'>, ports, sample.claim);
}

/**
 * A sample whose claim could not be read (gone from S3, or bytes whose
 * digest differs): nothing is known about the cluster, so the decision is a
 * hold with `sample-unreadable`, audited under the sample's action id and
 * announced as DecisionMade like any hold. The message is acknowledged after
 * that: the next sample comes within a minute, and this one would be stale
 * by the time a person replayed it; the audit keeps its key and the reason.
 */
export async function holdUnreadableSample<L>(
  sample: ClaimedSample,
  detail: string,
  ports: DeciderPorts<L>,
): Promise<EvaluationResult> {
  const now = ports.now();
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
  const cause = {
    id: sample.header.id,
    clusterId: sample.header.clusterId,
    actionId: sample.header.actionId,
  };
  await ports.publish(
    followUp(
      cause,
      'DecisionMade',
      { decision, snapshotTakenAt: sample.claim.takenAt, workers: sample.claim.workers },
      now,
    ),
  );
  await ports.audit({
    clusterId: sample.header.clusterId,
    actionId: sample.header.actionId,
    at: now.toISOString(),
    kind: 'decision',
    summary: 'hold',
    detail: { decision, claim: sample.claim, messageId: sample.header.id },
  });
  return { status: 'decided', decision };
}

/**
 * A DynamoDB item holds 400 KB (names and values); the decision, its
 * refusals and the cost detail share the item with the snapshot, so the
 * snapshot is kept inline only up to 300 KiB.
 */
export const AUDIT_SNAPSHOT_INLINE_LIMIT_BYTES = 300 * 1024;

/** The headline numbers of a snapshot, audited in place of one too big for the item. */
export interface AuditedSnapshotSummary {
  readonly takenAt: string;
  readonly workers: number;
  readonly readyWorkers: number;
  readonly pendingPods: number;
  readonly cpu: number | null;
  readonly memory: number | null;
  /** Bytes of the compact snapshot that did not fit. */
  readonly compactBytes: number;
}

/**
 * The snapshot part of a decision's audit detail: the compact snapshot when
 * it fits the item (`snapshot`), else a summary and the S3 object the
 * sample came in (`snapshotRef`: key, sha256, bytes; `smartscale explain`
 * reads it with the operator's credentials while the bucket keeps it). A
 * sample sent inline is at most SAMPLE_INLINE_LIMIT_BYTES (200 KiB) compact,
 * so only claimed samples exceed the limit; should one not, the snapshot is
 * left out with the summary and a note rather than failing the audit write
 * or giving the decider write access to the bucket.
 */
export function auditedSnapshotDetail(
  snapshot: ClusterSnapshot,
  claim: SampleClaim | undefined,
  limitBytes = AUDIT_SNAPSHOT_INLINE_LIMIT_BYTES,
): Record<string, unknown> {
  const audited = auditedSnapshot(snapshot);
  const bytes = Buffer.byteLength(JSON.stringify(audited));
  if (bytes <= limitBytes) return { snapshot: audited };
  const u = snapshot.utilization;
  const snapshotSummary: AuditedSnapshotSummary = {
    takenAt: snapshot.takenAt,
    workers: snapshot.nodes.length,
    readyWorkers: snapshot.nodes.filter((n) => n.ready).length,
    pendingPods: snapshot.pendingPods.length,
    cpu: u.available ? u.cpu.now : null,
    memory: u.available ? u.memory.now : null,
    compactBytes: bytes,
  };
  if (claim)
    return {
      snapshotSummary,
      snapshotRef: { key: claim.key, sha256: claim.sha256, bytes: claim.bytes },
    };
  return {
    snapshotSummary,
    snapshotOmitted: `${bytes} bytes compact, over the ${limitBytes}-byte audit limit, and the sample came inline (no S3 object to refer to)`,
  };
}

/**
 * The snapshot as audited: the demand history (a week of points, the same in
 * every sample) is counted rather than copied into each audit entry.
 */
export function auditedSnapshot(snapshot: ClusterSnapshot): object {
  const { demandHistory, ...rest } = snapshot;
  // Compact, as on the wire: a DynamoDB item holds 400 KB, and the full form
  // of a few hundred workers is megabytes (issue #17).
  const compact = encodeSnapshot(rest);
  return demandHistory ? { ...compact, demandHistoryPoints: demandHistory.length } : compact;
}

/** The audit detail of an action's hourly price change, when it has one. */
function costDetail(effect: ReturnType<typeof outcomeCostEffect>): { costEffect?: object } {
  return effect ? { costEffect: effect } : {};
}

/** Outcome events the decider listens to, as ledger outcomes. */
export function toOutcome(event: AnyEnvelope): ActionOutcome | null {
  switch (event.type) {
    case 'InstancesLaunched':
      return {
        type: 'InstancesLaunched',
        actionId: event.actionId,
        instanceIds: event.payload.instances.map((i) => i.instanceId),
        occurredAt: event.occurredAt,
      };
    case 'NodeJoined':
    case 'JoinFailed':
      return { type: event.type, actionId: event.actionId, instanceId: event.payload.instanceId };
    case 'NodeRemoved':
      return { type: 'NodeRemoved', actionId: event.actionId };
    case 'ActionFailed':
      return {
        type: 'ActionFailed',
        actionId: event.actionId,
        step: event.payload.step,
        reason: event.payload.reason,
        // The pod that stopped a drain: victim selection names it while it backs off the node.
        ...(event.payload.refusal ? { refusal: event.payload.refusal } : {}),
      };
    default:
      return null;
  }
}

/**
 * Moves the action ledger on an outcome event and audits it. Returns false
 * when the lock was busy, so the caller lets the message be redelivered.
 */
export async function recordOutcome<L>(
  event: AnyEnvelope,
  ports: DeciderPorts<L>,
): Promise<boolean> {
  const outcome = toOutcome(event);
  if (!outcome) return true;
  const done = await withLock(ports, event.clusterId, async (lease) => {
    const now = ports.now();
    const state = await ports.loadState(event.clusterId);
    const next = applyOutcome(state, outcome, now);
    if (next !== state) await ports.saveState(next, lease);
    await ports.audit({
      clusterId: event.clusterId,
      actionId: event.actionId,
      at: now.toISOString(),
      kind: 'outcome',
      summary: event.type,
      detail: {
        payload: event.payload,
        messageId: event.id,
        // A repeat, or an outcome of an action already closed, moves nothing.
        ledgerChanged: next !== state,
        ...costDetail(outcomeCostEffect(event, ports.config)),
      },
    });
    return true;
  });
  return done ?? false;
}
