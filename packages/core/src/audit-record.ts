import { type ClusterSnapshot, encodeSnapshot, type SampleClaim } from '@smartscale/contracts';

/** One line of the audit log. */
export interface AuditRecord {
  readonly clusterId: string;
  readonly actionId: string;
  readonly at: string;
  readonly kind: 'decision' | 'outcome' | 'expired';
  readonly summary: string;
  readonly detail: Record<string, unknown>;
}

/**
 * A DynamoDB item holds 400 KB (names and values); the decision, its
 * refusals and the cost detail share the item with the snapshot, so the
 * snapshot is kept inline only up to 300 KiB.
 */
export const AUDIT_SNAPSHOT_INLINE_LIMIT_BYTES = 300 * 1024;

/** The numbers a person reads first about a snapshot (audit summaries, `smartscale explain`). */
export interface SnapshotHeadline {
  readonly takenAt: string;
  readonly workers: number;
  readonly readyWorkers: number;
  readonly pendingPods: number;
  readonly cpu: number | null;
  readonly memory: number | null;
}

export function snapshotHeadline(snapshot: ClusterSnapshot): SnapshotHeadline {
  const u = snapshot.utilization;
  return {
    takenAt: snapshot.takenAt,
    workers: snapshot.nodes.length,
    readyWorkers: snapshot.nodes.filter((n) => n.ready).length,
    pendingPods: snapshot.pendingPods.length,
    cpu: u.available ? u.cpu.now : null,
    memory: u.available ? u.memory.now : null,
  };
}

/** The headline numbers of a snapshot, audited in place of one too big for the item. */
export interface AuditedSnapshotSummary extends SnapshotHeadline {
  /** Bytes of the compact snapshot that did not fit. */
  readonly compactBytes: number;
}

// UTF-8 length as DynamoDB counts it; TextEncoder keeps core free of Node's Buffer.
const utf8 = new TextEncoder();

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
  const bytes = utf8.encode(JSON.stringify(audited)).length;
  if (bytes <= limitBytes) return { snapshot: audited };
  const snapshotSummary: AuditedSnapshotSummary = {
    ...snapshotHeadline(snapshot),
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
