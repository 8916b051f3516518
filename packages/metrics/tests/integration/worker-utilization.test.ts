import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoadExporter,
  type NodeLoad,
  startLoadExporter,
} from '../../../local/src/prometheus/load-exporter.ts';
import { type LocalPrometheus, startPrometheus } from '../../../local/src/prometheus/start.ts';
import { eventually } from '../../../local/tests/support/cluster-fixtures.ts';
import {
  PROMQL,
  PrometheusClient,
  readWorkerUtilization,
  type WorkerRef,
} from '../../src/index.ts';

// A real Prometheus scraping simulated node-exporter metrics every second:
// two workers at 90 % CPU and an idle K3s server that node-exporter also
// runs on. The local exporter names each node in `instance`.
const GiB = 2 ** 30;
const busy: NodeLoad = { cpu: 0.9, memory: 0.6, cpus: 2, memoryBytes: 4 * GiB };
const idle: NodeLoad = { cpu: 0, memory: 0.1, cpus: 2, memoryBytes: 4 * GiB };
const loads = new Map<string, NodeLoad>([
  ['server', idle],
  ['w1', busy],
  ['w2', busy],
]);
const scope = { rateWindow: '5s', step: '1s', nodeLabel: 'instance' };
const policy = { minCoverage: 0.9, warmupSeconds: 120 };
const longAgo = new Date(Date.now() - 86_400_000).toISOString();
const workers: WorkerRef[] = [
  { name: 'w1', ready: true, createdAt: longAgo },
  { name: 'w2', ready: true, createdAt: longAgo },
];
let exporter: LoadExporter;
let prometheus: LocalPrometheus;
let client: PrometheusClient;

async function startScraping(): Promise<void> {
  prometheus = await startPrometheus({
    jobs: [{ job: 'node-exporter', targets: [exporter.target], honorLabels: true }],
    intervalSeconds: 1,
  });
  client = new PrometheusClient({ baseUrl: prometheus.url, timeoutMs: 3000 });
  // Enough scraped seconds for the 5 s rate window and the 3 s windows below.
  await eventually('10 s of scraped samples', async () => {
    const r = await client.queryScalar('min(count_over_time(node_memory_MemTotal_bytes[10s]))');
    return r.ok && (r.value ?? 0) >= 10;
  });
}

beforeAll(async () => {
  exporter = await startLoadExporter(() => loads);
  await startScraping();
});

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

describe('worker utilization on a real Prometheus', () => {
  it('averages over the workers only: an idle server does not dilute 2 workers at 90 %', async () => {
    // Over every node-exporter target the old average reads 60 %, under the 70 % trigger.
    const allNodes = await client.queryScalar(PROMQL.cpuUtilisation(scope));
    expect(allNodes.ok && allNodes.value).toBeCloseTo(0.6, 1);
    const u = await readWorkerUtilization(
      client,
      workers,
      { scaleUp: 3, scaleDown: 3 },
      policy,
      scope,
    );
    expect(u).toMatchObject({ available: true });
    if (!u.available) return;
    expect(u.cpu.now).toBeCloseTo(0.9, 1);
    expect(u.cpu.upWindowMin).toBeGreaterThan(0.7);
    expect(u.memory.now).toBeCloseTo(0.6, 2);
    expect(u).not.toHaveProperty('downWindowIncomplete');
  });

  it('leaves a worker still warming up out of the coverage', async () => {
    const u = await readWorkerUtilization(
      client,
      [...workers, { name: 'w3', ready: true, createdAt: new Date().toISOString() }],
      { scaleUp: 3, scaleDown: 3 },
      policy,
      scope,
    );
    expect(u).toMatchObject({ available: true });
  });

  it('reads metrics-incomplete, naming the worker, when its exporter stops reporting', async () => {
    loads.delete('w2');
    try {
      const u = await eventually('w2 missing from the reading', async () => {
        const r = await readWorkerUtilization(
          client,
          workers,
          { scaleUp: 3, scaleDown: 3 },
          policy,
          scope,
        );
        return r.available ? undefined : r;
      });
      expect(u.unavailable).toEqual({
        code: 'metrics-incomplete',
        reporting: 1,
        expected: 2,
        missing: ['w2'],
      });
    } finally {
      loads.set('w2', busy);
    }
  });

  it('after a gap in the scrapes, the scale-down window is incomplete, not low', async () => {
    // Every node stops reporting for a few seconds (a saturated exporter,
    // or a Prometheus that was down), then reports again at low load.
    const saved = new Map(loads);
    loads.clear();
    await sleep(4000);
    for (const [name, load] of saved) loads.set(name, { ...load, cpu: 0.05 });
    try {
      const u = await eventually('the workers reporting again', async () => {
        const r = await readWorkerUtilization(
          client,
          workers,
          { scaleUp: 3, scaleDown: 30 },
          policy,
          scope,
        );
        return r.available ? r : undefined;
      });
      expect(u.downWindowIncomplete).toMatchObject({
        code: 'metrics-incomplete',
        expected: 2,
      });
      const { stepsCovered, steps } = u.downWindowIncomplete ?? {};
      expect(stepsCovered).toBeLessThan(steps ?? 0);
    } finally {
      for (const [name, load] of saved) loads.set(name, load);
    }
  });

  it('a new idle worker reads busy until its counters span the rate window; the warm-up keeps it out', async () => {
    // Why an idle cluster was seen deciding cpu-high right after workers
    // joined: rate() over an idle counter younger than its window
    // under-reads it (no extrapolation before a series' first sample), so
    // an idle new node reads busy. The exporter is right; the average must
    // wait for the node (metrics.warmupSeconds above the rate window).
    const added = Date.now();
    loads.set('fresh', idle);
    try {
      await sleep(9000);
      const early = new Date(added + 3000);
      const young = await client.query(PROMQL.cpuByNode(scope), early);
      expect(young.ok).toBe(true);
      const youngFresh = young.ok
        ? young.value.find((s) => s.metric.instance === 'fresh')
        : undefined;
      // No rate yet (a late first scrape) or a busy one: never the 0 % it runs at.
      expect(youngFresh === undefined || youngFresh.value > 0.2).toBe(true);
      const grown = await client.query(PROMQL.cpuByNode(scope), new Date(added + 8500));
      const grownFresh = grown.ok
        ? grown.value.find((s) => s.metric.instance === 'fresh')
        : undefined;
      expect(grownFresh?.value).toBeLessThan(0.05);
      const u = await readWorkerUtilization(
        client,
        [...workers, { name: 'fresh', ready: true, createdAt: new Date(added).toISOString() }],
        { scaleUp: 2, scaleDown: 2 },
        { minCoverage: 0.9, warmupSeconds: 10 },
        scope,
        early,
      );
      // The average is the two settled workers' alone, as Prometheus read them then.
      const settled = young.ok
        ? young.value.filter((s) => s.metric.instance === 'w1' || s.metric.instance === 'w2')
        : [];
      expect(settled).toHaveLength(2);
      const mean = settled.reduce((sum, s) => sum + s.value, 0) / 2;
      expect(u).toMatchObject({ available: true });
      if (u.available) expect(u.cpu.now).toBeCloseTo(mean, 6);
    } finally {
      loads.delete('fresh');
    }
  });

  it('after a Prometheus restart (fresh TSDB), the scale-down window is incomplete until it is refilled', async () => {
    await prometheus.stop();
    await startScraping();
    const u = await readWorkerUtilization(
      client,
      workers,
      { scaleUp: 3, scaleDown: 60 },
      policy,
      scope,
    );
    expect(u).toMatchObject({
      available: true,
      downWindowIncomplete: { code: 'metrics-incomplete', reporting: 0, expected: 2, steps: 61 },
    });
  });
});
