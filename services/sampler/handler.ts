// Lambda entry of the sampler: runs on the schedule, publishes MetricsSampled.
import { configFromEnv, createServiceContext } from '@smartscale/aws';
import { CloudCallError, InvalidConfigError } from '@smartscale/contracts';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import {
  PrometheusClient,
  readDemandHistory,
  readRequestsPeak,
  rejectedQueries,
} from '@smartscale/metrics';
import { readAppSignals, sustainedQuery } from './app-signals.js';
import { publishSample, type SamplerPorts } from './take-snapshot.js';
import { queryScopeFromEnv, readPolicyUtilization } from './utilization.js';

const ctx = createServiceContext('sampler');
const config = configFromEnv();
const prometheusUrl = process.env.SMARTSCALE_PROMETHEUS_URL;
if (!prometheusUrl)
  throw new InvalidConfigError(
    'SMARTSCALE_PROMETHEUS_URL',
    'SMARTSCALE_PROMETHEUS_URL is not set: expected the Prometheus base URL, e.g. http://10.0.1.10:30090',
  );
const prometheus = new PrometheusClient({ baseUrl: prometheusUrl, timeoutMs: 5000 });
const scope = queryScopeFromEnv(process.env);
// A trigger whose expression Prometheus refuses is a configuration error:
// reported now, at start-up, not at the first moment it should have fired.
const refused = await rejectedQueries(
  prometheus,
  Object.fromEntries(config.appTriggers.map((t) => [t.name, sustainedQuery(t)])),
);
if (refused.length > 0)
  throw new InvalidConfigError(
    'appTriggers',
    `appTriggers: Prometheus refuses ${refused.map((r) => `'${r.name}' (${r.detail})`).join(', ')}`,
  );
// Pods and nodes are listed by pages of this many objects (default 500), so
// memory follows the fields kept, not the API's full objects, at 30,000 pods.
const pageSize = process.env.SMARTSCALE_KUBE_LIST_PAGE_SIZE;
if (pageSize !== undefined && !/^[1-9]\d*$/.test(pageSize))
  throw new InvalidConfigError(
    'SMARTSCALE_KUBE_LIST_PAGE_SIZE',
    `SMARTSCALE_KUBE_LIST_PAGE_SIZE is '${pageSize}': expected a whole number of objects above 0, e.g. 500`,
  );
const cluster = new ClusterClient(await kubeConfigFromEnv(process.env, ctx.readSecret), {
  ...(pageSize ? { listPageSize: Number(pageSize) } : {}),
});

/** Pod requests per slot over the last 7 days, for the forecast; left out when Prometheus fails. */
async function readDemand() {
  const history = await readDemandHistory(prometheus, config.predictive.slotSeconds, new Date());
  if (history.ok) return history.value;
  ctx.logger.warn('demand history unavailable', { detail: history.detail });
  throw new CloudCallError(history.detail);
}

/**
 * The pods' peak requests over the scale-down window, for requests-based
 * consolidation; left out when Prometheus fails (consolidation then holds).
 */
async function readPeak() {
  const peak = await readRequestsPeak(
    prometheus,
    Math.max(1, Math.ceil(config.scaleDown.sustainSeconds)),
    new Date(),
    scope.step,
  );
  if (peak.ok) return peak.value;
  ctx.logger.warn('requests peak unavailable', { detail: peak.detail });
  throw new CloudCallError(peak.detail);
}

/** The sampler's ports on the real cluster, Prometheus and SNS. */
export const samplerPorts: SamplerPorts = {
  clusterId: ctx.resources.clusterId,
  now: () => new Date(),
  listNodes: () => cluster.listWorkerNodes(),
  listPendingPods: () => cluster.listPendingPods(),
  readUtilization: (workers) => readPolicyUtilization(prometheus, config, scope, workers),
  // A trigger without a value is left out and logged; the decider holds on it.
  readAppSignals: () =>
    readAppSignals(prometheus, config.appTriggers, (silent) =>
      ctx.logger.warn('application trigger unavailable', { ...silent }),
    ),
  ...(config.predictive.enabled ? { readDemandHistory: readDemand } : {}),
  ...(config.scaleDown.profile === 'consolidation' ? { readRequestsPeak: readPeak } : {}),
  // The claim check for samples too big for SNS is the sampler's alone.
  publish: async (message) => {
    await ctx.publisher.publishSample(message);
  },
};

export const handler = async (): Promise<{ actionId: string }> => {
  const message = await publishSample(samplerPorts);
  ctx.logger.info('sample published', { actionId: message.actionId });
  return { actionId: message.actionId };
};
