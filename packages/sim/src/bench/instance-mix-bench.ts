// `npm run bench:types`: one instance type against a diversified set, per
// trace, with Spot pools that crunch and run dry one at a time. A script of
// its own so `npm run bench`'s tables (one type, one Spot rate) stay as
// they are and comparable with earlier runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simOptions } from '../model.js';
import { smartScalePolicy } from '../policies/index.js';
import { simulate } from '../simulator.js';
import { defaultSpotPoolModel, type SpotPoolModel } from '../spot-pools.js';
import { loadTrace, type Trace } from '../trace.js';
import { traceFiles } from './bench-runs.js';

/** Today's default: every worker a t3.medium. */
export const ONE_TYPE: readonly string[] = ['t3.medium'];

/**
 * Six types of two architectures; t3.medium first, the preference on ties.
 * t3a.medium is there because real diversified sets have it (Karpenter
 * users' default NodePools allow t3a, and it is the common "t3 but cheaper"
 * pick): the same size as t3.medium at 10 % less on-demand, so it is within
 * `instance.spotFlexibility` per pod and scale-ups get a Spot alternative,
 * which none of the other four types is.
 */
export const DIVERSIFIED: readonly string[] = [
  't3.medium',
  't3a.medium',
  't3.large',
  'm7i.large',
  'm7g.large',
  'c7g.xlarge',
];

/** us-east-1, the region of core's price table. */
export const BENCH_ZONES: readonly string[] = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/** One run of the comparison. */
export interface MixRow {
  readonly trace: string;
  readonly set: 'one type' | 'diversified';
  /** USD as bought: Spot and on-demand workers each at their type's price. */
  readonly costUsd: number;
  readonly nodeHours: number;
  readonly pendingPodSeconds: number;
  /** Spot workers reclaimed by a crunch of their pool. */
  readonly interruptions: number;
  /** Workers launched on another type, zone or capacity type than planned, after insufficient capacity. */
  readonly iceFallbacks: number;
  readonly launchedByType: Readonly<Record<string, number>>;
}

/**
 * SmartScale as shipped on `trace`, once with one type and once with the
 * diversified set, same seed (so the pools both use crunch alike).
 *
 * @example
 * compareInstanceMix(loadTrace('techflow-day.csv'))
 */
export function compareInstanceMix(
  trace: Trace,
  spotPools: SpotPoolModel = defaultSpotPoolModel,
  seed = 1,
): MixRow[] {
  const runs = [
    { set: 'one type' as const, instanceTypes: ONE_TYPE },
    { set: 'diversified' as const, instanceTypes: DIVERSIFIED },
  ];
  return runs.map(({ set, instanceTypes }) => {
    const options = simOptions({ instanceTypes, spotPools, zones: BENCH_ZONES, seed });
    const result = simulate(trace, smartScalePolicy(), options);
    const mix = result.details.instanceMix;
    if (!mix) throw new Error('simulate: a run with instance types reports its mix');
    return {
      trace: trace.name,
      set,
      costUsd: result.details.costWithSpotUsd,
      nodeHours: result.metrics.node_hours,
      pendingPodSeconds: result.metrics.pending_pod_seconds,
      interruptions: mix.spotInterruptions,
      iceFallbacks: mix.iceFallbacks,
      launchedByType: mix.launchedByType,
    };
  });
}

/** The markdown table the bench prints (and the README keeps). */
export function mixTable(rows: readonly MixRow[]): string {
  const lines = [
    '| trace | set | cost_usd | node_hours | pending_pod_s | interruptions | ice_fallbacks | workers by type |',
    '|---|---|---|---|---|---|---|---|',
  ];
  let last = '';
  for (const r of rows) {
    const types = Object.entries(r.launchedByType)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    lines.push(
      `| ${r.trace === last ? '' : r.trace} | ${r.set} | ${r.costUsd.toFixed(2)} | ${r.nodeHours.toFixed(1)} | ${r.pendingPodSeconds} | ${r.interruptions} | ${r.iceFallbacks} | ${types} |`,
    );
    last = r.trace;
  }
  return lines.join('\n');
}

/**
 * The pools as modelled (defaultSpotPoolModel), then ten times drier: at
 * the default a one-day trace sees a crunch or none, so the second block
 * shows what a bad Spot week does to each set.
 */
export const BENCH_POOL_MODELS: readonly { label: string; model: SpotPoolModel }[] = [
  { label: `crunches x${defaultSpotPoolModel.stress}`, model: defaultSpotPoolModel },
  {
    label: `crunches x${defaultSpotPoolModel.stress * 10} (stress)`,
    model: { ...defaultSpotPoolModel, stress: defaultSpotPoolModel.stress * 10 },
  },
];

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = join(resolve(here, '../../../..'), 'out');
  const t0 = performance.now();
  const traces = traceFiles().map((file) => loadTrace(file));
  const m = defaultSpotPoolModel;
  console.log(
    `Instance types: one type (${ONE_TYPE.join(', ')}) vs diversified (${DIVERSIFIED.join(', ')}); smartscale, seed 1, zones ${BENCH_ZONES.join(', ')}`,
  );
  console.log(
    `Spot pools (type x zone): advisor bands ${Object.entries(m.bands)
      .map(([t, b]) => `${t} ${b}`)
      .join(', ')}; a pool stays dry ${m.drySeconds} s after a crunch`,
  );
  const report: { pools: string; rows: MixRow[] }[] = [];
  for (const { label, model } of BENCH_POOL_MODELS) {
    const rows = traces.flatMap((trace) => compareInstanceMix(trace, model));
    report.push({ pools: label, rows });
    console.log(`\nSpot pools: ${label}\n`);
    console.log(mixTable(rows));
    for (const trace of traces) {
      const [one, many] = rows.filter((r) => r.trace === trace.name) as [MixRow, MixRow];
      const pct = one.costUsd > 0 ? ((many.costUsd - one.costUsd) / one.costUsd) * 100 : 0;
      console.log(
        `${trace.name}: diversified ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} % cost ($${many.costUsd.toFixed(2)} vs $${one.costUsd.toFixed(2)}), pending ${many.pendingPodSeconds} vs ${one.pendingPodSeconds} pod-s, interruptions ${many.interruptions} vs ${one.interruptions}, ICE fallbacks ${many.iceFallbacks} vs ${one.iceFallbacks}`,
      );
    }
  }
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bench-types.json'), `${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
