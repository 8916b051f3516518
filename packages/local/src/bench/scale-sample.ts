// One sampler pass, measured in a process of its own so its memory is the
// sampler's and not the bench's (which created the objects): lists the
// workers with their pods and the pending pods through the sampler's own
// takeSnapshot and ClusterClient, encodes the MetricsSampled message, and
// prints one JSON line. Usage: scale-sample.ts <kubeconfig> <page size>
import { performance } from 'node:perf_hooks';
import { SAMPLE_INLINE_LIMIT_BYTES } from '@smartscale/aws';
import { createMessage, encodeSnapshot } from '@smartscale/contracts';
import { ClusterClient } from '@smartscale/k8s';
import { takeSnapshot } from '../../../../services/sampler/take-snapshot.ts';

/** What one measured pass prints. */
export interface SampleMeasurement {
  nodes: number;
  pods: number;
  pendingPods: number;
  pageSize: number;
  wallMs: number;
  /** RSS right before listing: Node, tsx and the loaded modules. */
  rssBeforeMiB: number;
  /** Highest RSS of the process (getrusage maxrss). */
  rssPeakMiB: number;
  /** Highest V8 heap used seen while listing (sampled every 10 ms and at the end). */
  heapUsedPeakMiB: number;
  compactBytes: number;
  fullBytes: number;
  /** Over SAMPLE_INLINE_LIMIT_BYTES in compact form: the sample goes by S3 claim check. */
  claimCheck: boolean;
}

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const [kubeconfig, pageText] = process.argv.slice(2);
  const pageSize = Number(pageText ?? '500');
  if (!kubeconfig || !Number.isInteger(pageSize) || pageSize < 1)
    throw new Error(
      `usage: scale-sample.ts <kubeconfig> <page size>; got '${kubeconfig}' '${pageText}'`,
    );
  const cluster = ClusterClient.fromKubeconfigFile(kubeconfig, { listPageSize: pageSize });
  const rssBefore = process.memoryUsage().rss;
  let heapPeak = process.memoryUsage().heapUsed;
  const watch = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 10);
  const started = performance.now();
  const snapshot = await takeSnapshot({
    clusterId: 'bench',
    now: () => new Date(),
    listNodes: () => cluster.listWorkerNodes(),
    listPendingPods: () => cluster.listPendingPods(),
    // Prometheus is not part of this measurement: two range queries, the same at any pod count.
    readUtilization: async () => ({ available: false, reason: 'bench: Prometheus not read' }),
    publish: async () => {},
  });
  const message = createMessage('MetricsSampled', snapshot, { clusterId: 'bench' }, new Date());
  const compactBytes = Buffer.byteLength(
    JSON.stringify({ ...message, payload: encodeSnapshot(snapshot) }),
  );
  const wallMs = performance.now() - started;
  clearInterval(watch);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const result: SampleMeasurement = {
    nodes: snapshot.nodes.length,
    pods: snapshot.nodes.reduce((n, node) => n + node.pods.length, 0),
    pendingPods: snapshot.pendingPods.length,
    pageSize,
    wallMs: Math.round(wallMs),
    rssBeforeMiB: Math.round(rssBefore / MiB),
    rssPeakMiB: Math.round((process.resourceUsage().maxRSS * 1024) / MiB),
    heapUsedPeakMiB: Math.round(heapPeak / MiB),
    compactBytes,
    fullBytes: Buffer.byteLength(JSON.stringify(message)),
    claimCheck: compactBytes > SAMPLE_INLINE_LIMIT_BYTES,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`scale-sample: ${err.message}\n`);
    process.exit(1);
  },
);
