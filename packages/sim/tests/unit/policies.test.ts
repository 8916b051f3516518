import { describe, expect, it } from 'vitest';
import {
  loadTrace,
  oraclePlan,
  oraclePolicy,
  podsPerNode,
  type SeedMemory,
  type SeedSample,
  scenarios,
  seedDecision,
  seedPolicy,
  seedRules,
  simOptions,
  simulate,
} from '../../src/index.js';
import { traceOf } from './helpers.js';

const fresh = (): SeedMemory => ({
  highStreak: 0,
  lowSince: null,
  lastUpAt: null,
  lastDownAt: null,
});
const sample = (over: Partial<SeedSample> = {}): SeedSample => ({
  now: 0,
  cpu: 0.5,
  memory: 0.3,
  pendingPods: 0,
  oldestPendingSeconds: 0,
  workers: 4,
  ...over,
});

describe('seed policy rules', () => {
  it('scales up by 1 after 3 consecutive samples above 70%, not after 2', () => {
    const m = fresh();
    expect(seedDecision(sample({ now: 0, cpu: 0.75 }), m, seedRules).kind).toBe('hold');
    expect(seedDecision(sample({ now: 120, cpu: 0.75 }), m, seedRules).kind).toBe('hold');
    expect(seedDecision(sample({ now: 240, cpu: 0.75 }), m, seedRules)).toEqual({
      kind: 'up',
      count: 1,
    });
  });

  it('a dip below 70% restarts the count', () => {
    const m = fresh();
    seedDecision(sample({ now: 0, cpu: 0.75 }), m, seedRules);
    seedDecision(sample({ now: 120, cpu: 0.75 }), m, seedRules);
    seedDecision(sample({ now: 240, cpu: 0.65 }), m, seedRules);
    expect(seedDecision(sample({ now: 360, cpu: 0.75 }), m, seedRules).kind).toBe('hold');
  });

  it('adds 2 when CPU is above 85%', () => {
    const m = fresh();
    seedDecision(sample({ now: 0, cpu: 0.9 }), m, seedRules);
    seedDecision(sample({ now: 120, cpu: 0.9 }), m, seedRules);
    expect(seedDecision(sample({ now: 240, cpu: 0.9 }), m, seedRules)).toEqual({
      kind: 'up',
      count: 2,
    });
  });

  it('scales up for a pod pending more than 3 minutes: +1, or +2 when more than 5 pend', () => {
    expect(
      seedDecision(sample({ pendingPods: 2, oldestPendingSeconds: 180 }), fresh(), seedRules).kind,
    ).toBe('hold');
    expect(
      seedDecision(sample({ pendingPods: 5, oldestPendingSeconds: 181 }), fresh(), seedRules),
    ).toEqual({ kind: 'up', count: 1 });
    expect(
      seedDecision(sample({ pendingPods: 6, oldestPendingSeconds: 181 }), fresh(), seedRules),
    ).toEqual({ kind: 'up', count: 2 });
  });

  it('scales up for memory above 75%, capped at max 10', () => {
    expect(seedDecision(sample({ memory: 0.8 }), fresh(), seedRules)).toEqual({
      kind: 'up',
      count: 1,
    });
    const m = fresh();
    seedDecision(sample({ now: 0, cpu: 0.9, workers: 9 }), m, seedRules);
    seedDecision(sample({ now: 120, cpu: 0.9, workers: 9 }), m, seedRules);
    expect(seedDecision(sample({ now: 240, cpu: 0.9, workers: 9 }), m, seedRules)).toEqual({
      kind: 'up',
      count: 1,
    });
    expect(seedDecision(sample({ memory: 0.8, workers: 10 }), fresh(), seedRules).kind).toBe(
      'hold',
    );
  });

  it('holds every action for 5 minutes after a scale-up', () => {
    const m = fresh();
    expect(seedDecision(sample({ now: 0, memory: 0.8 }), m, seedRules).kind).toBe('up');
    expect(seedDecision(sample({ now: 240, memory: 0.8 }), m, seedRules).kind).toBe('hold');
    expect(seedDecision(sample({ now: 300, memory: 0.8 }), m, seedRules).kind).toBe('up');
  });

  it('scales down by 1 after 10 minutes below 30% with nothing pending and memory below 50%', () => {
    const m = fresh();
    for (let t = 0; t < 600; t += 120)
      expect(seedDecision(sample({ now: t, cpu: 0.2 }), m, seedRules).kind).toBe('hold');
    expect(seedDecision(sample({ now: 600, cpu: 0.2 }), m, seedRules)).toEqual({ kind: 'down' });
    // then 10 minutes of cooldown
    expect(seedDecision(sample({ now: 1080, cpu: 0.2 }), m, seedRules).kind).toBe('hold');
    expect(seedDecision(sample({ now: 1200, cpu: 0.2 }), m, seedRules)).toEqual({ kind: 'down' });
  });

  it('does not scale down with pending pods, high memory, or at min 2', () => {
    for (const over of [{ pendingPods: 1 }, { memory: 0.5 }, { workers: 2 }]) {
      const m = fresh();
      for (let t = 0; t < 600; t += 120) seedDecision(sample({ now: t, cpu: 0.2 }), m, seedRules);
      expect(seedDecision(sample({ now: 600, cpu: 0.2, ...over }), m, seedRules).kind).toBe('hold');
    }
  });

  it('samples every 2 minutes in the simulator', () => {
    const options = simOptions({ spot: { interruptionsPerNodeHour: 0 } });
    // 6 pods fit on the 2 initial workers; 9 from minute 1 leave 3 Pending.
    const trace = traceOf([[6, 0.3], ...Array.from({ length: 10 }, () => [9, 0.3] as const)]);
    const r = simulate(trace, seedPolicy(), options);
    // Pending since 60 s; first sample with > 180 s is at 360 s (240 s sees exactly 180 s).
    // The worker launched at 360 s is Ready at 450 s: 3 pods x 390 s.
    expect(r.metrics.pending_pod_seconds).toBe(3 * 390);
    expect(r.metrics.scale_ups).toBe(1);
  });
});

describe('oracle', () => {
  const options = simOptions({ spot: { interruptionsPerNodeHour: 0.05 } });
  const traces = [
    loadTrace(
      new URL('../../../../../shared/scenarios/techflow-day.csv', import.meta.url).pathname,
    ),
    ...scenarios()
      .filter((s) => s.name !== 'sale-beyond-max')
      .map((s) => ({ name: s.name, source: s.name, points: s.points })),
  ];

  it.each(traces.map((t) => [t.name, t] as const))(
    'never has fewer Ready workers than %s needs',
    (_, trace) => {
      const plan = oraclePlan(trace, options);
      trace.points.forEach((p, m) => {
        expect(plan[m]).toBeGreaterThanOrEqual(Math.ceil(p.replicas / podsPerNode(options)));
      });
      const r = simulate(trace, oraclePolicy(trace, options), options);
      for (const p of r.timeline)
        expect(p.readyNodes * podsPerNode(options)).toBeGreaterThanOrEqual(p.replicas);
      expect(r.metrics.pending_pod_seconds).toBe(0);
    },
  );

  it('fills a dip shorter than drain plus boot instead of removing and relaunching', () => {
    const trace = traceOf([
      [9, 0.5],
      [9, 0.5],
      [3, 0.5],
      [9, 0.5],
      [9, 0.5],
      [9, 0.5],
    ]);
    expect(oraclePlan(trace, options)).toEqual([3, 3, 3, 3, 3, 3]);
  });
});
