// The soak's report: what was fired, what the reconciler repaired, how long
// the cluster took to come back, and each invariant with its evidence.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../env.ts';
import { type LagWindow, lagLine } from './decider-lag.ts';
import type { FiredFault } from './inject.ts';
import type { PeakFact, Verdict } from './invariants.ts';
import { countByKind, type FaultKind } from './schedule.ts';

export interface SoakReport {
  readonly seed: number;
  readonly minutes: number;
  readonly trace: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Faults fired, by kind; `missed` counts those that found nothing to hit. */
  readonly faultsByKind: Record<FaultKind, number>;
  readonly missed: number;
  readonly faults: readonly FiredFault[];
  /** The reconciler's repairs (audit kind 'repair') by repair code. */
  readonly repairsByCode: Record<string, number>;
  /** Seconds from the last fault (the DLQ replay) until invariants 1-4 first held together; null if never in the settle window. */
  readonly convergeSeconds: number | null;
  readonly peakLiveWorkers: PeakFact;
  readonly peakReadyManagedNodes: { readonly count: number; readonly at: string };
  /** Requests each proxy fault rule acted on (the faults really met the services). */
  readonly proxyHits: Readonly<Record<string, number>>;
  /** Instances the never-join fault held back. */
  readonly neverJoined: readonly string[];
  /** The decider's decisions in the run, and how many were holds for a stale sample (a decider behind its queue). */
  readonly decisions: { readonly total: number; readonly sampleStale: number };
  /** The age of each sample when the decider took it up, per 5 minutes of the run. */
  readonly deciderLag: readonly LagWindow[];
  /** Launches and non-hold decisions, for diagnosing a broken invariant. */
  readonly events: readonly string[];
  readonly invariants: readonly Verdict[];
  readonly held: boolean;
}

export function buildSoakReport(
  input: Omit<SoakReport, 'faultsByKind' | 'missed' | 'held'>,
): SoakReport {
  const faults = input.faults.filter((f) => !f.followUp);
  const hit = faults.filter((f) => f.target !== null);
  return {
    ...input,
    faultsByKind: countByKind(hit),
    missed: faults.length - hit.length,
    held: input.invariants.every((v) => v.held),
  };
}

/**
 * Writes the report under out/ (the CLI's soak-report.json, or a name of the
 * caller's, such as the CI soak's) and returns the path relative to the repo.
 */
export function writeSoakReport(report: SoakReport, fileName = 'soak-report.json'): string {
  const outDir = join(REPO_ROOT, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, fileName), `${JSON.stringify(report, null, 2)}\n`);
  return `out/${fileName}`;
}

/** The short table printed at the end of a soak. */
export function soakTable(report: SoakReport): string {
  const kinds = Object.entries(report.faultsByKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const repairs = Object.entries(report.repairsByCode)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const lines = [
    `seed ${report.seed}, ${report.minutes} min of ${report.trace}`,
    `  faults      ${kinds || 'none'}${report.missed ? ` (+${report.missed} with nothing to hit)` : ''}`,
    `  repairs     ${repairs || 'none'}`,
    `  proxy hits  ${
      Object.entries(report.proxyHits)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }${report.neverJoined.length ? `; never joined: ${report.neverJoined.join(' ')}` : ''}`,
    `  decisions   ${report.decisions.total}, ${report.decisions.sampleStale} samples passed over as stale${
      report.decisions.sampleStale > report.decisions.total / 2
        ? ' (the decider ran behind its queue: check the machine load)'
        : ''
    }`,
    `  sample age  p50 per 5 min: ${lagLine(report.deciderLag)}`,
    `  converged   ${report.convergeSeconds === null ? 'not within the settle window' : `${report.convergeSeconds.toFixed(1)} s after the last fault`}`,
    `  peak        ${report.peakLiveWorkers.count} live workers at ${report.peakLiveWorkers.at}; ${report.peakReadyManagedNodes.count} Ready managed Nodes at ${report.peakReadyManagedNodes.at}`,
    '  invariants',
  ];
  for (const v of report.invariants) {
    lines.push(`    ${v.held ? 'held  ' : 'BROKEN'}  ${v.invariant}`);
    for (const e of v.evidence.slice(0, 10)) lines.push(`              ${e}`);
  }
  return lines.join('\n');
}
