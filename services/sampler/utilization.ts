import type { Utilization } from '@smartscale/contracts';
import type { Config } from '@smartscale/core';
import { type PrometheusClient, type QueryScope, readUtilization } from '@smartscale/metrics';

/**
 * PromQL windows from the environment. The rate window must span several
 * scrapes; the local environment scrapes every second and so sets shorter
 * windows than production (SMARTSCALE_PROMQL_RATE_WINDOW, SMARTSCALE_PROMQL_STEP).
 */
export function queryScopeFromEnv(env: NodeJS.ProcessEnv): QueryScope {
  return {
    ...(env.SMARTSCALE_PROMQL_RATE_WINDOW ? { rateWindow: env.SMARTSCALE_PROMQL_RATE_WINDOW } : {}),
    ...(env.SMARTSCALE_PROMQL_STEP ? { step: env.SMARTSCALE_PROMQL_STEP } : {}),
  };
}

/**
 * CPU and memory over the policy's own windows: the scale-up sustain window
 * and the scale-down one.
 *
 * @example
 * const utilization = await readPolicyUtilization(prometheus, config, queryScopeFromEnv(process.env));
 */
export function readPolicyUtilization(
  prometheus: PrometheusClient,
  config: Config,
  scope: QueryScope,
): Promise<Utilization> {
  return readUtilization(
    prometheus,
    {
      scaleUp: `${config.scaleUp.cpuSustainSeconds}s`,
      scaleDown: `${config.scaleDown.sustainSeconds}s`,
    },
    scope,
  );
}
