import { describe, expect, it } from 'vitest';
import {
  defaultDriver,
  type SimCluster,
  simOptions,
  simulate,
  smartScalePolicy,
} from '../../src/index.js';
import { traceOf } from './helpers.js';

describe('smartscale+consolidation in the simulator', () => {
  // 12 pods on 4 workers (CPU 42 %) drop to 6 busy ones at minute 1 (CPU per pod 100 %):
  // fleet CPU 42 %, above the 30 % rule, yet 3 workers hold the 6 pods by requests.
  const trace = traceOf([[12, 0.5], ...Array.from({ length: 60 }, () => [6, 1] as const)]);
  const options = simOptions({ spot: { interruptionsPerNodeHour: 0 } });

  it('removes a node the CPU rule keeps, once the window peak fits, without leaving pods pending', () => {
    const plain = simulate(trace, smartScalePolicy(), options);
    expect(plain.metrics.scale_downs).toBe(0);
    let cluster: SimCluster | null = null;
    const inner = smartScalePolicy(defaultDriver, { consolidation: true });
    const r = simulate(
      trace,
      {
        ...inner,
        step(ctx) {
          cluster = ctx.cluster;
          inner.step(ctx);
        },
      },
      options,
    );
    // 3 workers run the busy pods at 56 % CPU; 2 would be at 83 %, above the 60 % target.
    expect(r.metrics.scale_downs).toBe(1);
    expect(r.metrics.pending_pod_seconds).toBe(0);
    expect(r.metrics.node_hours).toBeLessThan(plain.metrics.node_hours);
    const downs = (cluster as SimCluster | null)?.nodes
      .flatMap((n) => (n.scaleDownAt === null ? [] : [n.scaleDownAt]))
      .sort((a, b) => a - b);
    // The 12-pod minute leaves the 10-minute window at 660 s.
    expect(downs?.[0]).toBeGreaterThanOrEqual(660);
  });

  it('runs the same from the configuration alone: scaleDown.profile "consolidation" as the decider reads it', () => {
    const variant = simulate(
      trace,
      smartScalePolicy(defaultDriver, { consolidation: true }),
      options,
    );
    const configured = simOptions({
      spot: { interruptionsPerNodeHour: 0 },
      config: { scaleDown: { profile: 'consolidation', headroom: { pods: 0, share: 0 } } },
    });
    expect(simulate(trace, smartScalePolicy(), configured).metrics).toEqual(variant.metrics);
  });
});
