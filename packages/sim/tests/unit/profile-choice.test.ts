import { describe, expect, it } from 'vitest';
import { dominates, profileChoice, profileVerdict } from '../../src/bench/profile-choice.js';
import type { SimResult } from '../../src/simulator.js';

const run = (node_hours: number, pending_pod_seconds: number) =>
  ({ metrics: { node_hours, pending_pod_seconds } }) as SimResult;

describe('the default profile rule of issue #18', () => {
  it('counts as beating only no worse on both figures and better on one', () => {
    expect(dominates(run(87.2, 1460), run(88.7, 1460))).toBe(true);
    expect(dominates(run(88.7, 1400), run(88.7, 1460))).toBe(true);
    expect(dominates(run(76.0, 38340), run(76.0, 38340))).toBe(false);
    expect(dominates(run(86.3, 3160), run(88.7, 1460))).toBe(false);
  });

  it('switches the default only when the profile beats it on every trace, naming where it did not', () => {
    const beat = profileVerdict('techflow-day', run(87.2, 1460), run(88.7, 1460));
    const tie = profileVerdict('sale-beyond-max', run(76.0, 38340), run(76.0, 38340));
    expect(profileChoice([beat, tie])).toEqual({
      switchDefault: false,
      line: 'default profile: consolidation beats seed-thresholds on 1 of 2 traces (not sale-beyond-max): the default stays seed-thresholds',
    });
    expect(profileChoice([beat, beat]).switchDefault).toBe(true);
    expect(profileChoice([]).switchDefault).toBe(false);
  });
});
