import { PrometheusSettingError } from './errors.ts';

/** One sample of an instant vector. */
export interface InstantSample {
  metric: Record<string, string>;
  value: number;
  timestamp: Date;
}

/** One series of a range query, its points oldest first. */
export interface RangeSeries {
  metric: Record<string, string>;
  points: { timestamp: Date; value: number }[];
}

/** Either the answer, or why Prometheus could not give one. */
export type MetricsResult<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'metrics-unavailable'; detail: string };

export interface PrometheusClientOptions {
  /** e.g. `http://127.0.0.1:9090` (a path prefix such as `/prometheus` is kept). */
  baseUrl: string;
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
  /** For tests or a proxy; defaults to the global fetch. */
  fetch?: typeof fetch;
}

interface ApiResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

const unavailable = (detail: string): MetricsResult<never> => ({
  ok: false,
  reason: 'metrics-unavailable',
  detail,
});

/**
 * A small client for the Prometheus HTTP API (`/api/v1/query`). It never
 * throws for a Prometheus problem: unreachable, slow, non-2xx, a rejected
 * query or an unexpected body all come back as `metrics-unavailable` with a
 * detail a person can act on.
 *
 * @example
 * const prometheus = new PrometheusClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const cpu = await prometheus.queryScalar(PROMQL.cpuUtilisation());
 * if (cpu.ok) console.log(cpu.value);
 */
export class PrometheusClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: PrometheusClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new PrometheusSettingError(
        'baseUrl',
        `Prometheus base URL '${options.baseUrl}' is not a URL; expected e.g. http://127.0.0.1:9090`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PrometheusSettingError(
        'baseUrl',
        `Prometheus base URL '${options.baseUrl}' must be http or https, e.g. http://127.0.0.1:9090`,
      );
    }
    this.#baseUrl = url.href.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Evaluates an instant query; a scalar result comes back as one sample with no labels. */
  async query(promql: string, at?: Date): Promise<MetricsResult<InstantSample[]>> {
    const params = new URLSearchParams({ query: promql });
    if (at) params.set('time', String(at.getTime() / 1000));
    const data = await this.#post('query', params, promql);
    return data.ok ? parseResult(data.value, promql) : data;
  }

  /**
   * Evaluates a range query (`/api/v1/query_range`) from `start` to `end`
   * every `stepSeconds`; each series comes back with its points, oldest
   * first. Prometheus refuses more than 11,000 points a series.
   *
   * @example
   * const r = await prometheus.queryRange('sum(up)', weekAgo, now, 600);
   */
  async queryRange(
    promql: string,
    start: Date,
    end: Date,
    stepSeconds: number,
  ): Promise<MetricsResult<RangeSeries[]>> {
    const params = new URLSearchParams({
      query: promql,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
    });
    const data = await this.#post('query_range', params, promql);
    return data.ok ? parseMatrix(data.value, promql) : data;
  }

  /** POSTs to `/api/v1/<path>`; every failure is `metrics-unavailable` with a detail. */
  async #post(
    path: 'query' | 'query_range',
    params: URLSearchParams,
    promql: string,
  ): Promise<MetricsResult<ApiResponse['data']>> {
    const url = `${this.#baseUrl}/api/v1/${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: params.toString(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const e = error as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        return unavailable(
          `Prometheus at ${this.#baseUrl} did not answer within ${this.#timeoutMs} ms`,
        );
      }
      const cause = (e.cause as Error | undefined)?.message;
      return unavailable(`Prometheus at ${this.#baseUrl} is unreachable: ${cause ?? e.message}`);
    }
    let body: ApiResponse;
    try {
      body = (await response.json()) as ApiResponse;
    } catch {
      return unavailable(
        `Prometheus answered HTTP ${response.status} without a JSON body (is ${url} a Prometheus?)`,
      );
    }
    if (body.status !== 'success') {
      return unavailable(
        `Prometheus rejected the query (HTTP ${response.status}, ${body.errorType ?? 'error'}): ${body.error ?? 'no message'}; query: ${promql}`,
      );
    }
    return { ok: true, value: body.data };
  }

  /**
   * Evaluates a query expected to give at most one number. An empty result
   * (no series yet) is `value: undefined`; more than one series is an error.
   */
  async queryScalar(promql: string, at?: Date): Promise<MetricsResult<number | undefined>> {
    const result = await this.query(promql, at);
    if (!result.ok) return result;
    if (result.value.length > 1) {
      return unavailable(
        `Expected one series, got ${result.value.length}; aggregate the query: ${promql}`,
      );
    }
    const value = result.value[0]?.value;
    return { ok: true, value: value === undefined || Number.isNaN(value) ? undefined : value };
  }
}

function sample(metric: Record<string, string>, pair: unknown): InstantSample | undefined {
  if (!Array.isArray(pair) || pair.length !== 2) return undefined;
  const [ts, text] = pair as [unknown, unknown];
  if (typeof ts !== 'number' || typeof text !== 'string') return undefined;
  return { metric, value: Number(text), timestamp: new Date(ts * 1000) };
}

function parseMatrix(data: ApiResponse['data'], promql: string): MetricsResult<RangeSeries[]> {
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result))
    return unavailable(
      `Expected a range (matrix) result, got '${data?.resultType ?? 'nothing'}' for: ${promql}`,
    );
  const series: RangeSeries[] = [];
  for (const item of data.result as { metric?: Record<string, string>; values?: unknown }[]) {
    const metric = item.metric ?? {};
    const points = Array.isArray(item.values) ? item.values.map((v) => sample(metric, v)) : [];
    if (points.some((p) => p === undefined))
      return unavailable(`Unexpected range sample in the result of: ${promql}`);
    series.push({
      metric,
      points: (points as InstantSample[]).map((p) => ({ timestamp: p.timestamp, value: p.value })),
    });
  }
  return { ok: true, value: series };
}

function parseResult(data: ApiResponse['data'], promql: string): MetricsResult<InstantSample[]> {
  if (data?.resultType === 'scalar') {
    const s = sample({}, data.result);
    return s
      ? { ok: true, value: [s] }
      : unavailable(`Unexpected scalar result for query: ${promql}`);
  }
  if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    const samples: InstantSample[] = [];
    for (const item of data.result as { metric?: Record<string, string>; value?: unknown }[]) {
      const s = sample(item.metric ?? {}, item.value);
      if (!s) return unavailable(`Unexpected vector sample in the result of: ${promql}`);
      samples.push(s);
    }
    return { ok: true, value: samples };
  }
  return unavailable(
    `Expected an instant vector or scalar, got '${data?.resultType ?? 'nothing'}' for: ${promql}`,
  );
}

/**
 * The queries Prometheus refuses as invalid (a syntax error, an unknown
 * function), by name, with its message. A Prometheus that cannot be
 * reached refuses nothing here: this checks expressions, not availability.
 *
 * @example
 * const bad = await rejectedQueries(prometheus, { 'queue-depth': 'sum(queue_depth' });
 * if (bad.length > 0) throw new Error(bad.map((b) => `${b.name}: ${b.detail}`).join('; '));
 */
export async function rejectedQueries(
  prometheus: PrometheusClient,
  queries: Readonly<Record<string, string>>,
): Promise<{ name: string; detail: string }[]> {
  const rejected: { name: string; detail: string }[] = [];
  for (const [name, query] of Object.entries(queries)) {
    const result = await prometheus.query(query);
    if (!result.ok && result.detail.includes('bad_data'))
      rejected.push({ name, detail: result.detail });
  }
  return rejected;
}
