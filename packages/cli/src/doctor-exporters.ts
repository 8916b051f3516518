// `smartscale doctor`: node-exporter reports for every Ready worker. The
// sampler averages CPU and memory over the workers whose node-exporter
// series it finds; a worker without one is left out, and below
// metrics.minCoverage the decider holds (issue #17).

import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterClient } from '@smartscale/k8s';
import type { DoctorFinding } from './doctor.js';

/** One `up` series as Prometheus' instant query returns it. */
export interface UpSeries {
  readonly metric: Readonly<Record<string, string>>;
  /** `[time, "1"]` when the last scrape succeeded. */
  readonly value?: readonly [number, string];
}

/** What the workers and the `up` series of the node-exporter job say together. */
export type ExporterComparison =
  | { readonly kind: 'no-series' }
  | { readonly kind: 'no-node-label' }
  | { readonly kind: 'compared'; readonly missing: readonly string[] };

/**
 * The Ready workers (by Node name) with no `up` series of value 1 whose
 * `nodeLabel` names them. `no-series` when the job has no series at all,
 * `no-node-label` when none of its series carries the label: then nothing
 * can be said about single workers.
 */
export function compareWorkersWithExporters(
  workers: readonly string[],
  series: readonly UpSeries[],
  nodeLabel: string,
): ExporterComparison {
  if (series.length === 0) return { kind: 'no-series' };
  const labelled = series.filter((s) => s.metric[nodeLabel] !== undefined);
  if (labelled.length === 0) return { kind: 'no-node-label' };
  const reporting = new Set(
    labelled.filter((s) => s.value?.[1] === '1').map((s) => s.metric[nodeLabel]),
  );
  return { kind: 'compared', missing: workers.filter((w) => !reporting.has(w)) };
}

/** The findings of a comparison, for `job` and `nodeLabel`, of `workers` Ready workers. */
export function exporterFindings(
  comparison: ExporterComparison,
  workers: number,
  job: string,
  nodeLabel: string,
): DoctorFinding {
  const check = 'node-exporter on workers';
  switch (comparison.kind) {
    case 'no-series':
      return {
        check,
        status: 'warning',
        detail: `Prometheus has no up{job="${job}"} series, so which of the ${workers} Ready worker(s) report is unknown`,
        fix: 'kubectl apply -f k3s/manifests/monitoring.yaml, or pass --node-exporter-job with the job that scrapes node-exporter',
      };
    case 'no-node-label':
      return {
        check,
        status: 'warning',
        detail: `the up{job="${job}"} series carry no ${nodeLabel} label naming the Node, so single workers cannot be told apart (nor can the sampler)`,
        fix: `relabel __meta_kubernetes_node_name to ${nodeLabel} as k3s/manifests/monitoring.yaml does, or set SMARTSCALE_PROMQL_NODE_LABEL to the label that names the Node`,
      };
    case 'compared': {
      const { missing } = comparison;
      if (missing.length === 0)
        return {
          check,
          status: 'ok',
          detail: `up{job="${job}"} is 1 for all ${workers} Ready worker(s)`,
        };
      const shown = missing.slice(0, 10).join(', ');
      const more = missing.length > 10 ? ` and ${missing.length - 10} more` : '';
      return {
        check,
        status: 'problem',
        detail: `no reporting node-exporter on ${missing.length} of ${workers} Ready worker(s): ${shown}${more}; their CPU and memory are left out of the averages, and below metrics.minCoverage the decider holds`,
        fix: "kubectl -n smartscale-monitoring get pods -o wide -l app=node-exporter (one per worker); the workers' security group must admit 9100/tcp from the server",
      };
    }
  }
}

/**
 * Lists the Ready workers (control-plane nodes left out, as the sampler
 * does) with `kc` and compares them with `up{job="<job>"}`.
 */
export async function checkNodeExporters(
  kc: KubeConfig,
  prometheusUrl: string,
  job: string,
  nodeLabel: string,
): Promise<DoctorFinding[]> {
  const check = 'node-exporter on workers';
  let workers: string[];
  try {
    workers = (await new ClusterClient(kc).listWorkerNodes())
      .filter((n) => n.ready)
      .map((n) => n.name);
  } catch (error) {
    return [
      {
        check,
        status: 'warning',
        detail: `not checked: the workers could not be listed (${(error as Error).message})`,
        fix: 'see the kubernetes lines above',
      },
    ];
  }
  if (workers.length === 0) return [{ check, status: 'ok', detail: 'no Ready workers to check' }];
  let series: UpSeries[];
  try {
    const query = `up{job=${JSON.stringify(job)}}`;
    const res = await fetch(
      `${prometheusUrl.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`,
      { signal: AbortSignal.timeout(5000) },
    );
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    series = ((await res.json()) as { data?: { result?: UpSeries[] } }).data?.result ?? [];
  } catch (error) {
    return [
      {
        check,
        status: 'warning',
        detail: `not checked: Prometheus did not answer (${(error as Error).message})`,
        fix: 'see the prometheus line above',
      },
    ];
  }
  return [
    exporterFindings(
      compareWorkersWithExporters(workers, series, nodeLabel),
      workers.length,
      job,
      nodeLabel,
    ),
  ];
}
