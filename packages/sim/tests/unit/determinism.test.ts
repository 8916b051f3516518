import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  POLICY_NAMES,
  scenarios,
  seededRandom,
  simOptions,
  simulate,
} from '../../src/index.js';

const trace = (() => {
  const s = scenarios().find((x) => x.name === 'flash-sales');
  if (!s) throw new Error('flash-sales scenario missing');
  return { name: s.name, source: s.name, points: s.points };
})();

describe('determinism', () => {
  it('the PRNG repeats for a seed and differs across seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('generated scenarios are the same on every run', () => {
    expect(scenarios().map((s) => s.points)).toEqual(scenarios().map((s) => s.points));
  });

  it.each(POLICY_NAMES)(
    '%s gives identical results for the same seed, with Spot interruptions',
    (name) => {
      const options = simOptions({ seed: 7, spot: { interruptionsPerNodeHour: 0.5 } });
      const run = () => simulate(trace, createPolicy(name, trace, options), options);
      expect(run()).toEqual(run());
    },
  );

  it('a different seed draws different interruptions', () => {
    const run = (seed: number) => {
      const options = simOptions({ seed, spot: { interruptionsPerNodeHour: 0.5 } });
      return simulate(trace, createPolicy('smartscale', trace, options), options);
    };
    const a = run(1);
    const b = run(2);
    expect(a.details.spotInterruptions).toBeGreaterThan(0);
    expect(a.details.replacements).toBe(a.details.spotInterruptions);
    expect([a.details.spotInterruptions, a.metrics.node_hours]).not.toEqual([
      b.details.spotInterruptions,
      b.metrics.node_hours,
    ]);
  });
});
