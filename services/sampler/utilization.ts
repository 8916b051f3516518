import type { Utilization } from '@smartscale/contracts';
import type { Config } from '@smartscale/core';
import {
  type PrometheusClient,
  type QueryScope,
  readWorkerUtilization,
  type WorkerRef,
} from '@smartscale/metrics';

/**
 * PromQL windows from the environment. The rate window must span several
 * scrapes; the local environment scrapes every second and so sets shorter
 * windows than production (SMARTSCALE_PROMQL_RATE_WINDOW, SMARTSCALE_PROMQL_STEP).
 * SMARTSCALE_PROMQL_NODE_LABEL names the label carrying the Node's name
 * (default `node`; the local load exporter puts it in `instance`).
 */
export function queryScopeFromEnv(env: NodeJS.ProcessEnv): QueryScope {
  return {
    ...(env.SMARTSCALE_PROMQL_RATE_WINDOW ? { rateWindow: env.SMARTSCALE_PROMQL_RATE_WINDOW } : {}),
    ...(env.SMARTSCALE_PROMQL_STEP ? { step: env.SMARTSCALE_PROMQL_STEP } : {}),
    ...(env.SMARTSCALE_PROMQL_NODE_LABEL ? { nodeLabel: env.SMARTSCALE_PROMQL_NODE_LABEL } : {}),
  };
}

/**
 * The workers' CPU and memory over the policy's own windows (the scale-up
 * sustain window and the scale-down one), averaged over `workers` (the
 * Nodes the sampler listed: control-plane nodes are not among them) with
 * the coverage and warm-up of `config.metrics`.
 *
 * @example
 * const utilization = await readPolicyUtilization(prometheus, config, queryScopeFromEnv(process.env), nodes);
 */
export function readPolicyUtilization(
  prometheus: PrometheusClient,
  config: Config,
  scope: QueryScope,
  workers: readonly WorkerRef[],
  now: Date = new Date(),
): Promise<Utilization> {
  return readWorkerUtilization(
    prometheus,
    workers,
    { scaleUp: config.scaleUp.cpuSustainSeconds, scaleDown: config.scaleDown.sustainSeconds },
    { minCoverage: config.metrics.minCoverage, warmupSeconds: config.metrics.warmupSeconds },
    scope,
    now,
  );
}
