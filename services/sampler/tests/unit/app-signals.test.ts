import { emptyClusterState } from '@smartscale/contracts';
import { decide, parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { readAppSignals, type SilentTrigger, sustainedQuery } from '../../app-signals.js';
import { type SamplerPorts, takeSnapshot } from '../../take-snapshot.js';

const config = parseConfig({
  appTriggers: [
    { name: 'queue-depth', query: 'sum(queue_messages)', threshold: 1000 },
    { name: 'p95-latency', query: 'p95_seconds', threshold: 0.5 },
    { name: 'errors', query: 'sum(rate(errors_total[1m]))', threshold: 5 },
  ],
});

type Prometheus = Parameters<typeof readAppSignals>[0];
type Answer = Awaited<ReturnType<Prometheus['queryScalar']>>;

/** A Prometheus answering each trigger's sustained query from `answers`, by trigger name. */
function prometheus(answers: Record<string, Answer | Error>): Prometheus {
  const byQuery = new Map(config.appTriggers.map((t) => [sustainedQuery(t), t.name]));
  return {
    queryScalar: async (promql: string) => {
      const answer = answers[byQuery.get(promql) ?? ''];
      if (answer === undefined) throw new Error(`unexpected query ${promql}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('readAppSignals (issue #17)', () => {
  it('keeps the triggers with a value and reports each silent one with why', async () => {
    const silent: SilentTrigger[] = [];
    const signals = await readAppSignals(
      prometheus({
        'queue-depth': { ok: true, value: 42 },
        'p95-latency': { ok: true, value: undefined },
        errors: { ok: false, reason: 'metrics-unavailable', detail: 'HTTP 503 from Prometheus' },
      }),
      config.appTriggers,
      (s) => silent.push(s),
    );
    expect(signals).toEqual({ 'queue-depth': 42 });
    expect(silent).toEqual([
      { trigger: 'p95-latency', detail: 'no data (no series, or NaN)' },
      { trigger: 'errors', detail: 'HTTP 503 from Prometheus' },
    ]);
  });

  it('reads the other triggers when one query throws', async () => {
    const silent: SilentTrigger[] = [];
    const signals = await readAppSignals(
      prometheus({
        'queue-depth': new Error('socket hang up'),
        'p95-latency': { ok: true, value: 0.2 },
        errors: { ok: true, value: 0 },
      }),
      config.appTriggers,
      (s) => silent.push(s),
    );
    expect(signals).toEqual({ 'p95-latency': 0.2, errors: 0 });
    expect(silent).toEqual([{ trigger: 'queue-depth', detail: 'socket hang up' }]);
  });

  it('gives a sample on which the decider holds with metrics-incomplete naming the silent trigger', async () => {
    const ports: SamplerPorts = {
      clusterId: 'c1',
      now: () => new Date('2026-12-02T03:00:00.000Z'),
      listNodes: async () => [],
      listPendingPods: async () => [],
      readUtilization: async () => ({
        available: true,
        cpu: { now: 0.05, upWindowMin: 0.05, downWindowMax: 0.05 },
        memory: { now: 0.1, downWindowMax: 0.1 },
      }),
      readAppSignals: () =>
        readAppSignals(
          prometheus({
            'queue-depth': { ok: true, value: 3 },
            'p95-latency': { ok: true, value: 0.1 },
            errors: { ok: true, value: undefined },
          }),
          config.appTriggers,
          () => {},
        ),
      publish: async () => {},
    };
    const snapshot = await takeSnapshot(ports);
    expect(snapshot.appSignals).toEqual({ 'queue-depth': 3, 'p95-latency': 0.1 });
    // No workers and min 0: with every trigger reporting this idle sample would be at-min.
    const atZero = parseConfig({ ...config, workers: { min: 0, max: 10 } });
    const decision = decide(snapshot, emptyClusterState('c1'), atZero, new Date(snapshot.takenAt));
    expect(decision.kind).toBe('hold');
    expect(decision.reasons[0]).toMatchObject({
      code: 'metrics-incomplete',
      data: { triggers: 'errors', missingTriggers: 1 },
    });
  });
});
