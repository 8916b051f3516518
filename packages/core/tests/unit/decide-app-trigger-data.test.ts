import type { ClusterSnapshot, Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { decide, parseConfig } from '../../src/index.js';
import { fullNodes, NOW, nodes, pending, snapshot, state } from './fixtures.js';

const codes = (d: Decision) => d.reasons.map((r) => r.code);
const idle = { cpu: 0.1, memory: 0.2 };

const triggers = parseConfig({
  appTriggers: [
    { name: 'queue-depth', query: 'sum(queue_messages)', threshold: 1000, addNodes: 2 },
    { name: 'p95-latency', query: 'histogram_quantile(0.95, x)', threshold: 0.5 },
  ],
});

const withSignals = (s: ClusterSnapshot, appSignals?: Record<string, number>): ClusterSnapshot =>
  appSignals ? { ...s, appSignals } : s;

describe('decide with application triggers that have no data (issue #17)', () => {
  it('holds an idle fleet with metrics-incomplete naming the silent trigger, never scaling down', () => {
    const d = decide(
      withSignals(snapshot(nodes(4), [], idle), { 'p95-latency': 0.1 }),
      state(),
      triggers,
      NOW,
    );
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual(['metrics-incomplete']);
    expect(d.reasons[0]).toMatchObject({
      message:
        'no data for application trigger(s) queue-depth (query failed or returned no series); never scaling down without them',
      data: { triggers: 'queue-depth', missingTriggers: 1 },
    });
    // The same fleet with both triggers reporting (below their thresholds) scales down.
    const complete = decide(
      withSignals(snapshot(nodes(4), [], idle), { 'queue-depth': 10, 'p95-latency': 0.1 }),
      state(),
      triggers,
      NOW,
    );
    expect(complete.kind).toBe('scale-down');
  });

  it('names every trigger when the sampler could read none of them (no appSignals at all)', () => {
    const d = decide(snapshot(nodes(4), [], idle), state(), triggers, NOW);
    expect(d.kind).toBe('hold');
    expect(d.reasons[0]?.data).toEqual({
      triggers: 'queue-depth, p95-latency',
      missingTriggers: 2,
    });
  });

  it('gives both reasons when CPU and memory are missing too', () => {
    const d = decide(snapshot(nodes(4), [], 'unavailable'), state(), triggers, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual(['metrics-unavailable', 'metrics-incomplete']);
  });

  it('still scales up for pending pods, and says which trigger is silent while pods wait', () => {
    const up = decide(snapshot(fullNodes(2), pending(4), idle), state(), triggers, NOW);
    expect(up.kind).toBe('scale-up');
    expect(codes(up)).toContain('pending-pods');
    // Pending pods within the grace: a hold that carries the silent triggers beside it.
    const young = pending(4, 0);
    const held = decide(snapshot(fullNodes(2), young, idle), state(), triggers, NOW);
    expect(held.kind).toBe('hold');
    expect(codes(held)).toEqual(['pending-within-grace', 'metrics-incomplete']);
    expect(held.reasons[1]?.message).not.toContain('never scaling down');
  });

  it('still fires a trigger that has a value while another is silent', () => {
    const d = decide(
      withSignals(snapshot(nodes(3), [], { cpu: 0.4 }), { 'queue-depth': 4200 }),
      state(),
      triggers,
      NOW,
    );
    expect(d).toMatchObject({ kind: 'scale-up', count: 2 });
    expect(codes(d)).toContain('app-trigger');
  });

  it('asks nothing of a configuration without application triggers', () => {
    const d = decide(snapshot(nodes(4), [], idle), state(), parseConfig({}), NOW);
    expect(d.kind).toBe('scale-down');
  });
});
