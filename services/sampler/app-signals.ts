import type { Config } from '@smartscale/core';

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
