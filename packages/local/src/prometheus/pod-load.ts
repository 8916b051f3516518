import type { NodeInfo, PodInfo } from '@smartscale/contracts';
import type { ClusterClient } from '@smartscale/k8s';
import { log } from '../cluster/progress.ts';
import { type LoadExporter, type NodeLoad, startLoadExporter } from './load-exporter.ts';

/** How much of its requests a pod uses right now (1 = exactly its requests). */
export interface PodUsage {
  cpu: number;
  memory: number;
}

/** The workload trace: a pod's usage at a moment, e.g. a flash sale's curve. */
export type UsageTrace = (pod: PodInfo, now: Date) => PodUsage;

/**
 * Each node's load from the pods bound to it: busy CPU is the sum of the
 * pods' CPU requests times their usage over the node's allocatable CPU, and
 * likewise for memory, capped at 100%.
 *
 * @example
 * nodeLoads(nodes, () => ({ cpu: 1.5, memory: 1 }), new Date());
 */
export function nodeLoads(
  nodes: readonly NodeInfo[],
  trace: UsageTrace,
  now: Date,
): Map<string, NodeLoad> {
  const loads = new Map<string, NodeLoad>();
  for (const node of nodes) {
    let cpuMillis = 0;
    let memoryBytes = 0;
    for (const pod of node.pods) {
      const usage = trace(pod, now);
      cpuMillis += pod.cpuMillis * Math.max(0, usage.cpu);
      memoryBytes += pod.memoryBytes * Math.max(0, usage.memory);
    }
    const { cpuMillis: cpuCapacity, memoryBytes: memoryCapacity } = node.allocatable;
    loads.set(node.name, {
      cpu: cpuCapacity > 0 ? Math.min(1, cpuMillis / cpuCapacity) : 0,
      memory: memoryCapacity > 0 ? Math.min(1, memoryBytes / memoryCapacity) : 0,
      cpus: Math.max(1, Math.ceil(cpuCapacity / 1000)),
      memoryBytes: memoryCapacity,
    });
  }
  return loads;
}

/** A load exporter fed by the cluster's pods. */
export interface ClusterLoadExporter extends LoadExporter {
  /** The loads served now (refreshed every `refreshMs`). */
  currentLoads(): ReadonlyMap<string, NodeLoad>;
  /** Reads the cluster again at once. */
  refresh(): Promise<void>;
}

/**
 * Serves node-exporter metrics for every node of the cluster, computed from
 * the pods on it and `trace`. The cluster is re-read every `refreshMs`; a
 * failed read keeps the last loads and is logged.
 *
 * @example
 * const exporter = await startClusterLoadExporter({ cluster, trace: () => ({ cpu: 0.8, memory: 1 }) });
 * await startPrometheus({ jobs: [{ job: 'node-exporter', targets: [exporter.target], honorLabels: true }] });
 */
export async function startClusterLoadExporter(options: {
  cluster: ClusterClient;
  trace: UsageTrace;
  refreshMs?: number;
  now?: () => Date;
}): Promise<ClusterLoadExporter> {
  const now = options.now ?? (() => new Date());
  let loads: ReadonlyMap<string, NodeLoad> = new Map();
  const refresh = async () => {
    loads = nodeLoads(await options.cluster.listNodes(), options.trace, now());
  };
  await refresh();
  // close() waits for a read in flight: the stack stops the control plane
  // right after, and a read still running then fails on its removed files.
  let closed = false;
  let reading: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    reading = refresh().catch((error: Error) => {
      if (!closed) log(`load exporter: reading the cluster failed: ${error.message}`);
    });
  }, options.refreshMs ?? 2000);
  timer.unref();
  const exporter = await startLoadExporter(() => loads);
  return {
    target: exporter.target,
    currentLoads: () => loads,
    refresh,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await reading;
      await exporter.close();
    },
  };
}
