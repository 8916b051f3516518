import type { MetricsCoverage, Utilization } from '@smartscale/contracts';
import type { PrometheusClient, RangeSeries } from './prometheus-client.ts';
import { PROMQL, type QueryScope } from './promql.ts';

/**
 * Why the average is taken here rather than in PromQL: the workers are the
 * Nodes the sampler lists from the Kubernetes API (control-plane nodes out,
 * warming-up workers out), a set Prometheus does not know. So Prometheus
 * gives each node's CPU and memory per evaluation step of the windows (two
 * range queries, one series per node), and the average, the coverage
 * (reporting / expected workers) and the window reductions are computed
 * over that set. A step with too few workers reporting (a Prometheus
 * restart leaves no points at all; missed scrapes end a node's memory
 * series through staleness markers and its CPU rate once fewer than two
 * samples fall in the rate window) does not count as "low": the scale-down
 * window must be covered at every step.
 */

/** A worker as the sampler lists it. */
export interface WorkerRef {
  name: string;
  ready: boolean;
  /** When the Node registered (ISO); absent means long ago. */
  createdAt?: string;
}

export interface CoveragePolicy {
  /** Share of the expected workers that must report (config `metrics.minCoverage`). */
  minCoverage: number;
  /** Workers younger than this are left out (config `metrics.warmupSeconds`). */
  warmupSeconds: number;
}

export interface WindowSeconds {
  /** Scale-up sustain window (lowest average over it). */
  scaleUp: number;
  /** Scale-down sustain window (highest average over it, every step covered). */
  scaleDown: number;
  /** Evaluation step of both windows. */
  step: number;
}

/** One node's values at each evaluation step, by step index. */
export type NodeSeries = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** How many missing workers a coverage names. */
export const MISSING_NAMED = 10;

/**
 * Workers whose metrics are expected at time `t` (ms): Ready, and joined at
 * least the warm-up before `t`.
 */
export function expectedWorkers(
  workers: readonly WorkerRef[],
  t: number,
  warmupSeconds: number,
): WorkerRef[] {
  return workers.filter((w) => {
    if (!w.ready) return false;
    const created = w.createdAt === undefined ? Number.NaN : Date.parse(w.createdAt);
    return Number.isNaN(created) || created + warmupSeconds * 1000 <= t;
  });
}

interface StepReading {
  cpu: number;
  memory: number;
  coverage: MetricsCoverage;
  covered: boolean;
}

function readStep(
  index: number,
  t: number,
  workers: readonly WorkerRef[],
  cpu: NodeSeries,
  memory: NodeSeries,
  policy: CoveragePolicy,
): StepReading {
  const expected = expectedWorkers(workers, t, policy.warmupSeconds);
  let cpuSum = 0;
  let memorySum = 0;
  const missing: string[] = [];
  let reporting = 0;
  for (const w of expected) {
    const c = cpu.get(w.name)?.get(index);
    const m = memory.get(w.name)?.get(index);
    if (c === undefined || m === undefined || Number.isNaN(c) || Number.isNaN(m)) {
      if (missing.length < MISSING_NAMED) missing.push(w.name);
      continue;
    }
    reporting++;
    cpuSum += clamp(c);
    memorySum += clamp(m);
  }
  const coverage: MetricsCoverage = {
    code: 'metrics-incomplete',
    reporting,
    expected: expected.length,
    missing,
  };
  return {
    cpu: reporting > 0 ? cpuSum / reporting : 0,
    memory: reporting > 0 ? memorySum / reporting : 0,
    coverage,
    covered: expected.length > 0 && reporting >= policy.minCoverage * expected.length,
  };
}

const clamp = (x: number) => Math.min(Math.max(x, 0), 10);
const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * The workers' CPU and memory averages, now and over the sustain windows,
 * from each node's values at the steps `end - k·step` (k = 0 is now), and
 * whether enough workers reported. Pure: the Prometheus reading is
 * {@link readWorkerUtilization}.
 *
 * - Now too few of the expected workers report (or none is expected):
 *   unavailable with `unavailable.code` metrics-incomplete, the counts and
 *   the first missing names.
 * - A step of the scale-down window too few report: available (scale-up on
 *   pressure still works) with `downWindowIncomplete`, so scale-down holds.
 * - The scale-up window's lowest average is over its covered steps.
 *
 * @example
 * summarizeWorkerUtilization({ workers, cpu, memory, end, windows: { scaleUp: 180, scaleDown: 600, step: 30 }, policy: { minCoverage: 0.9, warmupSeconds: 120 } });
 */
export function summarizeWorkerUtilization(input: {
  workers: readonly WorkerRef[];
  /** Values by node name, then by step index k (k = 0 at `end`, k steps before it). */
  cpu: NodeSeries;
  memory: NodeSeries;
  end: Date;
  windows: WindowSeconds;
  policy: CoveragePolicy;
}): Utilization {
  const { workers, cpu, memory, end, windows, policy } = input;
  if (!(windows.step > 0)) throw new Error(`windows.step must be above 0 s, got ${windows.step}`);
  const at = (k: number) => end.getTime() - k * windows.step * 1000;
  const now = readStep(0, at(0), workers, cpu, memory, policy);
  if (!now.covered) {
    const { reporting, expected, missing } = now.coverage;
    return {
      available: false,
      reason:
        expected === 0
          ? `no Ready worker is past its ${policy.warmupSeconds}s warm-up yet`
          : `only ${reporting} of ${expected} workers reported CPU and memory (${pct(reporting / expected)}, need ${pct(policy.minCoverage)}); missing ${missing.join(', ')}${expected - reporting > missing.length ? ', ...' : ''}`,
      unavailable: now.coverage,
    };
  }
  const upSteps = Math.floor(windows.scaleUp / windows.step);
  const downSteps = Math.floor(windows.scaleDown / windows.step);
  let upWindowMin = now.cpu;
  let cpuDownMax = now.cpu;
  let memoryDownMax = now.memory;
  let downCovered = 1;
  let worst: MetricsCoverage | undefined;
  for (let k = 1; k <= Math.max(upSteps, downSteps); k++) {
    const step = readStep(k, at(k), workers, cpu, memory, policy);
    if (!step.covered) {
      if (k <= downSteps && (!worst || step.coverage.reporting < worst.reporting))
        worst = step.coverage;
      continue;
    }
    if (k <= upSteps) upWindowMin = Math.min(upWindowMin, step.cpu);
    if (k <= downSteps) {
      downCovered++;
      cpuDownMax = Math.max(cpuDownMax, step.cpu);
      memoryDownMax = Math.max(memoryDownMax, step.memory);
    }
  }
  return {
    available: true,
    ...(worst
      ? { downWindowIncomplete: { ...worst, stepsCovered: downCovered, steps: downSteps + 1 } }
      : {}),
    cpu: { now: now.cpu, upWindowMin, downWindowMax: cpuDownMax },
    memory: { now: now.memory, downWindowMax: memoryDownMax },
  };
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** A Prometheus duration (`30s`, `2m`) in seconds; throws naming the setting otherwise. */
export function durationSeconds(name: string, value: string): number {
  const match = DURATION.exec(value);
  if (!match?.[1] || !match[2])
    throw new Error(`${name} '${value}' is not a Prometheus duration like 30s, 3m or 1h`);
  return Number(match[1]) * (UNIT_SECONDS[match[2]] ?? 1);
}

/** Range series by node label, re-indexed by step k counted back from `end`. */
function byNode(
  series: readonly RangeSeries[],
  label: string,
  end: Date,
  stepSeconds: number,
): Map<string, Map<number, number>> {
  const nodes = new Map<string, Map<number, number>>();
  for (const s of series) {
    const name = s.metric[label];
    if (name === undefined) continue;
    const points = nodes.get(name) ?? new Map<number, number>();
    for (const p of s.points) {
      const k = Math.round((end.getTime() - p.timestamp.getTime()) / (stepSeconds * 1000));
      if (k >= 0) points.set(k, p.value);
    }
    nodes.set(name, points);
  }
  return nodes;
}

/**
 * Reads each node's CPU and memory over the longer sustain window from
 * Prometheus and summarises them over `workers` (see
 * {@link summarizeWorkerUtilization}). A Prometheus failure is
 * `available: false` with its detail.
 *
 * @example
 * const u = await readWorkerUtilization(prometheus, workers, { scaleUp: 180, scaleDown: 600 }, { minCoverage: 0.9, warmupSeconds: 120 });
 */
export async function readWorkerUtilization(
  prometheus: PrometheusClient,
  workers: readonly WorkerRef[],
  windows: { scaleUp: number; scaleDown: number },
  policy: CoveragePolicy,
  scope: QueryScope = {},
  now: Date = new Date(),
): Promise<Utilization> {
  const step = durationSeconds('step', scope.step ?? '30s');
  const label = scope.nodeLabel ?? 'node';
  // Whole steps back from now, so step k of the summary is a point Prometheus evaluated.
  const span = Math.max(windows.scaleUp, windows.scaleDown);
  const start = new Date(now.getTime() - Math.floor(span / step) * step * 1000);
  const [cpu, memory] = await Promise.all([
    prometheus.queryRange(PROMQL.cpuByNode(scope), start, now, step),
    prometheus.queryRange(PROMQL.memoryByNode(scope), start, now, step),
  ]);
  if (!cpu.ok) return { available: false, reason: cpu.detail };
  if (!memory.ok) return { available: false, reason: memory.detail };
  return summarizeWorkerUtilization({
    workers,
    cpu: byNode(cpu.value, label, now, step),
    memory: byNode(memory.value, label, now, step),
    end: now,
    windows: { ...windows, step },
    policy,
  });
}
