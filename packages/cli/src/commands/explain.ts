import { SampleClaims, type StoredAuditEntry } from '@smartscale/aws';
import {
  type ClusterSnapshot,
  type Decision,
  type Repair,
  RepairSchema,
} from '@smartscale/contracts';
import { type SnapshotHeadline, scaleUpHeadline, snapshotHeadline } from '@smartscale/core';
import { isValid } from 'ulid';
import { parseCommandArgs } from '../args.js';
import { type Command, ExitCode, type Io, UsageError } from '../command.js';
import { asDecision, fetchSnapshot, latestDecision, type SnapshotRef } from '../decisions.js';
import { deploymentArgs, deploymentUsage, withDeployment } from '../deployment.js';
import { formatPairs, formatTable } from '../table.js';

const usage = `usage: smartscale explain [ACTION_ID|latest] [options]

Why SmartScale did what it did: the decision, the metrics snapshot behind
it, every reason (for a hold, why it held), and the action's timeline across
services from the audit log; for a reconciler repair, what it found and
repaired. Without an argument, the latest decision.

options:
${deploymentUsage}`;

/** A snapshot reduced to what a person reads first. */
export interface SnapshotSummary extends SnapshotHeadline {
  readonly metrics: string;
}

/** `smartscale explain --json`. */
export interface Explanation {
  readonly actionId: string;
  readonly decidedAt: string | null;
  readonly decision: Decision | null;
  readonly snapshot: ClusterSnapshot | null;
  /**
   * The S3 object of a snapshot too big for the audit item; `snapshot` is
   * read from it when it can be, else `snapshotNote` says why not.
   */
  readonly snapshotRef: SnapshotRef | null;
  readonly snapshotNote: string | null;
  /** For a reconciler repair's action: what it found and repaired. */
  readonly repair: Repair | null;
  readonly timeline: readonly {
    readonly at: string;
    readonly kind: StoredAuditEntry['kind'];
    readonly summary: string;
  }[];
}

/** The headline numbers of a snapshot. */
export function summarizeSnapshot(snapshot: ClusterSnapshot): SnapshotSummary {
  const u = snapshot.utilization;
  return {
    ...snapshotHeadline(snapshot),
    metrics: u.available ? 'available' : `unavailable: ${u.reason}`,
  };
}

/** The explanation of one action from its audit entries (oldest first). */
export function explainEntries(
  actionId: string,
  entries: readonly StoredAuditEntry[],
): Explanation {
  const decided = entries.map(asDecision).find((d) => d !== null) ?? null;
  return {
    actionId,
    decidedAt: decided?.entry.at ?? null,
    decision: decided?.decision ?? null,
    snapshot: decided?.snapshot ?? null,
    snapshotRef: decided?.snapshotRef ?? null,
    snapshotNote: null,
    repair: entries.map(asRepair).find((r) => r !== null) ?? null,
    timeline: entries.map((e) => ({ at: e.at, kind: e.kind, summary: timelineLine(e) })),
  };
}

/**
 * An audit entry as one timeline line: its summary, and for a launch that
 * fell back, which pools refused and why (the why behind where it landed).
 */
function timelineLine(entry: StoredAuditEntry): string {
  const payload = (entry.detail as { payload?: { unavailablePools?: unknown } }).payload;
  const pools = Array.isArray(payload?.unavailablePools)
    ? (payload.unavailablePools as {
        zone?: string;
        capacityType?: string;
        error?: string;
        reason?: string;
        instanceType?: string;
      }[])
    : [];
  if (entry.summary !== 'InstancesLaunched' || pools.length === 0) return entry.summary;
  const refused = pools
    .map(
      (p) =>
        `${p.instanceType ? `${p.instanceType} ` : ''}${p.capacityType} in ${p.zone} (${p.error}${p.reason ? `: ${p.reason}` : ''})`,
    )
    .join(', ');
  return `${entry.summary}; unavailable: ${refused}`;
}

/** The repair an audit entry of the reconciler records, if it is one. */
function asRepair(entry: StoredAuditEntry): Repair | null {
  if (entry.kind !== 'repair') return null;
  const parsed = RepairSchema.safeParse((entry.detail as { repair?: unknown }).repair);
  return parsed.success ? parsed.data : null;
}

function percent(share: number | null): string {
  return share === null ? '?' : `${Math.round(share * 100)}%`;
}

function headline(decision: Decision): string {
  if (decision.kind === 'scale-up') return scaleUpHeadline(decision);
  if (decision.kind === 'scale-down')
    return `scale down ${decision.victim.nodeName} (${decision.victim.instanceId})`;
  return 'hold (no action)';
}

/** The readable form of an explanation. */
export function formatExplanation(x: Explanation): string {
  const parts: string[] = [];
  if (x.decision) {
    parts.push(
      formatPairs([
        ['action', x.actionId],
        ['decided at', x.decidedAt ?? '?'],
        ['decision', headline(x.decision)],
      ]),
    );
    parts.push(
      `${x.decision.kind === 'hold' ? 'why it held' : 'reasons'}:\n${formatTable(
        ['code', 'reason'],
        x.decision.reasons.map((r) => [r.code, r.message]),
      )}`,
    );
    const refusals = x.decision.reasons.flatMap((r) => r.refusals ?? []);
    // A decision lists at most 50 refusals; the rest are counted by code.
    const omitted = x.decision.reasons.find((r) => typeof r.data?.omitted === 'number')?.data;
    const rest = omitted
      ? `\n…and ${omitted.omitted} more not listed; all nodes not removed by reason: ${omitted.byCode}`
      : '';
    if (refusals.length > 0)
      parts.push(
        `nodes not removed:\n${formatTable(
          ['node', 'why', 'pod', 'pdb'],
          refusals.map((r) => [
            r.nodeName,
            r.until ? `${r.code} until ${r.until}` : r.code,
            r.pod ?? '-',
            r.pdb ?? '-',
          ]),
        )}${rest}`,
      );
    const unhostable = x.decision.reasons.flatMap((r) => r.unhostable ?? []);
    if (unhostable.length > 0)
      parts.push(
        `pending pods no new worker can host (not counted):\n${formatTable(
          ['pod', 'owner', 'why', 'detail'],
          unhostable.map((u) => [u.pod, u.owner, u.code, u.detail]),
        )}`,
      );
  } else if (x.repair) {
    const r = x.repair;
    parts.push(
      formatPairs([
        ['action', x.actionId],
        ['repair', `${r.code} (by the reconciler)`],
        ...(r.nodeName ? ([['node', r.nodeName]] as [string, string][]) : []),
        ...(r.instanceId ? ([['instance', r.instanceId]] as [string, string][]) : []),
        ...(r.repairedActionId
          ? ([['about action', r.repairedActionId]] as [string, string][])
          : []),
        ['why', r.reason],
      ]),
    );
  } else {
    parts.push(
      formatPairs([
        ['action', x.actionId],
        ['decision', 'none recorded (outcomes only)'],
      ]),
    );
  }
  if (x.snapshotNote) parts.push(`snapshot: ${x.snapshotNote}`);
  if (x.snapshot) {
    const s = summarizeSnapshot(x.snapshot);
    parts.push(
      `snapshot:\n${formatPairs([
        ['taken at', s.takenAt],
        ['nodes', `${s.workers} (${s.readyWorkers} ready)`],
        ['pending pods', String(s.pendingPods)],
        ['cpu', percent(s.cpu)],
        ['memory', percent(s.memory)],
        ['metrics', s.metrics],
      ])}`,
    );
  }
  parts.push(
    `timeline:\n${formatTable(
      ['at', 'kind', 'what'],
      x.timeline.map((t) => [t.at, t.kind, t.summary]),
    )}`,
  );
  return parts.join('\n\n');
}

/**
 * `smartscale explain`: the reasons and the timeline of one action.
 *
 * @example
 * smartscale explain latest
 */
export const explainCommand: Command = {
  name: 'explain',
  summary: 'why an action happened (or a hold held): decision, snapshot, reasons, timeline',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, deploymentArgs, 1);
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    const target = positionals[0] ?? 'latest';
    if (target !== 'latest' && !isValid(target))
      throw new UsageError(
        `ACTION_ID: expected 'latest' or an action id (a 26-character ULID such as 01JD3M8Q4W5X6Y7Z8A9B0C1D2E), got '${target}'`,
      );
    const explanation = await withDeployment(values, async (d) => {
      let actionId = target;
      if (target === 'latest') {
        const latest = await latestDecision(d.audit, d.clusterId, new Date());
        if (!latest) return null;
        actionId = latest.entry.actionId;
      }
      const entries = await d.audit.byAction(actionId);
      if (entries.length === 0) return null;
      const x = explainEntries(actionId, entries);
      if (x.snapshot || !x.snapshotRef) return x;
      // Too big for its audit item: the snapshot is the sample's S3 object.
      const fetched = await fetchSnapshot(
        new SampleClaims(d.clients.s3, d.resources.buckets.samples),
        x.snapshotRef,
      );
      return fetched.ok
        ? { ...x, snapshot: fetched.snapshot }
        : { ...x, snapshotNote: `not shown (${fetched.reason})` };
    });
    if (!explanation) {
      io.err(
        target === 'latest'
          ? 'smartscale explain: the audit log has no decision yet (the decider records one per sample)'
          : `smartscale explain: the audit log has nothing for action ${target}; list recent ones with 'smartscale history'`,
      );
      return ExitCode.Failure;
    }
    io.out(values.json ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
    return ExitCode.Ok;
  },
};
