import { eventually } from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoadExporter,
  startLoadExporter,
} from '../../../local/src/prometheus/load-exporter.ts';
import { type LocalPrometheus, startPrometheus } from '../../../local/src/prometheus/start.ts';
import { PROMQL, PrometheusClient, readUtilization } from '../../src/index.ts';

// Real Prometheus (Debian package) scraping simulated node-exporter metrics
// every second: worker-a is 80% busy with 25% memory used, worker-b 40% / 75%.
const GiB = 2 ** 30;
const loads = new Map([
  ['worker-a', { cpu: 0.8, memory: 0.25, cpus: 2, memoryBytes: 8 * GiB }],
  ['worker-b', { cpu: 0.4, memory: 0.75, cpus: 4, memoryBytes: 16 * GiB }],
]);
let exporter: LoadExporter;
let prometheus: LocalPrometheus;
let client: PrometheusClient;
const scope = { rateWindow: '5s', step: '1s' };

beforeAll(async () => {
  exporter = await startLoadExporter(() => loads);
  prometheus = await startPrometheus({
    jobs: [{ job: 'node-exporter', targets: [exporter.target], honorLabels: true }],
    intervalSeconds: 1,
  });
  client = new PrometheusClient({ baseUrl: prometheus.url, timeoutMs: 3000 });
  // rate() over a series younger than its window under-reads the idle
  // counters (Prometheus does not extrapolate before a series' first
  // sample). Wait until the rate window plus the sustain windows tested
  // below (3 s) all fall on full-window samples.
  await eventually('12 s of scraped samples', async () => {
    const r = await client.queryScalar('min(count_over_time(node_memory_MemTotal_bytes[12s]))');
    return r.ok && (r.value ?? 0) >= 12;
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

describe('PrometheusClient against a real Prometheus', () => {
  it('returns labelled samples of an instant vector', async () => {
    const result = await client.query('node_memory_MemTotal_bytes');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const byInstance = Object.fromEntries(result.value.map((s) => [s.metric.instance, s.value]));
    expect(byInstance).toEqual({ 'worker-a': 8 * GiB, 'worker-b': 16 * GiB });
  });

  it('computes the node-average CPU and memory utilisation from the catalogue', async () => {
    const cpu = await client.queryScalar(PROMQL.cpuUtilisation(scope));
    const memory = await client.queryScalar(PROMQL.memoryUtilisation(scope));
    expect(cpu.ok && cpu.value).toBeCloseTo(0.6, 1);
    expect(memory).toEqual({ ok: true, value: 0.5 });
  });

  it('reads the utilisation the decider needs, now and over the sustain windows', async () => {
    const u = await readUtilization(client, { scaleUp: '2s', scaleDown: '3s' }, scope);
    expect(u.available).toBe(true);
    if (!u.available) return;
    expect(u.cpu.now).toBeCloseTo(0.6, 1);
    expect(u.cpu.upWindowMin).toBeCloseTo(0.6, 1);
    expect(u.cpu.downWindowMax).toBeCloseTo(0.6, 1);
    expect(u.memory).toEqual({ now: 0.5, downWindowMax: 0.5 });
  });

  it('keeps a load drop out of the scale-down window until it has lasted the whole window', async () => {
    loads.set('worker-a', { cpu: 0, memory: 0.25, cpus: 2, memoryBytes: 8 * GiB });
    // Node average falls from (0.8 + 0.4) / 2 to (0 + 0.4) / 2.
    // The short scale-up window follows the drop within seconds...
    const after = await eventually('CPU and its 2 s minimum to settle near 0.2', async () => {
      const u = await readUtilization(client, { scaleUp: '2s', scaleDown: '30s' }, scope);
      const near = (x: number) => Math.abs(x - 0.2) < 0.05;
      return u.available && near(u.cpu.now) && near(u.cpu.upWindowMin) ? u : undefined;
    });
    // ...while the last 30 s still hold the 0.6 period: not yet "sustained below".
    expect(after.cpu.downWindowMax).toBeGreaterThan(0.55);
  });

  it('reports no data when a metric has no series (kube-state-metrics absent)', async () => {
    expect(await client.queryScalar(PROMQL.unschedulablePods())).toEqual({
      ok: true,
      value: undefined,
    });
    const u = await readUtilization(
      client,
      { scaleUp: '3m', scaleDown: '10m' },
      { ...scope, nodeSelector: 'instance="nope"' },
    );
    expect(u).toMatchObject({ available: false, reason: expect.stringMatching(/no data yet/) });
  });

  it('turns a rejected query into metrics-unavailable with the error', async () => {
    const result = await client.query('sum(');
    expect(result).toMatchObject({
      ok: false,
      reason: 'metrics-unavailable',
      detail: expect.stringMatching(/bad_data/),
    });
  });

  it('turns an unreachable server into metrics-unavailable', async () => {
    const { freePort } = await import('../../../local/src/cluster/processes.ts');
    const down = new PrometheusClient({
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      timeoutMs: 1000,
    });
    const result = await down.query('up');
    expect(result).toMatchObject({
      ok: false,
      reason: 'metrics-unavailable',
      detail: expect.stringMatching(/unreachable/),
    });
  });
});
