import { type SampleClaims, SampleClaimUnreadableError } from '@smartscale/aws';
import {
  type AnyEnvelope,
  type ClaimedSample,
  type ClusterState,
  type Decision,
  type Envelope,
  parseMessage,
  type SampleClaim,
} from '@smartscale/contracts';
import {
  type AuditRecord,
  type Config,
  evaluate,
  evaluateOutcome,
  holdUnreadable,
  type InstanceCatalog,
  skipsStaleSample,
  staleSampleHold,
  toOutcome,
  withInstanceOwnership,
} from '@smartscale/core';

/** What the decider needs from the outside world; `L` is the adapter's lease. */
export interface DeciderPorts<L = unknown> {
  readonly config: Config;
  readonly now: () => Date;
  /** The cluster lock, or null when another decider holds it. */
  acquireLock(clusterId: string): Promise<L | null>;
  releaseLock(clusterId: string, lease: L): Promise<void>;
  loadState(clusterId: string): Promise<ClusterState>;
  /**
   * Ids of the live instances EC2 tags as this cluster's managed workers
   * (`smartscale:cluster` and `smartscale:managed=true`): only their Nodes
   * may be chosen to remove, whatever a Node's own label says.
   */
  smartscaleInstances(): Promise<ReadonlySet<string>>;
  /**
   * The resolved instance types with their current prices, when several
   * are configured (the decision packs pending pods across them); absent or
   * undefined: the single configured type.
   */
  instanceCatalog?(): Promise<InstanceCatalog | undefined>;
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
  /**
   * Stale, and no action of it recorded: passed over without the lock, the
   * audit or an announcement (a newer sample is behind it in the queue).
   */
  | { readonly status: 'skipped-stale'; readonly actionId: string }
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

async function publishAndAudit<L>(
  ports: DeciderPorts<L>,
  out: { commands: readonly AnyEnvelope[]; audit: readonly AuditRecord[] },
): Promise<void> {
  for (const message of out.commands) await ports.publish(message);
  for (const record of out.audit) await ports.audit(record);
}

/**
 * Runs the policy on one sample (core's `evaluate`) under the cluster lock:
 * load the ledger, evaluate, save it when it moved, then publish the
 * commands and write the audit records. Saving before publishing means a
 * crash in between loses nothing: the redelivered sample finds its action
 * recorded and publishes the same command again instead of deciding anew.
 */
export async function evaluateSample<L>(
  sample: Envelope<'MetricsSampled'>,
  ports: DeciderPorts<L>,
  /** The S3 object the sample came in, when it came by claim. */
  claim?: SampleClaim,
): Promise<EvaluationResult> {
  // A sample already stale is held whatever EC2 says (time only ages it
  // further), so it costs no EC2 call: a decider that fell behind its queue
  // (the chaos soak's CPU-starved runs) catches up instead of paying two EC2
  // reads per sample it will hold anyway. Its ledger work (expiry, a
  // recorded action re-sent) needs neither ownership nor prices.
  const stale = staleSampleHold(sample.payload, ports.config, ports.now()) !== null;
  // A stale sample whose action was never recorded is passed over (core's
  // skipsStaleSample) after one ledger read, before the lock: a decider far
  // behind its queue then reaches the fresh samples at its tail.
  if (
    stale &&
    skipsStaleSample(await ports.loadState(sample.clusterId), sample, ports.config, ports.now())
  )
    return { status: 'skipped-stale', actionId: sample.actionId };
  // Asked while the lock is taken, so the decision waits for EC2 no longer
  // than for the lock; a failure throws and the sample is redelivered.
  const ours = stale ? undefined : ports.smartscaleInstances();
  ours?.catch(() => {});
  const catalog = stale ? undefined : ports.instanceCatalog?.();
  catalog?.catch(() => {});
  const result = await withLock(ports, sample.clusterId, async (lease) => {
    const loaded = await ports.loadState(sample.clusterId);
    const marked = ours
      ? { ...sample, payload: withInstanceOwnership(sample.payload, await ours) }
      : sample;
    const types = await catalog;
    const evaluation = evaluate(loaded, marked, ports.config, ports.now(), {
      ...(claim ? { claim } : {}),
      ...(types ? { catalog: types } : {}),
    });
    if (evaluation.state !== loaded) await ports.saveState(evaluation.state, lease);
    await publishAndAudit(ports, evaluation);
    return evaluation;
  });
  if (!result) return { status: 'lock-busy' };
  if (result.status === 'decided') return { status: 'decided', decision: result.decision };
  return { status: result.status, actionId: sample.actionId };
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
 * A sample whose claim could not be read: held with `sample-unreadable`
 * (core's `holdUnreadable`), announced and audited. The message is
 * acknowledged after that: the next sample comes within a minute, and this
 * one would be stale by the time a person replayed it; the audit keeps its
 * key and the reason.
 */
export async function holdUnreadableSample<L>(
  sample: ClaimedSample,
  detail: string,
  ports: DeciderPorts<L>,
): Promise<EvaluationResult> {
  const hold = holdUnreadable(sample, detail, ports.now());
  await publishAndAudit(ports, hold);
  return { status: 'decided', decision: hold.decision };
}

/**
 * Moves the action ledger on an outcome event (core's `evaluateOutcome`)
 * and audits it. Returns false when the lock was busy, so the caller lets
 * the message be redelivered.
 */
export async function recordOutcome<L>(
  event: AnyEnvelope,
  ports: DeciderPorts<L>,
): Promise<boolean> {
  if (!toOutcome(event)) return true;
  const done = await withLock(ports, event.clusterId, async (lease) => {
    const loaded = await ports.loadState(event.clusterId);
    const moved = evaluateOutcome(loaded, event, ports.config, ports.now());
    if (!moved) return true;
    if (moved.state !== loaded) await ports.saveState(moved.state, lease);
    await ports.audit(moved.audit);
    return true;
  });
  return done ?? false;
}
