import type { Config } from '@smartscale/core';
import type { PrometheusClient } from '@smartscale/metrics';

/**
 * The PromQL that reduces an application trigger over its sustain window:
 * for "above", the lowest value in the window (above the threshold only if
 * it stayed above all along); for "below", the highest.
 *
 * @example
 * sustainedQuery({ query: 'sum(queue_depth)', direction: 'above', sustainSeconds: 120 })
 * // 'min_over_time((sum(queue_depth))[120s:15s])'
 */
export function sustainedQuery(
  trigger: Pick<Config['appTriggers'][number], 'query' | 'direction' | 'sustainSeconds'>,
): string {
  const fn = trigger.direction === 'above' ? 'min_over_time' : 'max_over_time';
  const step = Math.max(5, Math.min(60, Math.round(trigger.sustainSeconds / 8)));
  return `${fn}((${trigger.query})[${Math.max(trigger.sustainSeconds, step)}s:${step}s])`;
}

/** Why a trigger has no value: its query failed, or it returned no series (or NaN). */
export interface SilentTrigger {
  readonly trigger: string;
  readonly detail: string;
}

/**
 * The application triggers' values by name, each reduced over its sustain
 * window. A trigger whose query fails or returns no series is left out and
 * handed to `onSilent`; the decider then holds with metrics-incomplete
 * naming it and never scales down (issue #17). One failing trigger does not
 * stop the others, nor the sample.
 *
 * @example
 * await readAppSignals(prometheus, config.appTriggers, (s) => logger.warn('trigger silent', s));
 */
export async function readAppSignals(
  prometheus: Pick<PrometheusClient, 'queryScalar'>,
  triggers: Config['appTriggers'],
  onSilent: (silent: SilentTrigger) => void,
): Promise<Record<string, number>> {
  const signals: Record<string, number> = {};
  for (const trigger of triggers) {
    const result = await prometheus
      .queryScalar(sustainedQuery(trigger))
      .catch((err: unknown) => ({ ok: false as const, detail: (err as Error).message }));
    if (result.ok && result.value !== undefined) signals[trigger.name] = result.value;
    else
      onSilent({
        trigger: trigger.name,
        detail: result.ok ? 'no data (no series, or NaN)' : result.detail,
      });
  }
  return signals;
}
