import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { METRICS_NAMESPACE, metricsOf } from '@smartscale/aws';
import { type AnyEnvelope, createMessage } from '@smartscale/contracts';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROMQL } from '../../src/index.ts';

const file = new URL('../../../../k3s/dashboards/smartscale.json', import.meta.url).pathname;
const dashboard = JSON.parse(readFileSync(file, 'utf8'));

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  expr?: string;
  namespace?: string;
  metricName?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}
const panels = dashboard.panels as Panel[];
const targets = panels.flatMap((p) => p.targets ?? []);
const promql = targets.filter((t) => t.datasource.type === 'prometheus');
const cloudwatch = targets.filter((t) => t.datasource.type === 'cloudwatch');

/** Grafana's dashboard model as a JSON schema, from the types @grafana/schema publishes. */
function grafanaDashboardSchema(): object {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@grafana/schema/package.json'));
  return createGenerator({
    path: join(root, 'dist/types/veneer/dashboard.types.d.ts'),
    type: 'Dashboard',
    skipTypeCheck: true,
    // Strict: a misspelt or invented property is an error, not ignored.
    additionalProperties: false,
    expose: 'none',
  }).createSchema('Dashboard');
}

/** Metric names of node-exporter and kube-state-metrics (v2) the dashboard may use. */
const EXPORTED = new Set([
  'node_cpu_seconds_total',
  'node_memory_MemAvailable_bytes',
  'node_memory_MemTotal_bytes',
  'kube_node_labels',
  'kube_node_spec_unschedulable',
  'kube_node_status_allocatable',
  'kube_node_status_condition',
  'kube_pod_container_resource_requests',
  'kube_pod_owner',
  'kube_pod_status_phase',
  'kube_pod_status_unschedulable',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset']);

/** Metric names in a PromQL expression: identifiers outside labels, ranges, groupings and calls. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '0');
  return [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((m) => m[1] as string)
    .filter((n) => !KEYWORDS.has(n));
}

describe('the Grafana dashboard (k3s/dashboards/smartscale.json)', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    validate = new Ajv({ allErrors: true, strict: false }).compile(grafanaDashboardSchema());
  });

  it("loads in Grafana's dashboard schema", () => {
    const ok = validate(dashboard);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is strict: an unknown property or a wrong type fails', () => {
    const first = panels[1] as Panel;
    expect(validate({ ...dashboard, panels: [{ ...first, colour: 'red' }] })).toBe(false);
    expect(validate({ ...dashboard, schemaVersion: '39' })).toBe(false);
    expect(validate({ ...dashboard, panels: [{ ...first, gridPos: { x: 0 } }] })).toBe(false);
  });

  it('covers the cluster and the autoscaler', () => {
    const titles = panels.map((p) => p.title.toLowerCase());
    for (const topic of [
      'nodes by state',
      'nodes by capacity type',
      'pending pods',
      'cpu utilisation',
      'memory utilisation',
      'decisions by reason',
      'join latency',
      'drain duration',
      'cost per hour against the static baseline',
    ])
      expect(
        titles.some((t) => t.includes(topic)),
        topic,
      ).toBe(true);
  });

  it('lays panels out on the 24-column grid with unique ids and no overlap', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
    }
  });

  it('queries Prometheus only for metrics node-exporter and kube-state-metrics export', () => {
    expect(promql.length).toBeGreaterThan(5);
    for (const t of promql) {
      const names = metricNames(t.expr ?? '');
      // Only a constant (the static baseline) may name no metric.
      if (!t.expr?.startsWith('vector(')) expect(names.length, t.expr).toBeGreaterThan(0);
      for (const name of names) expect(EXPORTED, `${name} in ${t.expr}`).toContain(name);
    }
    expect(metricNames('sum(rate(foo_total{a="b"}[5m])) by (x) / on (y) bar')).toEqual([
      'foo_total',
      'bar',
    ]);
  });

  it("uses the same CPU, memory and demand queries as SmartScale's own PromQL", () => {
    const exprs = promql.map((t) => t.expr);
    expect(exprs).toContain(PROMQL.cpuUtilisation());
    expect(exprs).toContain(PROMQL.memoryUtilisation());
    expect(exprs).toContain(PROMQL.podRequests('cpu'));
  });

  it('queries CloudWatch only for metrics the SmartScale services emit', () => {
    const now = new Date();
    const ctx = { clusterId: 'c1' };
    const events: AnyEnvelope[] = [
      createMessage(
        'DecisionMade',
        {
          decision: { kind: 'hold', reasons: [{ code: 'no-trigger', message: 'm' }] },
          snapshotTakenAt: now.toISOString(),
          workers: 2,
        },
        ctx,
        now,
      ),
      createMessage(
        'InstancesLaunched',
        {
          requested: 1,
          instances: [
            { instanceId: 'i-0abc12345', zone: 'z', capacityType: 'spot', instanceType: 't3' },
          ],
        },
        ctx,
        now,
      ),
      createMessage(
        'NodeJoined',
        { instanceId: 'i-0abc12345', nodeName: 'n', joinSeconds: 9 },
        ctx,
        now,
      ),
      createMessage(
        'JoinFailed',
        { instanceId: 'i-0abc12345', reason: 'r', terminated: true },
        ctx,
        now,
      ),
      createMessage(
        'NodeRemoved',
        { instanceId: 'i-0abc12345', nodeName: 'n', terminated: true },
        ctx,
        now,
      ),
      createMessage('ActionFailed', { step: 'drain', reason: 'r' }, ctx, now),
      createMessage(
        'InterruptionReceived',
        { instanceId: 'i-0abc12345', kind: 'spot-interruption' },
        ctx,
        now,
      ),
    ];
    const emitted = new Set(events.flatMap((e) => metricsOf(e).map((m) => m.name)));
    expect(cloudwatch.length).toBeGreaterThan(5);
    for (const t of cloudwatch) {
      expect(t.namespace).toBe(METRICS_NAMESPACE);
      expect(emitted, t.metricName).toContain(t.metricName);
    }
  });

  it('every variable a query uses is defined by the dashboard', () => {
    const defined = new Set((dashboard.templating.list as { name: string }[]).map((v) => v.name));
    // ${PROP('Dim.x')} is CloudWatch's dynamic label, not a variable.
    const used = (JSON.stringify(panels).match(/\$\{?(\w+)/g) ?? []).filter((u) => u !== '${PROP');
    expect(used.length).toBeGreaterThan(0);
    for (const u of used) expect(defined, u).toContain(u.replace(/^\$\{?/, ''));
  });
});
