import {
  type MetricsCoverage,
  type NodeRefusal,
  type Reason,
  ReasonCode,
  type UnhostablePod,
} from '@smartscale/contracts';
import { ROUTINE_REFUSALS } from '../announcements.js';

/**
 * The reasons catalogue: one constructor per reason code, taking the
 * numbers and writing the sentence. Every reason core gives is built here,
 * so a message is worded once; the audit log, Slack, `smartscale explain`
 * and the e2e tests match on these texts, so change them with care.
 */

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** "HH:MM" of an ISO time, as the forecast messages print it. */
const clock = (iso: string) => iso.slice(11, 16);

function reason(code: ReasonCode, message: string, data?: Reason['data']): Reason {
  return data ? { code, message, data } : { code, message };
}

/**
 * Where a scale-down reason comes from: measured usage (decide's CPU and
 * memory rule) or resource requests (consolidation), worded differently.
 */
export type ScaleDownBasis = 'usage' | 'requests';

/**
 * Refusals a decision lists at most, and describes in its sentence: a
 * victim chosen among 1,000 nodes passed over 999, about 100 KB in
 * DecisionMade and the audit; people read the first few and the counts.
 */
export const MAX_LISTED_REFUSALS = 50;
export const MAX_DESCRIBED_REFUSALS = 10;

/**
 * The refusals worth listing, in snapshot order: all of them up to
 * MAX_LISTED_REFUSALS; past it, those a person can act on (a pod or budget
 * pinning a node, a failed drain) are kept before routine ones (young,
 * cordoned, unmanaged nodes), and `data` says how many were left out and
 * counts every refusal by code.
 */
export function listedRefusals(rejected: readonly NodeRefusal[]): {
  readonly listed: NodeRefusal[];
  readonly data: Record<string, number | string>;
} {
  if (rejected.length <= MAX_LISTED_REFUSALS) return { listed: [...rejected], data: {} };
  const chosen = new Set(
    [
      ...rejected.filter((r) => !ROUTINE_REFUSALS.has(r.code)),
      ...rejected.filter((r) => ROUTINE_REFUSALS.has(r.code)),
    ].slice(0, MAX_LISTED_REFUSALS),
  );
  const listed = rejected.filter((r) => chosen.has(r));
  const omitted = rejected.length - listed.length;
  return { listed, data: { listed: listed.length, omitted, byCode: countsByCode(rejected) } };
}

/** "pdb-allows-no-disruption 600, too-young 300": every refusal counted by code, most first. */
function countsByCode(rejected: readonly NodeRefusal[]): string {
  const counts = new Map<string, number>();
  for (const r of rejected) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}

/** "node: code (pod, PDB)" for a hold's sentence; the typed refusals travel beside it. */
function describeRefusal(r: NodeRefusal): string {
  const subject = [r.pod, r.pdb && `PDB ${r.pdb}`, r.until && `until ${r.until}`]
    .filter(Boolean)
    .join(', ');
  return subject ? `${r.nodeName}: ${r.code} (${subject})` : `${r.nodeName}: ${r.code}`;
}

function noVictim(
  code: ReasonCode,
  d: { readonly rejected: readonly NodeRefusal[]; readonly basis: ScaleDownBasis },
): Reason {
  const { listed, data } = listedRefusals(d.rejected);
  const described = listed.slice(0, MAX_DESCRIBED_REFUSALS).map(describeRefusal);
  const more = d.rejected.length - described.length;
  const tail = more > 0 ? `, and ${more} more: ${countsByCode(d.rejected)}` : '';
  return {
    ...reason(code, `no node can be removed safely (${described.join(', ')}${tail})`, {
      rejected: d.rejected.length,
      ...data,
    }),
    refusals: listed,
  };
}

/** Pods a victim's reason names before "and N more". */
const MAX_NAMED_PODS = 5;

/** What requests-based consolidation measured, for its two reasons. */
interface RequestsFigures {
  readonly peak: { readonly cpuMillis: number; readonly memoryBytes: number };
  readonly headroom: { readonly pods: number; readonly share: number };
  readonly windowSeconds: number;
  /** Ready schedulable nodes now. */
  readonly nodes: number;
  /** Share of the room of one node fewer the peak plus headroom takes (above 1: does not fit). */
  readonly projected: number;
}

/** "pods request at most 3000m CPU and 3.0 GiB over the last 600s, plus headroom of 1 pod(s) and 10% of the room" */
function requestsPeak(d: RequestsFigures): string {
  const gib = (d.peak.memoryBytes / 1024 ** 3).toFixed(1);
  const { pods, share } = d.headroom;
  const headroom =
    pods > 0 || share > 0 ? `, plus headroom of ${pods} pod(s) and ${pct(share)} of the room` : '';
  return `pods request at most ${Math.round(d.peak.cpuMillis)}m CPU and ${gib} GiB over the last ${d.windowSeconds}s${headroom}`;
}

function requestsData(d: RequestsFigures): Record<string, number> {
  return {
    peakCpuMillis: Math.round(d.peak.cpuMillis),
    peakMemoryBytes: Math.round(d.peak.memoryBytes),
    nodes: d.nodes,
    ...(Number.isFinite(d.projected) ? { projected: d.projected } : {}),
  };
}

/** "last scale-up 42s ago; cooldown is 300s" for either cooldown. */
function cooldown(
  code: ReasonCode,
  action: 'scale-up' | 'scale-down',
  d: { readonly sinceSeconds: number; readonly cooldownSeconds: number },
): Reason {
  return reason(
    code,
    `last ${action} ${Math.round(d.sinceSeconds)}s ago; cooldown is ${d.cooldownSeconds}s`,
    { secondsLeft: Math.ceil(d.cooldownSeconds - d.sinceSeconds) },
  );
}

/** Codes core never gives: kept in contracts so older audit entries parse, or not yet given. */
type NotGivenByCore = 'PodTooLargeForInstance';

/**
 * One constructor per reason code (the keys are ReasonCode's keys; the
 * `satisfies` below fails the build when a code has none).
 *
 * @example
 * reasons.AtMin({ min: 2 }) // { code: 'at-min', message: 'at min 2 workers', data: { min: 2 } }
 */
export const reasons = {
  PendingPods: (d: {
    pods: number;
    nodesNeeded: number;
    podsOnIncoming: number;
    instanceType: string;
    /** Several types: the chosen ones and why (describeLaunches). */
    chosen?: string;
  }) =>
    reason(
      ReasonCode.PendingPods,
      d.chosen === undefined
        ? `${d.pods} pod(s) unschedulable; ${d.nodesNeeded} ${d.instanceType} node(s) fit them`
        : `${d.pods} pod(s) unschedulable; ${d.nodesNeeded} node(s) fit them, cheapest per pod: ${d.chosen}`,
      {
        pods: d.pods,
        nodesNeeded: d.nodesNeeded,
        podsOnIncoming: d.podsOnIncoming,
        ...(d.chosen === undefined ? {} : { instanceTypes: d.chosen }),
      },
    ),

  PendingWithinGrace: (d: { pods: number; graceSeconds: number }) =>
    reason(
      ReasonCode.PendingWithinGrace,
      `${d.pods} pod(s) pending for less than ${d.graceSeconds}s`,
      { pods: d.pods },
    ),

  PendingCoveredByInFlight: (d: { pods: number; incoming: number }) =>
    reason(
      ReasonCode.PendingCoveredByInFlight,
      `${d.pods} pending pod(s) fit on free room of Ready nodes or on ${d.incoming} node(s) already launching`,
      { pods: d.pods, incoming: d.incoming },
    ),

  /** `unhostable`: every such pod, for the counts; `listed`: those the reason carries. */
  PendingUnhostable: (d: {
    unhostable: readonly UnhostablePod[];
    listed: readonly UnhostablePod[];
    instanceType: string;
  }): Reason => {
    const owners = [...new Set(d.unhostable.map((u) => u.owner))];
    const first = d.unhostable[0];
    return {
      ...reason(
        ReasonCode.PendingUnhostable,
        `${d.unhostable.length} pending pod(s) no new ${d.instanceType} worker could host, not counted (${owners.slice(0, 5).join(', ')}${owners.length > 5 ? ', ...' : ''}: ${first?.code}, ${first?.detail})`,
        { pods: d.unhostable.length, owners: owners.length, listed: d.listed.length },
      ),
      unhostable: [...d.listed],
    };
  },

  CpuHigh: (d: { cpu: number; windowMin: number; threshold: number; sustainSeconds: number }) =>
    reason(
      ReasonCode.CpuHigh,
      `CPU above ${pct(d.threshold)} for ${d.sustainSeconds}s (lowest ${pct(d.windowMin)})`,
      { cpu: d.cpu, windowMin: d.windowMin, threshold: d.threshold },
    ),

  MemoryHigh: (d: { memory: number; threshold: number }) =>
    reason(ReasonCode.MemoryHigh, `memory at ${pct(d.memory)}, above ${pct(d.threshold)}`, {
      memory: d.memory,
      threshold: d.threshold,
    }),

  AppTrigger: (d: {
    trigger: string;
    direction: string;
    value: number;
    threshold: number;
    sustainSeconds: number;
  }) =>
    reason(
      ReasonCode.AppTrigger,
      `${d.trigger} ${d.direction} ${d.threshold} for ${d.sustainSeconds}s (${d.value})`,
      { trigger: d.trigger, value: d.value, threshold: d.threshold },
    ),

  BelowMin: (d: { workers: number; min: number }) =>
    reason(ReasonCode.BelowMin, `${d.workers} worker(s), below min ${d.min}`, {
      workers: d.workers,
      min: d.min,
    }),

  PredictedRise: (d: {
    forecastCpuMillis: number;
    capacityCpuMillis: number;
    at: string;
    basis: string;
    daysUsed: number;
    count: number;
  }) =>
    reason(
      ReasonCode.PredictedRise,
      `demand of ${Math.round(d.forecastCpuMillis)}m CPU expected at ${clock(d.at)} UTC (${d.basis}); adding ${d.count} node(s) one boot time ahead`,
      {
        forecastCpuMillis: Math.round(d.forecastCpuMillis),
        capacityCpuMillis: Math.round(d.capacityCpuMillis),
        daysUsed: d.daysUsed,
      },
    ),

  PredictionUnavailable: (d: { detail: string }) =>
    reason(ReasonCode.PredictionUnavailable, `pre-scaling off for now: ${d.detail}`),

  PredictedRiseAhead: (d: { forecastCpuMillis: number; at: string }) =>
    reason(
      ReasonCode.PredictedRiseAhead,
      `the daily pattern expects ${Math.round(d.forecastCpuMillis)}m CPU at ${clock(d.at)} UTC; keeping the node`,
      { forecastCpuMillis: Math.round(d.forecastCpuMillis) },
    ),

  CappedByStep: (d: { needed: number; step: number }) =>
    reason(ReasonCode.CappedByStep, `capped by the step limit of ${d.step}`, {
      needed: d.needed,
      step: d.step,
    }),

  CappedByMax: (d: { needed: number; max: number }) =>
    reason(ReasonCode.CappedByMax, `capped at max ${d.max} workers`, {
      needed: d.needed,
      max: d.max,
    }),

  /** With `pods`: pending pods that would need a worker beyond max; without: a sustained trigger. */
  AtMax: (d: { max: number; pods?: number }) =>
    d.pods === undefined
      ? reason(ReasonCode.AtMax, `already at max ${d.max} workers`, { max: d.max })
      : reason(ReasonCode.AtMax, `${d.pods} pod(s) pending but already at max ${d.max} workers`, {
          pods: d.pods,
          max: d.max,
        }),

  AtMin: (d: { min: number }) =>
    reason(ReasonCode.AtMin, `at min ${d.min} workers`, { min: d.min }),

  CooldownAfterScaleUp: (d: { sinceSeconds: number; cooldownSeconds: number }) =>
    cooldown(ReasonCode.CooldownAfterScaleUp, 'scale-up', d),

  CooldownAfterScaleDown: (d: { sinceSeconds: number; cooldownSeconds: number }) =>
    cooldown(ReasonCode.CooldownAfterScaleDown, 'scale-down', d),

  /**
   * `holding` says what the joining nodes hold back: a sustained scale-up
   * trigger (their capacity counts first) or a scale-down.
   */
  ScaleUpInFlight: (d: { incoming: number; holding: 'scale-up' | 'scale-down' }) =>
    d.holding === 'scale-up'
      ? reason(
          ReasonCode.ScaleUpInFlight,
          `${d.incoming} node(s) still joining; their capacity counts first`,
          { incoming: d.incoming },
        )
      : reason(ReasonCode.ScaleUpInFlight, `${d.incoming} node(s) still joining`),

  ScaleDownInFlight: (d: { draining: number }) =>
    reason(ReasonCode.ScaleDownInFlight, `${d.draining} node(s) already draining`),

  NodesNotReady: (d: { nodes: number }) =>
    reason(ReasonCode.NodesNotReady, `${d.nodes} node(s) not Ready`, { nodes: d.nodes }),

  /** `scalingDown`: the reading was needed to remove a node, which never happens blind. */
  MetricsUnavailable: (d: { detail: string; scalingDown: boolean }) =>
    reason(
      ReasonCode.MetricsUnavailable,
      d.scalingDown
        ? `metrics unavailable (${d.detail}); never scaling down blind`
        : `metrics unavailable (${d.detail})`,
    ),

  /**
   * Too few workers reported CPU and memory (issue #17), now or at some step
   * of the scale-down window: the counts and the first missing workers
   * travel as data. Or application triggers whose query gave no value
   * (failed, or returned no series): their names travel as data.
   * `scalingDown`: the reading was needed to remove a node.
   */
  MetricsIncomplete: (
    d:
      | { coverage: MetricsCoverage; detail: string; scalingDown: boolean }
      | { triggers: readonly string[]; scalingDown: boolean },
  ) => {
    if ('triggers' in d) {
      const detail = `no data for application trigger(s) ${d.triggers.join(', ')} (query failed or returned no series)`;
      return reason(
        ReasonCode.MetricsIncomplete,
        d.scalingDown ? `${detail}; never scaling down without them` : detail,
        { triggers: d.triggers.join(', '), missingTriggers: d.triggers.length },
      );
    }
    return reason(
      ReasonCode.MetricsIncomplete,
      d.scalingDown ? `${d.detail}; never scaling down on a partial reading` : d.detail,
      {
        reporting: d.coverage.reporting,
        expected: d.coverage.expected,
        missing: d.coverage.missing.join(', '),
        ...(d.coverage.steps !== undefined
          ? { stepsCovered: d.coverage.stepsCovered ?? 0, steps: d.coverage.steps }
          : {}),
      },
    );
  },

  PendingPodsPresent: (d: { pods: number }) =>
    reason(ReasonCode.PendingPodsPresent, `${d.pods} pod(s) pending`),

  NoTrigger: () => reason(ReasonCode.NoTrigger, 'no scaling trigger holds'),

  CpuNotLow: (d: { windowMax: number; sustainSeconds: number; threshold: number }) =>
    reason(
      ReasonCode.CpuNotLow,
      `CPU reached ${pct(d.windowMax)} in the last ${d.sustainSeconds}s; scale-down needs below ${pct(d.threshold)}`,
      { windowMax: d.windowMax },
    ),

  MemoryNotLow: (d: { windowMax: number; threshold: number }) =>
    reason(
      ReasonCode.MemoryNotLow,
      `memory reached ${pct(d.windowMax)}; scale-down needs below ${pct(d.threshold)}`,
      { windowMax: d.windowMax },
    ),

  CpuLow: (d: { windowMax: number; sustainSeconds: number; threshold: number }) =>
    reason(
      ReasonCode.CpuLow,
      `CPU below ${pct(d.threshold)} for ${d.sustainSeconds}s (highest ${pct(d.windowMax)})`,
      { windowMax: d.windowMax },
    ),

  /** Requests-based consolidation: the peak plus headroom fits on one node fewer. */
  RequestsLow: (d: RequestsFigures) =>
    reason(
      ReasonCode.RequestsLow,
      `${requestsPeak(d)}; ${d.nodes - 1} of the ${d.nodes} Ready nodes hold that at ${pct(d.projected)} of their room`,
      requestsData(d),
    ),

  /** Requests-based consolidation: one node fewer would not hold the peak plus headroom. */
  RequestsNotLow: (d: RequestsFigures) =>
    reason(
      ReasonCode.RequestsNotLow,
      `${requestsPeak(d)}; ${d.nodes - 1} of the ${d.nodes} Ready nodes would need ${Number.isFinite(d.projected) ? pct(d.projected) : 'more than all'} of their room`,
      requestsData(d),
    ),

  RequestsPeakUnavailable: (d: { windowSeconds: number }) =>
    reason(
      ReasonCode.RequestsPeakUnavailable,
      `the sample has no peak of pod requests over the last ${d.windowSeconds}s (kube-state-metrics in Prometheus); requests-based consolidation waits for it`,
    ),

  MemoryLow: (d: { windowMax: number; threshold: number }) =>
    reason(ReasonCode.MemoryLow, `memory below ${pct(d.threshold)} (highest ${pct(d.windowMax)})`, {
      windowMax: d.windowMax,
    }),

  ProjectedCpuTooHigh: (d: { projectedCpu: number; target: number }) =>
    reason(
      ReasonCode.ProjectedCpuTooHigh,
      `one node fewer would put CPU at ${pct(d.projectedCpu)}, above the ${pct(d.target)} target`,
      { projectedCpu: d.projectedCpu },
    ),

  NoEligibleVictim: (d: { rejected: readonly NodeRefusal[]; basis: ScaleDownBasis }) =>
    noVictim(ReasonCode.NoEligibleVictim, d),

  VictimPodsWouldNotFit: (d: { rejected: readonly NodeRefusal[]; basis: ScaleDownBasis }) =>
    noVictim(ReasonCode.VictimPodsWouldNotFit, d),

  /**
   * `rejected`: the nodes passed over first ("why not worker-3?" is
   * explain's next question). `movingPods`: the pods that move, named for
   * requests-based consolidation. `savesHourlyUsd`: what the removal saves,
   * when nodes of several types were ranked by it.
   */
  VictimChosen: (d: {
    nodeName: string;
    podsToMove: number;
    movingPods?: readonly string[];
    rejected: readonly NodeRefusal[];
    basis: ScaleDownBasis;
    savesHourlyUsd?: number;
    instanceType?: string | undefined;
  }): Reason => {
    const { listed, data } = listedRefusals(d.rejected);
    const names =
      d.basis === 'requests' && d.movingPods && d.movingPods.length > 0
        ? ` (${d.movingPods.slice(0, MAX_NAMED_PODS).join(', ')}${d.movingPods.length > MAX_NAMED_PODS ? `, and ${d.movingPods.length - MAX_NAMED_PODS} more` : ''})`
        : '';
    const saving =
      d.savesHourlyUsd === undefined
        ? ''
        : `; it saves $${d.savesHourlyUsd.toFixed(4)}/h${d.instanceType ? ` (${d.instanceType})` : ''}, the most of the removable nodes`;
    return {
      ...reason(
        ReasonCode.VictimChosen,
        `removing ${d.nodeName}: its ${d.podsToMove} pod(s)${names} fit on the other nodes${d.basis === 'requests' ? ' by requests' : ''}${saving}`,
        {
          podsToMove: d.podsToMove,
          ...(d.savesHourlyUsd !== undefined ? { savesHourlyUsd: d.savesHourlyUsd } : {}),
          ...data,
        },
      ),
      ...(listed.length > 0 ? { refusals: listed } : {}),
    };
  },

  Paused: (d: { by: string; reason: string }) =>
    reason(ReasonCode.Paused, `paused by ${d.by}: ${d.reason}`),

  SampleStale: (d: { ageSeconds: number; maxAgeSeconds: number; takenAt: string }) =>
    reason(
      ReasonCode.SampleStale,
      `sample taken ${d.ageSeconds}s ago (at ${d.takenAt}), older than the ${d.maxAgeSeconds}s limit; waiting for a fresh one`,
      { ageSeconds: d.ageSeconds, maxAgeSeconds: d.maxAgeSeconds, takenAt: d.takenAt },
    ),

  SampleUnreadable: (d: { detail: string; key: string; sha256: string }) =>
    reason(ReasonCode.SampleUnreadable, `the sample's snapshot could not be read: ${d.detail}`, {
      key: d.key,
      sha256: d.sha256,
    }),
} satisfies Record<Exclude<keyof typeof ReasonCode, NotGivenByCore>, (d: never) => Reason>;
