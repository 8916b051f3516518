import type { Resources } from '@smartscale/contracts';
import type { MetricsResult, PrometheusClient } from './prometheus-client.ts';
import { PROMQL } from './promql.ts';

/** The peak of pod requests over a window, as the snapshot carries it (requestsWindowMax). */
export type RequestsPeak = Resources & { readonly windowSeconds: number };

/**
 * The highest total requests of Pending and Running pods that need worker
 * room (DaemonSet pods out) over the last `windowSeconds`, from
 * kube-state-metrics: what requests-based consolidation must fit on one
 * node fewer. Two instant queries, evaluated every `step` of the window.
 * Unavailable when Prometheus fails or has no such series (no
 * kube-state-metrics): consolidation then holds instead of reading zero.
 *
 * @example
 * const peak = await readRequestsPeak(prometheus, config.scaleDown.sustainSeconds, new Date());
 * if (peak.ok) snapshot.requestsWindowMax = peak.value;
 */
export async function readRequestsPeak(
  prometheus: PrometheusClient,
  windowSeconds: number,
  now: Date,
  step = '30s',
): Promise<MetricsResult<RequestsPeak>> {
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1)
    throw new RangeError(
      `requests peak window: expected whole seconds >= 1 (scaleDown.sustainSeconds), got ${windowSeconds}`,
    );
  const peak = (resource: 'cpu' | 'memory') =>
    prometheus.queryScalar(PROMQL.podRequestsPeak(resource, `${windowSeconds}s`, step), now);
  const [cpu, memory] = await Promise.all([peak('cpu'), peak('memory')]);
  if (!cpu.ok) return cpu;
  if (!memory.ok) return memory;
  if (cpu.value === undefined || memory.value === undefined)
    return {
      ok: false,
      reason: 'metrics-unavailable',
      detail: `no pod requests in Prometheus over the last ${windowSeconds}s (is kube-state-metrics scraped?)`,
    };
  return {
    ok: true,
    value: {
      cpuMillis: Math.max(0, Math.round(cpu.value * 1000)),
      memoryBytes: Math.max(0, memory.value),
      windowSeconds,
    },
  };
}
