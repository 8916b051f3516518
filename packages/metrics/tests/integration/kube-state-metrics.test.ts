import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPrometheus, startPrometheus } from '../../../local/src/prometheus/start.ts';
import {
  PrometheusClient,
  readDemandHistory,
  readRequestsPeak,
  rejectedQueries,
} from '../../src/index.ts';

// Real Prometheus scraping kube-state-metrics series every second: two web
// pods (Running and Pending) that need worker room, a DaemonSet pod and a
// finished Job pod that do not.
const MiB = 2 ** 20;
const pods = [
  { pod: 'web-1', phase: 'Running', owner: 'ReplicaSet', cpu: 0.5, memory: 512 * MiB },
  { pod: 'web-2', phase: 'Pending', owner: 'ReplicaSet', cpu: 0.25, memory: 256 * MiB },
  { pod: 'agent-x', phase: 'Running', owner: 'DaemonSet', cpu: 0.1, memory: 64 * MiB },
  { pod: 'job-1', phase: 'Succeeded', owner: 'Job', cpu: 2, memory: 1024 * MiB },
];
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

function render(): string {
  const lines = [
    '# TYPE kube_pod_container_resource_requests gauge',
    '# TYPE kube_pod_status_phase gauge',
    '# TYPE kube_pod_owner gauge',
  ];
  for (const p of pods) {
    const id = `namespace="shop",pod="${p.pod}"`;
    lines.push(
      `kube_pod_container_resource_requests{${id},container="main",resource="cpu",unit="core"} ${p.cpu}`,
      `kube_pod_container_resource_requests{${id},container="main",resource="memory",unit="byte"} ${p.memory}`,
      `kube_pod_owner{${id},owner_kind="${p.owner}",owner_name="${p.pod}-owner",owner_is_controller="true"} 1`,
      ...PHASES.map(
        (phase) => `kube_pod_status_phase{${id},phase="${phase}"} ${phase === p.phase ? 1 : 0}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

let server: Server;
let prometheus: LocalPrometheus;
let client: PrometheusClient;

beforeAll(async () => {
  server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(render());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  prometheus = await startPrometheus({
    jobs: [{ job: 'kube-state-metrics', targets: [`127.0.0.1:${port}`], honorLabels: true }],
    intervalSeconds: 1,
  });
  client = new PrometheusClient({ baseUrl: prometheus.url, timeoutMs: 5000 });
  // The peak subquery evaluates every 10 s on the clock: wait until at
  // least one of its evaluations falls after the first scrape.
  await eventually('12 s of scraped samples', async () => {
    const r = await client.queryScalar('count_over_time(kube_pod_owner{pod="web-1"}[20s])');
    return r.ok && (r.value ?? 0) >= 12;
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

describe('readDemandHistory against a real Prometheus', () => {
  it('gives the peak requests of Pending and Running non-DaemonSet pods per slot, stamped at the slot centre', async () => {
    const now = new Date();
    const history = await readDemandHistory(client, 60, now);
    expect(history.ok).toBe(true);
    if (!history.ok) return;
    // Only the last slot (or two) has data: the series are seconds old.
    expect(history.value.length).toBeGreaterThanOrEqual(1);
    expect(history.value.length).toBeLessThanOrEqual(2);
    const last = history.value.at(-1);
    expect(last).toEqual({
      at: new Date(now.getTime() - 30_000).toISOString(),
      cpuMillis: 750,
      memoryBytes: 768 * MiB,
    });
  });

  it('reports a Prometheus that refuses the range as unavailable, with the reason', async () => {
    // 7 days at a one-minute slot is 10,081 points: within the 11,000 limit; 1 s is not allowed.
    await expect(readDemandHistory(client, 1, new Date())).rejects.toThrow(
      /slot: expected whole seconds >= 60/,
    );
    const unreachable = new PrometheusClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    const r = await readDemandHistory(unreachable, 600, new Date());
    expect(r).toMatchObject({ ok: false, reason: 'metrics-unavailable' });
    expect(!r.ok && r.detail).toContain('unreachable');
  });
});

describe('readRequestsPeak against a real Prometheus', () => {
  it('gives the peak requests of Pending and Running non-DaemonSet pods over the window', async () => {
    const peak = await readRequestsPeak(client, 20, new Date(), '1s');
    expect(peak).toEqual({
      ok: true,
      value: { cpuMillis: 750, memoryBytes: 768 * MiB, windowSeconds: 20 },
    });
  });

  it('is unavailable, saying why, where Prometheus has no such series or cannot be reached', async () => {
    // An hour before the first scrape there are no kube-state-metrics series.
    const before = await readRequestsPeak(client, 20, new Date(Date.now() - 3_600_000), '1s');
    expect(before).toMatchObject({ ok: false, reason: 'metrics-unavailable' });
    expect(!before.ok && before.detail).toContain('is kube-state-metrics scraped?');
    const unreachable = new PrometheusClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    const r = await readRequestsPeak(unreachable, 600, new Date());
    expect(!r.ok && r.detail).toContain('unreachable');
    await expect(readRequestsPeak(client, 0.5, new Date())).rejects.toThrow(
      /requests peak window: expected whole seconds >= 1 \(scaleDown.sustainSeconds\), got 0.5/,
    );
  });
});

describe("the Grafana dashboard's PromQL against a real Prometheus", () => {
  const dashboard = JSON.parse(
    readFileSync(new URL('../../../../k3s/dashboards/smartscale.json', import.meta.url), 'utf8'),
  ) as { panels: { title: string; targets?: { datasource: { type: string }; expr?: string }[] }[] };
  const constants = { $on_demand_price: '0.0416', $spot_price: '0.0125', $baseline_nodes: '10' };
  const queries = dashboard.panels.flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => t.datasource.type === 'prometheus')
      .map((t) => ({
        title: p.title,
        expr: Object.entries(constants).reduce((e, [k, v]) => e.replaceAll(k, v), t.expr ?? ''),
      })),
  );

  it('every query parses and evaluates', async () => {
    expect(queries.length).toBeGreaterThan(5);
    for (const q of queries) {
      const r = await client.query(q.expr);
      expect(r.ok ? 'ok' : r.detail, `${q.title}: ${q.expr}`).toBe('ok');
    }
  });

  it('the pending pods and demand panels read the kube-state-metrics series', async () => {
    const value = async (title: string, index = 0) => {
      const q = queries.filter((x) => x.title === title)[index];
      const r = await client.queryScalar(q?.expr ?? '');
      return r.ok ? r.value : r.detail;
    };
    expect(await value('Pending pods')).toBe(1);
    expect(await value('Requested CPU: demand and allocatable')).toBe(0.75);
    // No workers are labelled here: the static baseline alone.
    expect(await value('Cost per hour against the static baseline', 1)).toBeCloseTo(0.416, 6);
  });
});

describe('rejectedQueries against a real Prometheus', () => {
  it('names the expressions Prometheus refuses, with its message, and passes valid ones', async () => {
    const rejected = await rejectedQueries(client, {
      'queue-depth': 'min_over_time((sum(kube_pod_owner))[120s:15s])',
      'p95-latency': 'histogram_quantile(0.95, sum(rate(http_seconds_bucket[5m])) by (le)',
      typo: 'sum(kube_pod_owner) bye (pod)',
    });
    expect(rejected.map((r) => r.name)).toEqual(['p95-latency', 'typo']);
    for (const r of rejected) expect(r.detail).toMatch(/bad_data.*parse error/);
  });

  it('refuses nothing when Prometheus cannot be reached (that is not a bad expression)', async () => {
    const unreachable = new PrometheusClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    expect(await rejectedQueries(unreachable, { x: 'sum(' })).toEqual([]);
  });
});
