import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CoreV1Api } from '@kubernetes/client-node';
import { KWOK_NODE_ANNOTATION } from '../cluster/start.ts';
import type { SampleMeasurement } from './scale-sample.ts';

const run = promisify(execFile);
const SAMPLE_SCRIPT = fileURLToPath(new URL('./scale-sample.ts', import.meta.url));

/** One size of the bench: workers and the pods bound to them. */
export interface ScaleSize {
  nodes: number;
  pods: number;
}

/** Label on everything the bench creates, so sizes can grow on top of each other. */
export const BENCH_LABEL = 'smartscale.bench/scale';

/**
 * Parses `100x3000,1000x30000` (nodes x pods) into sizes; names the bad
 * part and the expected form otherwise.
 */
export function parseSizes(text: string): ScaleSize[] {
  return text.split(',').map((part) => {
    const match = /^(\d+)x(\d+)$/.exec(part.trim());
    if (!match?.[1] || !match[2] || Number(match[1]) < 1)
      throw new Error(`size '${part}' is not <nodes>x<pods> with at least one node, e.g. 100x3000`);
    return { nodes: Number(match[1]), pods: Number(match[2]) };
  });
}

/** Creates the bench's namespace and waits for its default ServiceAccount (pods are refused without it). */
export async function benchNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await core
      .readNamespacedServiceAccount({ name: 'default', namespace: name })
      .then(() => true)
      .catch(() => false);
    if (found) return;
    if (Date.now() > deadline)
      throw new Error(`namespace ${name}: no default ServiceAccount after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** Pods per owner: a Deployment-sized group, so the compact encoding groups as in a real cluster. */
const PODS_PER_OWNER = 30;

/**
 * Grows the cluster to `size`: kwok worker Nodes `<prefix>-node-<i>` and pods
 * bound to them round-robin (spec.nodeName, so no scheduler work), each of
 * 100m / 128 MiB owned in groups of 30 by a ConfigMap (an owner no
 * controller manages). Objects already there from a smaller size are kept.
 * Returns the seconds spent creating nodes and pods.
 */
export async function growCluster(
  core: CoreV1Api,
  namespace: string,
  from: ScaleSize,
  to: ScaleSize,
  options: { prefix?: string; concurrency?: number } = {},
): Promise<{ nodeSeconds: number; podSeconds: number }> {
  if (to.nodes < from.nodes || to.pods < from.pods)
    throw new Error(
      `sizes must grow: ${to.nodes}x${to.pods} after ${from.nodes}x${from.pods}; order them by nodes and pods`,
    );
  const prefix = options.prefix ?? 'bench';
  const concurrency = options.concurrency ?? 24;
  const t0 = Date.now();
  await pool(range(from.nodes, to.nodes), concurrency, async (i) => {
    const name = `${prefix}-node-${i}`;
    const resources = { cpu: '32', memory: '128Gi', pods: '110' };
    await core.createNode({
      body: {
        metadata: {
          name,
          annotations: { [KWOK_NODE_ANNOTATION.key]: KWOK_NODE_ANNOTATION.value },
          labels: { 'kubernetes.io/hostname': name, type: 'kwok', [BENCH_LABEL]: 'true' },
        },
        status: { allocatable: resources, capacity: resources },
      },
    });
  });
  const t1 = Date.now();
  const owners = new Map<number, string>();
  for (const o of range(
    Math.floor(from.pods / PODS_PER_OWNER),
    Math.ceil(to.pods / PODS_PER_OWNER),
  )) {
    const existing = await core
      .readNamespacedConfigMap({ name: `${prefix}-app-${o}`, namespace })
      .catch(() => undefined);
    const owner =
      existing ??
      (await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: `${prefix}-app-${o}` } },
      }));
    owners.set(o, owner.metadata?.uid ?? '');
  }
  await pool(range(from.pods, to.pods), concurrency, async (p) => {
    const owner = Math.floor(p / PODS_PER_OWNER);
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: `${prefix}-app-${owner}-${p}`,
          labels: { app: `${prefix}-app-${owner}`, [BENCH_LABEL]: 'true' },
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: `${prefix}-app-${owner}`,
              uid: owners.get(owner) ?? '',
              controller: true,
            },
          ],
        },
        spec: {
          nodeName: `${prefix}-node-${p % to.nodes}`,
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: 'registry.k8s.io/pause:3.10',
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      },
    });
  });
  return { nodeSeconds: (t1 - t0) / 1000, podSeconds: (Date.now() - t1) / 1000 };
}

/**
 * One sampler pass in a child process (see scale-sample.ts), so its RSS and
 * heap are the sampler's alone.
 */
export async function measureSample(
  kubeconfig: string,
  pageSize: number,
): Promise<SampleMeasurement> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', SAMPLE_SCRIPT, kubeconfig, String(pageSize)],
    { env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 16 * 2 ** 20 },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as SampleMeasurement;
}

/** One row of the printed table. */
export interface ScaleRow extends SampleMeasurement {
  size: ScaleSize;
  createSeconds: number;
}

/** The table `npm run bench:scale` prints. */
export function formatScaleTable(rows: readonly ScaleRow[]): string {
  const header = [
    'size (nodes x pods)',
    'listed',
    'page',
    'sampler wall',
    'RSS before',
    'RSS peak',
    'heap peak',
    'compact',
    'full',
    'claim check',
    'created in',
  ];
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  const lines = rows.map((r) => [
    `${r.size.nodes} x ${r.size.pods}`,
    `${r.nodes} x ${r.pods}`,
    String(r.pageSize),
    `${(r.wallMs / 1000).toFixed(2)} s`,
    `${r.rssBeforeMiB} MiB`,
    `${r.rssPeakMiB} MiB`,
    `${r.heapUsedPeakMiB} MiB`,
    kb(r.compactBytes),
    kb(r.fullBytes),
    r.claimCheck ? 'yes (S3)' : 'no (inline)',
    `${r.createSeconds.toFixed(0)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
