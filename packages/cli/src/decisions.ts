import type { AuditLog, StoredAuditEntry } from '@smartscale/aws';
import {
  type ClusterSnapshot,
  type Decision,
  DecisionSchema,
  SampledSnapshotSchema,
} from '@smartscale/contracts';

/** A decision entry of the audit log, read back into its contract types. */
export interface AuditedDecision {
  readonly entry: StoredAuditEntry;
  readonly decision: Decision;
  /** The metrics snapshot the decision was made on; null if it was not recorded. */
  readonly snapshot: ClusterSnapshot | null;
}

/** The decision and snapshot of an audit entry; null when it is not a decision. */
export function asDecision(entry: StoredAuditEntry): AuditedDecision | null {
  if (entry.kind !== 'decision') return null;
  const decision = DecisionSchema.safeParse(entry.detail.decision);
  if (!decision.success) return null;
  const snapshot = SampledSnapshotSchema.safeParse(entry.detail.snapshot);
  return { entry, decision: decision.data, snapshot: snapshot.success ? snapshot.data : null };
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
