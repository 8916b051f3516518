import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simOptions } from '../model.js';
import type { SimResult } from '../simulator.js';
import { loadTrace, type Trace } from '../trace.js';
import {
  DEFAULT_POLICY,
  paretoPoints,
  simulatePolicies,
  traceCharts,
  traceFiles,
} from './bench-runs.js';
import { benchEngine, type EngineTiming } from './engine-bench.js';
import { type ParetoPoint, paretoFrontier } from './pareto.js';
import {
  CONSOLIDATION_PROFILE_POLICY,
  dominates,
  type ProfileVerdict,
  profileChoice,
  profileVerdict,
} from './profile-choice.js';

const PLANNING_BUDGET_MS = 200;
const NODE_HOURS_VS_ORACLE = 1.1;
const PENDING_VS_SEED = 0.2;
/** Predictive pre-scaling may cost at most this much more node-hours than plain smartscale. */
const PREDICTIVE_NODE_HOURS = 1.03;
/** Issue #18, on the multi-day traces: node-hours at most this multiple of the oracle's... */
const MULTI_DAY_NODE_HOURS_VS_ORACLE = 1.03;
/** ...and pending pod-seconds above the oracle's at most this share of the seed policy's. */
const MULTI_DAY_EXCESS_PENDING_VS_SEED = 0.05;
/** The peers SmartScale's default must match on both figures and beat on one. */
const PEERS = ['cluster-autoscaler', 'karpenter'] as const;

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');

interface TraceReport {
  readonly trace: string;
  readonly source: string;
  readonly results: SimResult[];
  readonly runMs: Record<string, number>;
  /** Every policy but static, and the knob sweep; the frontier is what no real policy beats on both. */
  readonly pareto: {
    readonly points: readonly ParetoPoint[];
    readonly frontier: readonly string[];
  };
  readonly targets: {
    readonly nodeHoursVsOracle: number;
    readonly nodeHoursWithin10Pct: boolean;
    readonly pendingVsSeed: number | null;
    readonly pendingAtMostFifthOfSeed: boolean;
    /** Pending the oracle cannot avoid either (demand above max) taken out of both. */
    readonly avoidablePendingVsSeed: number | null;
    readonly flaps: number;
    readonly predictive: PredictiveVerdict;
    readonly peers: readonly PeerVerdict[];
    readonly multiDay: MultiDayVerdict;
    /** The consolidation profile against the default (issue #18's rule for changing it). */
    readonly profile: ProfileVerdict;
  };
}

/** SmartScale's default against one peer: no worse on both figures, strictly better on one. */
interface PeerVerdict {
  readonly peer: string;
  readonly nodeHours: number;
  readonly peerNodeHours: number;
  readonly pendingPodSeconds: number;
  readonly peerPendingPodSeconds: number;
  readonly met: boolean;
}

function peerVerdict(smart: SimResult, peer: SimResult): PeerVerdict {
  return {
    peer: peer.policy,
    nodeHours: smart.metrics.node_hours,
    peerNodeHours: peer.metrics.node_hours,
    pendingPodSeconds: smart.metrics.pending_pod_seconds,
    peerPendingPodSeconds: peer.metrics.pending_pod_seconds,
    met: dominates(smart, peer),
  };
}

/** The multi-day targets; judged only on traces longer than a day, printed for the others. */
interface MultiDayVerdict {
  readonly applies: boolean;
  readonly nodeHoursVsOracle: number;
  /** (smartscale pending - oracle pending) / seed pending. */
  readonly excessPendingVsSeed: number | null;
  readonly met: boolean;
}

function multiDayVerdict(
  trace: Trace,
  smart: SimResult,
  oracle: SimResult,
  seed: SimResult,
): MultiDayVerdict {
  const vsOracle = smart.metrics.node_hours / oracle.metrics.node_hours;
  const excess = ratio(
    smart.metrics.pending_pod_seconds - oracle.metrics.pending_pod_seconds,
    seed.metrics.pending_pod_seconds,
  );
  return {
    applies: trace.points.length * 60 > 86_400,
    nodeHoursVsOracle: Math.round(vsOracle * 1000) / 1000,
    excessPendingVsSeed: excess === null ? null : Math.round(excess * 1000) / 1000,
    met:
      vsOracle <= MULTI_DAY_NODE_HOURS_VS_ORACLE &&
      excess !== null &&
      excess <= MULTI_DAY_EXCESS_PENDING_VS_SEED,
  };
}

/** What predictive pre-scaling changed against plain smartscale on one trace. */
interface PredictiveVerdict {
  /** False when it never had the history to forecast (a single-day trace). */
  readonly active: boolean;
  readonly pendingVsSmartscale: number | null;
  readonly nodeHoursVsSmartscale: number;
  readonly met: boolean;
  readonly report: SimResult['policyReport'];
}

function predictiveVerdict(smart: SimResult, predictive: SimResult): PredictiveVerdict {
  const report = predictive.policyReport;
  const pending = ratio(predictive.metrics.pending_pod_seconds, smart.metrics.pending_pod_seconds);
  const hours = predictive.metrics.node_hours / smart.metrics.node_hours;
  const active = report.firstPreScaleAt !== null || Number(report.keptForForecast) > 0;
  return {
    active,
    pendingVsSmartscale: pending === null ? null : Math.round(pending * 1000) / 1000,
    nodeHoursVsSmartscale: Math.round(hours * 1000) / 1000,
    met: active && pending !== null && pending < 1 && hours <= PREDICTIVE_NODE_HOURS,
    report,
  };
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 0 : null) : a / b);

function runTrace(trace: Trace): TraceReport {
  const { results, runMs } = simulatePolicies(trace);
  const by = (p: string) => results.find((r) => r.policy === p) as SimResult;
  const smart = by(DEFAULT_POLICY);
  const seed = by('seed');
  const oracle = by('oracle');
  const vsOracle = smart.metrics.node_hours / oracle.metrics.node_hours;
  const vsSeed = ratio(smart.metrics.pending_pod_seconds, seed.metrics.pending_pod_seconds);
  const floor = oracle.metrics.pending_pod_seconds;
  const avoidable = ratio(
    smart.metrics.pending_pod_seconds - floor,
    seed.metrics.pending_pod_seconds - floor,
  );
  const points = paretoPoints(trace, results);
  for (const chart of traceCharts(trace, results, points))
    writeFileSync(join(repo, 'out', chart.file), chart.svg);
  return {
    trace: trace.name,
    source: trace.source,
    results,
    runMs,
    pareto: { points, frontier: paretoFrontier(points).map((p) => p.label) },
    targets: {
      nodeHoursVsOracle: Math.round(vsOracle * 1000) / 1000,
      nodeHoursWithin10Pct: vsOracle <= NODE_HOURS_VS_ORACLE,
      pendingVsSeed: vsSeed === null ? null : Math.round(vsSeed * 1000) / 1000,
      pendingAtMostFifthOfSeed: vsSeed !== null && vsSeed <= PENDING_VS_SEED,
      avoidablePendingVsSeed: avoidable === null ? null : Math.round(avoidable * 1000) / 1000,
      flaps: smart.details.flaps,
      predictive: predictiveVerdict(smart, by('smartscale+predictive')),
      peers: PEERS.map((p) => peerVerdict(smart, by(p))),
      multiDay: multiDayVerdict(trace, smart, oracle, seed),
      profile: profileVerdict(trace.name, by(CONSOLIDATION_PROFILE_POLICY), smart),
    },
  };
}

function table(reports: readonly TraceReport[]): string {
  const head = [
    'trace',
    'policy',
    'node_hours',
    'cost_usd',
    'spot_save',
    'pending_pod_s',
    'max_pending_s',
    'ups',
    'downs',
    'flaps',
    'run_ms',
  ];
  const rows = reports.flatMap((r) =>
    r.results.map((x) => [
      r.trace,
      x.policy,
      fmt(x.metrics.node_hours),
      fmt(x.metrics.cost_usd, 2),
      fmt(x.details.spotSavingsUsd, 2),
      String(x.metrics.pending_pod_seconds),
      String(x.metrics.max_pending_seconds),
      String(x.metrics.scale_ups),
      String(x.metrics.scale_downs),
      String(x.details.flaps),
      String(r.runMs[x.policy]),
    ]),
  );
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function predictiveLine(trace: string, v: PredictiveVerdict): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${fmt(x * 100)}%`);
  if (!v.active)
    return `off    ${trace}: smartscale+predictive stayed off the whole run (${v.report.offReason ?? 'no reason given'}); same as smartscale`;
  return `${v.met ? 'met   ' : 'MISSED'} ${trace}: smartscale+predictive pending pod-seconds ${pct(v.pendingVsSmartscale)} of smartscale at ${pct(v.nodeHoursVsSmartscale)} of its node-hours (target < 100% at <= ${fmt(PREDICTIVE_NODE_HOURS * 100)}%; ${v.report.preScales} pre-scale(s) from ${v.report.firstPreScaleAt ?? 'never'}, off before that: ${v.report.offReason})`;
}

function verdicts(reports: readonly TraceReport[], engine: readonly EngineTiming[]): string[] {
  const mark = (ok: boolean) => (ok ? 'met   ' : 'MISSED');
  const lines = reports.flatMap((r) => {
    const t = r.targets;
    const pct = (x: number | null) => (x === null ? 'n/a' : `${fmt(x * 100)}%`);
    const peerLines = t.peers.map(
      (v) =>
        `${mark(v.met)} ${r.trace}: ${DEFAULT_POLICY} vs ${v.peer}: node-hours ${fmt(v.nodeHours)} vs ${fmt(v.peerNodeHours)}, pending pod-seconds ${v.pendingPodSeconds} vs ${v.peerPendingPodSeconds} (target: no worse on both, better on one)`,
    );
    const m = t.multiDay;
    const multiDay = `${m.applies ? mark(m.met) : 'info  '} ${r.trace}: ${DEFAULT_POLICY} node-hours ${pct(m.nodeHoursVsOracle)} of oracle (target <= ${fmt(MULTI_DAY_NODE_HOURS_VS_ORACLE * 100)}%), pending above oracle ${pct(m.excessPendingVsSeed)} of seed's (target <= ${fmt(MULTI_DAY_EXCESS_PENDING_VS_SEED * 100)}%)${m.applies ? '' : '; judged on multi-day traces only'}`;
    const onFrontier = r.pareto.frontier.includes(DEFAULT_POLICY);
    return [
      `info   ${r.trace}: ${DEFAULT_POLICY} ${onFrontier ? 'is' : 'is NOT'} on the node-hours/pending frontier (${r.pareto.frontier.join(', ')}); out/pareto-${r.trace}.svg`,
      ...peerLines,
      multiDay,
      `${mark(t.nodeHoursWithin10Pct)} ${r.trace}: smartscale node-hours ${pct(t.nodeHoursVsOracle)} of oracle (target <= 110%)`,
      `${mark(t.pendingAtMostFifthOfSeed)} ${r.trace}: smartscale pending pod-seconds ${pct(t.pendingVsSeed)} of seed (target <= 20%; beyond what the oracle cannot avoid: ${pct(t.avoidablePendingVsSeed)})`,
      `${mark(t.flaps === 0)} ${r.trace}: smartscale nodes removed within 10 min of joining: ${t.flaps}`,
      predictiveLine(r.trace, t.predictive),
      `info   ${r.trace}: consolidation profile (${CONSOLIDATION_PROFILE_POLICY}) vs the default: node-hours ${fmt(t.profile.nodeHours)} vs ${fmt(t.profile.defaultNodeHours)}, pending pod-seconds ${t.profile.pendingPodSeconds} vs ${t.profile.defaultPendingPodSeconds} (${t.profile.beats ? 'beats it' : 'does not beat it'}: no worse on both, better on one)`,
    ];
  });
  lines.push(`info   ${profileChoice(reports.map((r) => r.targets.profile)).line}`);
  for (const e of engine)
    lines.push(
      `${mark(e.medianMs < PLANNING_BUDGET_MS)} ${e.name}: median ${e.medianMs} ms of ${e.runs} runs (${e.result}; target < ${PLANNING_BUDGET_MS} ms)`,
    );
  return lines;
}

mkdirSync(join(repo, 'out'), { recursive: true });
const reports = traceFiles().map((file) => runTrace(loadTrace(file)));
const engine = benchEngine();
console.log(table(reports));
console.log('');
for (const v of verdicts(reports, engine)) console.log(v);
const json = {
  generatedBy: 'npm run bench',
  options: {
    pricing:
      'cost_usd prices every node-hour on-demand; spot_save is what the simulated purchase mix (core planPurchase) saves on top',
    ...simOptions(),
  },
  traces: reports.map((r) => ({
    ...r,
    results: r.results.map(({ timeline: _timeline, ...rest }) => rest),
  })),
  engine,
};
writeFileSync(join(repo, 'out', 'bench.json'), `${JSON.stringify(json, null, 2)}\n`);
console.log(
  `\nwrote out/bench.json, out/bench-<trace>.svg and out/pareto-<trace>.svg for ${reports.length} traces`,
);
