import { describe, expect, it } from 'vitest';
import { PROMQL, PrometheusClient } from '../../src/index.ts';

const json = (status: number, body: unknown) =>
  (async () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    })) as typeof fetch;

describe('PrometheusClient', () => {
  it('parses vectors and scalars', async () => {
    const vector = new PrometheusClient({
      baseUrl: 'http://prom.test',
      fetch: json(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { instance: 'a' }, value: [1700000000.5, '0.25'] }],
        },
      }),
    });
    expect(await vector.query('x')).toEqual({
      ok: true,
      value: [{ metric: { instance: 'a' }, value: 0.25, timestamp: new Date(1700000000500) }],
    });
    const scalar = new PrometheusClient({
      baseUrl: 'http://prom.test',
      fetch: json(200, { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } }),
    });
    expect(await scalar.queryScalar('1+2')).toEqual({ ok: true, value: 3 });
  });

  it('sends the query to /api/v1/query under the base path', async () => {
    let seen = '';
    let body = '';
    const client = new PrometheusClient({
      baseUrl: 'http://prom.test/prometheus/',
      fetch: (async (url: string, init: RequestInit) => {
        seen = url;
        body = String(init.body);
        return new Response(
          JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }),
        );
      }) as typeof fetch,
    });
    await client.query('up{job="a"}');
    expect(seen).toBe('http://prom.test/prometheus/api/v1/query');
    expect(new URLSearchParams(body).get('query')).toBe('up{job="a"}');
  });

  it('refuses an ambiguous scalar and treats NaN as no value', async () => {
    const two = new PrometheusClient({
      baseUrl: 'http://prom.test',
      fetch: json(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: {}, value: [1, '1'] },
            { metric: {}, value: [1, '2'] },
          ],
        },
      }),
    });
    expect(await two.queryScalar('x')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/one series/),
    });
    const nan = new PrometheusClient({
      baseUrl: 'http://prom.test',
      fetch: json(200, {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] },
      }),
    });
    expect(await nan.queryScalar('x')).toEqual({ ok: true, value: undefined });
  });

  it('maps HTTP errors, bodies that are not JSON and timeouts to metrics-unavailable', async () => {
    const rejected = new PrometheusClient({
      baseUrl: 'http://prom.test',
      fetch: json(400, { status: 'error', errorType: 'bad_data', error: 'parse error' }),
    });
    expect(await rejected.query('sum(')).toMatchObject({
      ok: false,
      reason: 'metrics-unavailable',
      detail: expect.stringMatching(/HTTP 400, bad_data\): parse error/),
    });
    const html = new PrometheusClient({
      baseUrl: 'http://prom.test',
      fetch: (async () => new Response('<html>', { status: 502 })) as typeof fetch,
    });
    expect(await html.query('up')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/HTTP 502 without a JSON body/),
    });
    const slow = new PrometheusClient({
      baseUrl: 'http://prom.test',
      timeoutMs: 20,
      fetch: ((_url: string, init: RequestInit) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        })) as typeof fetch,
    });
    expect(await slow.query('up')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/within 20 ms/),
    });
  });

  it('rejects a base URL that is not a URL at construction', () => {
    expect(() => new PrometheusClient({ baseUrl: '127.0.0.1:9090' })).toThrow(
      /Prometheus base URL '127.0.0.1:9090'/,
    );
    expect(() => new PrometheusClient({ baseUrl: 'ftp://prom.test' })).toThrow(/http or https/);
  });
});

describe('PROMQL', () => {
  it('builds the catalogue queries with the node selector and windows', () => {
    expect(PROMQL.cpuUtilisation()).toBe(
      'avg(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])))',
    );
    expect(PROMQL.memoryUtilisation({ nodeSelector: 'role="worker"' })).toBe(
      'avg(1 - node_memory_MemAvailable_bytes{role="worker"} / node_memory_MemTotal_bytes{role="worker"})',
    );
    expect(PROMQL.cpuMinOver('3m')).toBe(
      'min_over_time((avg(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m]))))[3m:30s])',
    );
    expect(PROMQL.memoryMaxOver('10m', { step: '1m' })).toMatch(
      /^max_over_time\(\(.*\)\[10m:1m\]\)$/,
    );
  });

  it('rejects windows that are not Prometheus durations', () => {
    expect(() => PROMQL.cpuMaxOver('10 minutes')).toThrow(/not a Prometheus duration/);
    expect(() => PROMQL.cpuUtilisation({ rateWindow: '2' })).toThrow(/rateWindow/);
  });
});
