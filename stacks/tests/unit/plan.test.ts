import { describe, expect, it } from 'vitest';
import { deploymentPlan } from '../../plan.ts';
import { ServiceNames, topology } from '../../topology.ts';

const plan = deploymentPlan('smartscale-prod');
const count = <T>(xs: readonly T[], pred: (x: T) => boolean) => xs.filter(pred).length;

// Parity, declaration side: every resource of the topology appears exactly
// once in the plan both the SST mapping and the local bootstrap build from,
// and the plan holds nothing the topology does not declare.
describe('deployment plan = topology', () => {
  it('has each topic, queue (with its DLQ), table and parameter once, nothing else', () => {
    expect(plan.topics.map((t) => t.key).sort()).toEqual(Object.keys(topology.topics).sort());
    expect(plan.queues.map((q) => q.key).sort()).toEqual(Object.keys(topology.queues).sort());
    for (const q of plan.queues) {
      expect(q.dlqName).toBe(`${q.name}-dlq`);
      expect(q.maxReceiveCount).toBe(topology.queues[q.key].maxReceiveCount);
    }
    expect(plan.tables.map((t) => t.key).sort()).toEqual(Object.keys(topology.tables).sort());
    expect(plan.parameters.map((p) => p.key).sort()).toEqual(
      Object.keys(topology.parameters).sort(),
    );
    const physical = [
      ...plan.topics.map((t) => `sns:${t.name}`),
      ...plan.queues.flatMap((q) => [`sqs:${q.name}`, `sqs:${q.dlqName}`]),
      ...plan.tables.map((t) => `ddb:${t.name}`),
      ...plan.rules.map((r) => `events:${r.name}`),
      ...plan.alarms.map((a) => `alarm:${a.name}`),
      ...plan.functions.map((f) => `lambda:${f.name}`),
    ];
    expect(new Set(physical).size, 'physical names are unique').toBe(physical.length);
  });

  it('has each subscription once, with the declared filter (none for alarms)', () => {
    const declared = Object.entries(topology.queues).flatMap(([queue, spec]) =>
      spec.subscriptions.map((s) => ({
        queue,
        topic: s.topic,
        filterPolicy: 'types' in s ? { type: [...s.types] } : null,
      })),
    );
    expect(plan.subscriptions).toHaveLength(declared.length);
    for (const d of declared) {
      expect(
        count(plan.subscriptions, (s) => s.queue === d.queue && s.topic === d.topic),
        `${d.topic} -> ${d.queue}`,
      ).toBe(1);
      expect(plan.subscriptions).toContainEqual(d);
    }
    // CloudWatch publishes without a `type` attribute: a filter would drop every alarm.
    expect(plan.subscriptions.find((s) => s.topic === 'alarms')).toEqual({
      topic: 'alarms',
      queue: 'notifier',
      filterPolicy: null,
    });
  });

  it('has each EventBridge rule once, into its declared queue', () => {
    expect(plan.rules.map((r) => r.key).sort()).toEqual(Object.keys(topology.rules).sort());
    for (const r of plan.rules) {
      const spec = topology.rules[r.key as keyof typeof topology.rules];
      expect(r.targetQueue).toBe(spec.targetQueue);
      expect(r.pattern).toEqual(spec.pattern);
    }
  });

  it('has one function per service, each consumer on its own queue', () => {
    expect(plan.functions.map((f) => f.service)).toEqual([...ServiceNames]);
    for (const f of plan.functions) {
      const consumed = Object.entries(topology.queues)
        .filter(([, q]) => q.consumer === f.service)
        .map(([name]) => name);
      expect(f.queue === null ? [] : [f.queue], f.service).toEqual(consumed);
    }
    expect(plan.functions.find((f) => f.service === 'sampler')?.queue).toBeNull();
  });

  it('alarms on every DLQ and every function, with physical dimensions', () => {
    expect(plan.alarms.map((a) => a.key).sort()).toEqual(Object.keys(topology.alarms).sort());
    const dims = plan.alarms.flatMap((a) => Object.values(a.dimensions));
    for (const q of plan.queues) expect(dims, q.dlqName).toContain(q.dlqName);
    for (const f of plan.functions) expect(dims, f.name).toContain(f.name);
    expect(plan.alarms.find((a) => a.key === 'dlq-decider')).toMatchObject({
      name: 'smartscale-prod-dlq-decider',
      dimensions: { QueueName: 'smartscale-prod-decider-dlq' },
    });
    expect(plan.alarms.find((a) => a.key === 'errors-join-verifier')?.dimensions).toEqual({
      FunctionName: 'smartscale-prod-join-verifier',
    });
  });
});
