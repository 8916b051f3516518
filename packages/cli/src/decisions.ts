import {
  type AuditLog,
  type SampleClaims,
  SampleClaimUnreadableError,
  type StoredAuditEntry,
} from '@smartscale/aws';
import {
  type ClusterSnapshot,
  type Decision,
  DecisionSchema,
  SampledSnapshotSchema,
} from '@smartscale/contracts';

/**
 * Where a snapshot too big for its audit item was left: the sample's object
 * in the samples bucket, with the digest it must still have.
 */
export interface SnapshotRef {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** A decision entry of the audit log, read back into its contract types. */
export interface AuditedDecision {
  readonly entry: StoredAuditEntry;
  readonly decision: Decision;
  /** The metrics snapshot the decision was made on; null if it was not recorded inline. */
  readonly snapshot: ClusterSnapshot | null;
  /** The S3 object holding the snapshot when it was too big for the audit item (issue #17). */
  readonly snapshotRef: SnapshotRef | null;
}

function asSnapshotRef(value: unknown): SnapshotRef | null {
  const v = value as Partial<SnapshotRef> | null | undefined;
  return typeof v?.key === 'string' &&
    v.key.length > 0 &&
    typeof v.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(v.sha256) &&
    typeof v.bytes === 'number'
    ? { key: v.key, sha256: v.sha256, bytes: v.bytes }
    : null;
}

/** The decision and snapshot of an audit entry; null when it is not a decision. */
export function asDecision(entry: StoredAuditEntry): AuditedDecision | null {
  if (entry.kind !== 'decision') return null;
  const decision = DecisionSchema.safeParse(entry.detail.decision);
  if (!decision.success) return null;
  const snapshot = SampledSnapshotSchema.safeParse(entry.detail.snapshot);
  return {
    entry,
    decision: decision.data,
    snapshot: snapshot.success ? snapshot.data : null,
    snapshotRef: asSnapshotRef(entry.detail.snapshotRef),
  };
}

/**
 * Reads a snapshot left in S3 (with the operator's own credentials) and
 * checks it against the audited digest. A missing object (the bucket keeps
 * samples a day) or a changed one is a readable reason, not an exception.
 */
export async function fetchSnapshot(
  claims: SampleClaims,
  ref: SnapshotRef,
): Promise<{ ok: true; snapshot: ClusterSnapshot } | { ok: false; reason: string }> {
  let body: unknown;
  try {
    body = await claims.read(ref);
  } catch (err) {
    if (err instanceof SampleClaimUnreadableError) return { ok: false, reason: err.message };
    throw err;
  }
  const parsed = SampledSnapshotSchema.safeParse(body);
  return parsed.success
    ? { ok: true, snapshot: parsed.data }
    : { ok: false, reason: `sample ${ref.key} is not a snapshot: ${parsed.error.message}` };
}

// Every sample is audited as a decision, so the newest is among the last few entries.
const RECENT_ENTRIES = 200;

/** The newest audited decision of a cluster up to `now`, or null when there is none. */
export async function latestDecision(
  audit: AuditLog,
  clusterId: string,
  now: Date,
): Promise<AuditedDecision | null> {
  const recent = await audit.between(clusterId, new Date(0), new Date(now.getTime() + 1), {
    limit: RECENT_ENTRIES,
    newestFirst: true,
  });
  for (const entry of recent) {
    const decided = asDecision(entry);
    if (decided) return decided;
  }
  return null;
}

/** Reason codes of a decision, comma-separated, for one table cell. */
export function reasonCodes(decision: Decision): string {
  return decision.reasons.map((r) => r.code).join(',');
}
