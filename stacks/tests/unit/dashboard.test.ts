import { MessageTypes } from '@smartscale/contracts';
import { sampleMessages } from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import { metricsOf } from '../../../packages/aws/src/service-metrics.ts';
import { ACTION_COUNTS, ACTION_LATENCIES, dashboardBody } from '../../dashboard.ts';
import { deploymentPlan } from '../../plan.ts';

const plan = deploymentPlan('smartscale-prod');
const body = dashboardBody(plan, 'eu-west-1', '123456789012');
const widget = (title: RegExp) => {
  const found = body.widgets.find((w) => title.test(String(w.properties.title)));
  if (!found) throw new Error(`no widget titled ${title}`);
  return found;
};
const metricRows = (title: RegExp) => widget(title).properties.metrics as unknown[][];

describe('CloudWatch dashboard', () => {
  it('shows the errors of every function and the depth of every DLQ', () => {
    expect(metricRows(/^Handler errors/).map((r) => r[3])).toEqual(
      plan.functions.map((f) => f.name),
    );
    expect(metricRows(/^Dead-letter queue depth/).map((r) => r[3])).toEqual(
      plan.queues.map((q) => q.dlqName),
    );
  });

  it('charts deferred messages of every queue consumer apart from the failed ones', () => {
    const consumers = plan.functions.filter((f) => f.queue !== null).map((f) => f.service);
    expect(metricRows(/^Messages deferred/).map((r) => [r[1], r[3]])).toEqual(
      consumers.map((service) => ['MessagesDeferred', service]),
    );
    expect(metricRows(/^Messages failed/).map((r) => r[1])).not.toContain('MessagesDeferred');
  });

  it('shows the state of every alarm', () => {
    expect(widget(/^Alarms/).properties.alarms).toEqual(
      plan.alarms.map((a) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${a.name}`),
    );
  });

  it('charts only metrics the services really emit', () => {
    // Every EMF metric name any message produces (one valid message of each type).
    const emitted = new Set(
      MessageTypes.flatMap((t) => metricsOf(sampleMessages[t]()).map((p) => p.name)),
    );
    const launched = sampleMessages.InstancesLaunched();
    if (launched.type === 'InstancesLaunched') {
      const short = { ...launched, payload: { ...launched.payload, requested: 99 } };
      for (const p of metricsOf(short)) emitted.add(p.name);
    }
    for (const m of [...ACTION_LATENCIES, ...ACTION_COUNTS])
      expect(emitted.has(m.metric), m.metric).toBe(true);
    expect(metricRows(/^Launch to Ready/)[0]).toEqual(
      expect.arrayContaining(['SmartScale', 'JoinLatency', 'service', 'join-verifier']),
    );
  });

  it('lays widgets out on the 24-column grid without overlap', () => {
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
    // CloudWatch accepts at most 500 widgets and a 100 metrics per graph.
    for (const w of body.widgets)
      expect(((w.properties.metrics as unknown[]) ?? []).length).toBeLessThanOrEqual(100);
  });
});
