import { PrometheusSettingError } from './errors.ts';

/**
 * The PromQL SmartScale reads, in one place. Utilisation is a ratio (0..1).
 * CPU and memory come from node-exporter metric names; pending pods from
 * kube-state-metrics. `nodeSelector` narrows to the workers, e.g.
 * `job="node-exporter",role="worker"` (no braces).
 */
export interface QueryScope {
  nodeSelector?: string;
  /** The rate() window for CPU counters; at least 4 scrape intervals. Default `2m`. */
  rateWindow?: string;
  /** Subquery resolution for the sustained windows. Default `30s`. */
  step?: string;
  /**
   * The label naming the Kubernetes Node on node-exporter series. Default
   * `node` (k3s/manifests/monitoring.yaml relabels `__meta_kubernetes_node_name` to it).
   */
  nodeLabel?: string;
}

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkLabel(value: string): string {
  if (!LABEL.test(value))
    throw new PrometheusSettingError(
      'nodeLabel',
      `nodeLabel '${value}' is not a Prometheus label name like node`,
    );
  return value;
}

const WINDOW = /^\d+(ms|s|m|h|d)$/;

function checkWindow(name: string, value: string): string {
  if (!WINDOW.test(value))
    throw new PrometheusSettingError(
      name,
      `${name} '${value}' is not a Prometheus duration like 30s, 3m or 1h`,
    );
  return value;
}

function matchers(scope: QueryScope, ...extra: string[]): string {
  const parts = [...extra, ...(scope.nodeSelector ? [scope.nodeSelector] : [])];
  return `{${parts.join(',')}}`;
}

/**
 * @example
 * PROMQL.cpuUtilisation();
 * // avg(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])))
 * PROMQL.cpuMinOver('3m'); // lowest cluster CPU over the last 3 minutes
 */
export const PROMQL = {
  /** Average over nodes of each node's busy CPU fraction (1 - idle rate, averaged over its CPUs). */
  cpuUtilisation(scope: QueryScope = {}): string {
    const rate = checkWindow('rateWindow', scope.rateWindow ?? '2m');
    return `avg(1 - avg by (instance) (rate(node_cpu_seconds_total${matchers(scope, 'mode="idle"')}[${rate}])))`;
  },
  /** Average over nodes of the used memory fraction (1 - MemAvailable / MemTotal). */
  memoryUtilisation(scope: QueryScope = {}): string {
    const m = matchers(scope);
    return `avg(1 - node_memory_MemAvailable_bytes${m} / node_memory_MemTotal_bytes${m})`;
  },
  /** Each node's busy CPU fraction, one series per node (labelled by `scope.nodeLabel`). */
  cpuByNode(scope: QueryScope = {}): string {
    const rate = checkWindow('rateWindow', scope.rateWindow ?? '2m');
    const node = checkLabel(scope.nodeLabel ?? 'node');
    return `1 - avg by (${node}) (rate(node_cpu_seconds_total${matchers(scope, 'mode="idle"')}[${rate}]))`;
  },
  /** Each node's used memory fraction, one series per node. */
  memoryByNode(scope: QueryScope = {}): string {
    const m = matchers(scope);
    const node = checkLabel(scope.nodeLabel ?? 'node');
    return `1 - max by (${node}) (node_memory_MemAvailable_bytes${m}) / max by (${node}) (node_memory_MemTotal_bytes${m})`;
  },
  /** Lowest CPU utilisation over `window`: above a threshold means "sustained above". */
  cpuMinOver(window: string, scope: QueryScope = {}): string {
    return `min_over_time((${PROMQL.cpuUtilisation(scope)})[${checkWindow('window', window)}:${checkWindow('step', scope.step ?? '30s')}])`;
  },
  /** Highest CPU utilisation over `window`: below a threshold means "sustained below". */
  cpuMaxOver(window: string, scope: QueryScope = {}): string {
    return `max_over_time((${PROMQL.cpuUtilisation(scope)})[${checkWindow('window', window)}:${checkWindow('step', scope.step ?? '30s')}])`;
  },
  /** Mean CPU utilisation over `window`. */
  cpuAvgOver(window: string, scope: QueryScope = {}): string {
    return `avg_over_time((${PROMQL.cpuUtilisation(scope)})[${checkWindow('window', window)}:${checkWindow('step', scope.step ?? '30s')}])`;
  },
  /** Highest memory utilisation over `window`. */
  memoryMaxOver(window: string, scope: QueryScope = {}): string {
    return `max_over_time((${PROMQL.memoryUtilisation(scope)})[${checkWindow('window', window)}:${checkWindow('step', scope.step ?? '30s')}])`;
  },
  /**
   * Requests of the pods that need room on workers: Pending or Running,
   * not DaemonSet pods (their room is the per-node overhead), in cores for
   * `cpu` and bytes for `memory` (kube-state-metrics).
   */
  podRequests(resource: 'cpu' | 'memory'): string {
    return `sum((kube_pod_container_resource_requests{resource="${resource}"} * on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running"} == 1)) unless on (namespace, pod) kube_pod_owner{owner_kind="DaemonSet"})`;
  },
  /** The peak of {@link PROMQL.podRequests} over the `window` before each evaluation. */
  podRequestsPeak(resource: 'cpu' | 'memory', window: string, step = '1m'): string {
    return `max_over_time((${PROMQL.podRequests(resource)})[${checkWindow('window', window)}:${checkWindow('step', step)}])`;
  },
  /** Pods the scheduler marked unschedulable (kube-state-metrics). */
  unschedulablePods(): string {
    return 'sum(kube_pod_status_unschedulable)';
  },
  /** Pods in phase Pending (kube-state-metrics). */
  pendingPods(): string {
    return 'sum(kube_pod_status_phase{phase="Pending"})';
  },
} as const;
