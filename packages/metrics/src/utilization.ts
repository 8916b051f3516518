import type { Utilization } from '@smartscale/contracts';
import type { PrometheusClient } from './prometheus-client.ts';
import { PROMQL, type QueryScope } from './promql.ts';

/** The sustain windows of the decision policy. */
export interface UtilizationWindows {
  /** Scale up when CPU stayed above the threshold this long (default policy: 3m). */
  scaleUp: string;
  /** Scale down when CPU and memory stayed below their thresholds this long (default policy: 10m). */
  scaleDown: string;
}

/**
 * Reads the cluster's CPU and memory utilisation, now and over the sustain
 * windows, as the decider expects it. Any missing number makes the whole
 * reading unavailable (with the reason) rather than half true.
 *
 * @example
 * const u = await readUtilization(prometheus, { scaleUp: '3m', scaleDown: '10m' });
 * if (u.available && u.cpu.upWindowMin > 0.7) { // scale up }
 */
export async function readUtilization(
  prometheus: PrometheusClient,
  windows: UtilizationWindows,
  scope: QueryScope = {},
): Promise<Utilization> {
  const queries = {
    cpuNow: PROMQL.cpuUtilisation(scope),
    cpuUpWindowMin: PROMQL.cpuMinOver(windows.scaleUp, scope),
    cpuDownWindowMax: PROMQL.cpuMaxOver(windows.scaleDown, scope),
    memoryNow: PROMQL.memoryUtilisation(scope),
    memoryDownWindowMax: PROMQL.memoryMaxOver(windows.scaleDown, scope),
  };
  const names = Object.keys(queries) as (keyof typeof queries)[];
  const results = await Promise.all(names.map((name) => prometheus.queryScalar(queries[name])));
  const values = {} as Record<keyof typeof queries, number>;
  for (const [i, name] of names.entries()) {
    const result = results[i];
    if (!result?.ok) return { available: false, reason: result?.detail ?? `query ${name} failed` };
    if (result.value === undefined) {
      return {
        available: false,
        reason: `no data yet for ${name} (${queries[name]}); are the node exporters scraped?`,
      };
    }
    values[name] = Math.min(Math.max(result.value, 0), 10);
  }
  return {
    available: true,
    cpu: {
      now: values.cpuNow,
      upWindowMin: values.cpuUpWindowMin,
      downWindowMax: values.cpuDownWindowMax,
    },
    memory: { now: values.memoryNow, downWindowMax: values.memoryDownWindowMax },
  };
}
