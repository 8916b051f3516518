import type { DemandPoint } from '@smartscale/contracts';
import type { MetricsResult, PrometheusClient, RangeSeries } from './prometheus-client.ts';
import { PROMQL } from './promql.ts';

const DAY_MS = 86_400_000;

/**
 * Demand points from the two range series of pod requests: the value at
 * time T is the peak over the slot that ends at T, so it is stamped at the
 * slot's centre (T - slot/2), as the forecast compares slots by time of day.
 * CPU comes in cores and leaves in millicores; a slot without a memory
 * value counts 0 bytes.
 *
 * @example
 * toDemandPoints(cpuSeries, memorySeries, 600)
 */
export function toDemandPoints(
  cpu: readonly RangeSeries[],
  memory: readonly RangeSeries[],
  slotSeconds: number,
): DemandPoint[] {
  const half = (slotSeconds * 1000) / 2;
  const bytes = new Map<number, number>();
  for (const p of memory[0]?.points ?? []) bytes.set(p.timestamp.getTime(), p.value);
  return (cpu[0]?.points ?? [])
    .filter((p) => Number.isFinite(p.value))
    .map((p) => ({
      at: new Date(p.timestamp.getTime() - half).toISOString(),
      cpuMillis: Math.max(0, Math.round(p.value * 1000)),
      memoryBytes: Math.max(0, bytes.get(p.timestamp.getTime()) ?? 0),
    }));
}

/**
 * The cluster's demand over the last `days` days (at most 7, what the
 * forecast uses), one point per slot: the peak requested CPU and memory of
 * the pods that need worker room. Two range queries of `days * 86400 /
 * slotSeconds` points each.
 *
 * @example
 * const history = await readDemandHistory(prometheus, config.predictive.slotSeconds, new Date());
 * if (history.ok) snapshot.demandHistory = history.value;
 */
export async function readDemandHistory(
  prometheus: PrometheusClient,
  slotSeconds: number,
  now: Date,
  days = 7,
): Promise<MetricsResult<DemandPoint[]>> {
  if (!Number.isInteger(slotSeconds) || slotSeconds < 60)
    throw new RangeError(`demand history slot: expected whole seconds >= 60, got ${slotSeconds}`);
  const window = `${slotSeconds}s`;
  const step = `${Math.max(10, Math.round(slotSeconds / 10))}s`;
  const start = new Date(now.getTime() - Math.min(days, 7) * DAY_MS);
  const peaks = (resource: 'cpu' | 'memory') =>
    prometheus.queryRange(PROMQL.podRequestsPeak(resource, window, step), start, now, slotSeconds);
  const [cpu, memory] = await Promise.all([peaks('cpu'), peaks('memory')]);
  if (!cpu.ok) return cpu;
  if (!memory.ok) return memory;
  return { ok: true, value: toDemandPoints(cpu.value, memory.value, slotSeconds) };
}
