import { describe, expect, it } from 'vitest';
import { type Policy, simOptions, simulate, smartScalePolicy } from '../../src/index.js';
import { scripted, traceOf } from './helpers.js';

// t3.medium allocatable (1800m, 3.5Gi) holds 3 web pods of 500m / 512Mi.
const options = simOptions({
  config: { workers: { min: 1 } },
  spot: { interruptionsPerNodeHour: 0 },
});

describe('scheduling and pending-time accounting', () => {
  it('keeps pods that do not fit Pending and counts each second they wait', () => {
    // 1 worker (3 pods); at 60 s demand doubles; a worker launched at 60 s is Ready at 150 s.
    const trace = traceOf([
      [3, 0.5],
      [6, 0.5],
      [6, 0.5],
      [6, 0.5],
    ]);
    const r = simulate(trace, scripted(1, { 60: 1 }), options);
    expect(r.metrics.pending_pod_seconds).toBe(3 * 90);
    expect(r.metrics.max_pending_seconds).toBe(90);
    // 240 s of the first worker, 180 s of the second (billed from launch).
    expect(r.metrics.node_hours).toBeCloseTo(420 / 3600, 3);
    expect(r.metrics.cost_usd).toBeCloseTo((420 / 3600) * 0.0416, 4);
    expect(r.metrics.scale_ups).toBe(1);
    expect(r.timeline.map((p) => p.pendingPods)).toEqual([0, 3, 3, 0]);
    expect(r.timeline.map((p) => p.nodes)).toEqual([1, 2, 2, 2]);
    expect(r.timeline.map((p) => p.readyNodes)).toEqual([1, 1, 1, 2]);
  });

  it('counts pods still Pending at the end of the trace up to its end', () => {
    const trace = traceOf([
      [5, 0.5],
      [5, 0.5],
    ]);
    const r = simulate(trace, scripted(1), options);
    expect(r.metrics.pending_pod_seconds).toBe(2 * 120);
    expect(r.metrics.max_pending_seconds).toBe(120);
  });

  it('removes Pending pods first when replicas fall, ending their wait', () => {
    const trace = traceOf([
      [5, 0.5],
      [3, 0.5],
      [3, 0.5],
    ]);
    const r = simulate(trace, scripted(1), options);
    expect(r.metrics.pending_pod_seconds).toBe(2 * 60);
    expect(r.timeline.map((p) => p.pendingPods)).toEqual([2, 0, 0]);
  });

  it('smartscale reacts to new Pending pods after the grace, not at the next minute', () => {
    // Pods pending at 60 s; the watch evaluates at 70 s (10 s grace); the
    // worker is Ready at 160 s: 3 pods x 100 s.
    const trace = traceOf([
      [3, 0.3],
      [6, 0.3],
      [6, 0.3],
      [6, 0.3],
      [6, 0.3],
    ]);
    const r = simulate(trace, smartScalePolicy(), options);
    expect(r.metrics.pending_pod_seconds).toBe(300);
    expect(r.metrics.max_pending_seconds).toBe(100);
    expect(r.metrics.scale_ups).toBe(1);
    const slow = simulate(
      trace,
      smartScalePolicy({ intervalSeconds: 60, watchPending: false }),
      options,
    );
    // Without the watch, the 120 s sample sees them: Ready at 210 s.
    expect(slow.metrics.pending_pod_seconds).toBe(3 * 150);
  });

  it('a drained node is billed until it terminates; its pods move or wait', () => {
    const drainAt60: Policy = {
      ...scripted(2),
      step(ctx) {
        const victim = ctx.cluster.active()[1];
        if (ctx.now === 60 && victim) ctx.cluster.scaleDown(victim, ctx.now);
      },
    };
    const fits = traceOf(Array.from({ length: 4 }, () => [3, 0.2] as const));
    const moved = simulate(fits, drainAt60, options);
    expect(moved.metrics.scale_downs).toBe(1);
    expect(moved.metrics.pending_pod_seconds).toBe(0);
    // 240 s for the survivor, 60 s + 60 s drain for the victim.
    expect(moved.metrics.node_hours).toBeCloseTo(360 / 3600, 3);
    expect(moved.timeline.map((p) => p.nodes)).toEqual([2, 2, 1, 1]);
    // Four pods spread 2+2: one evicted pod finds no room and waits to the end.
    const tight = traceOf(Array.from({ length: 4 }, () => [4, 0.2] as const));
    const waited = simulate(tight, drainAt60, options);
    expect(waited.metrics.pending_pod_seconds).toBe(180);
    expect(waited.details.flaps).toBe(0);
  });
});
