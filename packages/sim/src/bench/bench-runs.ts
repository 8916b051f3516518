// What `npm run bench` simulates and draws for one trace, shared with the
// browser check so it renders exactly the charts the bench writes.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { podsPerNode, type SimOptionsInput, simOptions } from '../model.js';
import {
  consolidationWithHeadroom,
  createPolicy,
  defaultDriver,
  POLICY_NAMES,
  smartScalePolicy,
} from '../policies/index.js';
import { type Policy, type SimResult, simulate } from '../simulator.js';
import type { Trace } from '../trace.js';
import { benchChart } from './chart.js';
import { type ParetoPoint, paretoChart } from './pareto.js';

/** The policy the peer and multi-day targets judge: SmartScale as shipped. */
export const DEFAULT_POLICY = 'smartscale';

/** SmartScale with one main knob moved, for the Pareto chart (the table's rows are the other points). */
export const SWEEP: readonly {
  label: string;
  config?: SimOptionsInput['config'];
  policy: () => Policy;
}[] = [
  {
    label: 'pending grace 0 s',
    config: { scaleUp: { pendingGraceSeconds: 0 } },
    policy: () => smartScalePolicy(),
  },
  {
    label: 'scale-down CPU < 20 %',
    config: { scaleDown: { cpuThreshold: 0.2 } },
    policy: () => smartScalePolicy(),
  },
  {
    label: 'scale-down CPU < 40 %',
    config: { scaleDown: { cpuThreshold: 0.4 } },
    policy: () => smartScalePolicy(),
  },
  {
    label: 'consolidation, headroom 10 %',
    policy: () =>
      smartScalePolicy(defaultDriver, {
        consolidation: { ...consolidationWithHeadroom, pods: 0 },
      }),
  },
  {
    label: 'consolidation, headroom 3 pods + 10 %',
    policy: () =>
      smartScalePolicy(defaultDriver, {
        consolidation: { ...consolidationWithHeadroom, pods: 3 },
      }),
  },
  {
    label: 'consolidation+headroom, grace 0 s',
    config: { scaleUp: { pendingGraceSeconds: 0 } },
    policy: () => smartScalePolicy(defaultDriver, { consolidation: consolidationWithHeadroom }),
  },
];

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');

/** The traces of the bench: the shared TechFlow day, then the generated ones. */
export function traceFiles(): string[] {
  const shared = join(repo, '..', 'shared', 'scenarios', 'techflow-day.csv');
  const own = join(repo, 'packages', 'sim', 'traces');
  return [
    shared,
    ...readdirSync(own)
      .filter((f) => f.endsWith('.csv'))
      .sort()
      .map((f) => join(own, f)),
  ];
}

/** Every policy of the bench on `trace`, with each run's wall-clock time. */
export function simulatePolicies(trace: Trace): {
  results: SimResult[];
  runMs: Record<string, number>;
} {
  const options = simOptions();
  const results: SimResult[] = [];
  const runMs: Record<string, number> = {};
  for (const name of POLICY_NAMES) {
    const t0 = performance.now();
    results.push(simulate(trace, createPolicy(name, trace, options), options));
    runMs[name] = Math.round(performance.now() - t0);
  }
  return { results, runMs };
}

/** The Pareto chart's points: every policy but static, then the knob sweep. */
export function paretoPoints(trace: Trace, results: readonly SimResult[]): ParetoPoint[] {
  const points: ParetoPoint[] = results
    .filter((x) => x.policy !== 'static')
    .map((x) => ({
      label: x.policy,
      nodeHours: x.metrics.node_hours,
      pendingPodSeconds: x.metrics.pending_pod_seconds,
      kind: x.policy === 'oracle' ? ('bound' as const) : ('policy' as const),
    }));
  for (const knob of SWEEP) {
    const swept = simOptions(knob.config ? { config: knob.config } : {});
    const m = simulate(trace, knob.policy(), swept).metrics;
    points.push({
      label: knob.label,
      nodeHours: m.node_hours,
      pendingPodSeconds: m.pending_pod_seconds,
      kind: 'sweep',
    });
  }
  return points;
}

/** The SVG files the bench writes for one trace, by file name under out/. */
export function traceCharts(
  trace: Trace,
  results: readonly SimResult[],
  points: readonly ParetoPoint[],
): { file: string; svg: string }[] {
  return [
    {
      file: `bench-${trace.name}.svg`,
      svg: benchChart(trace.name, results, podsPerNode(simOptions())),
    },
    { file: `pareto-${trace.name}.svg`, svg: paretoChart(trace.name, points, DEFAULT_POLICY) },
  ];
}
