import type { ClusterSnapshot, Decision, MetricsCoverage } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { defaultConfig as config, decide } from '../../src/index.js';
import { fullNodes, NOW, nodes, pending, snapshot, state } from './fixtures.js';

const codes = (d: Decision) => d.reasons.map((r) => r.code);
const idle = { cpu: 0.1, memory: 0.2 };
const coverage: MetricsCoverage = {
  code: 'metrics-incomplete',
  reporting: 3,
  expected: 4,
  missing: ['ip-10-0-0-4'],
};

/** An idle fleet whose reading is unusable: too few workers reported now. */
function incompleteNow(s: ClusterSnapshot): ClusterSnapshot {
  return {
    ...s,
    utilization: {
      available: false,
      reason: 'only 3 of 4 workers reported CPU and memory (75%, need 90%); missing ip-10-0-0-4',
      unavailable: coverage,
    },
  };
}

describe('decide with metrics coverage (issue #17)', () => {
  it('holds an idle fleet with metrics-incomplete, naming the counts and the missing worker', () => {
    const d = decide(incompleteNow(snapshot(nodes(4), [], idle)), state(), config, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual(['metrics-incomplete']);
    expect(d.reasons[0]).toMatchObject({
      message: expect.stringMatching(/only 3 of 4 workers.*never scaling down/),
      data: { reporting: 3, expected: 4, missing: 'ip-10-0-0-4' },
    });
    // The same idle fleet with a complete reading scales down.
    expect(decide(snapshot(nodes(4), [], idle), state(), config, NOW).kind).toBe('scale-down');
  });

  it('holds scale-down when the window had a step with too few workers, although every reading is low', () => {
    const base = snapshot(nodes(4), [], idle);
    if (!base.utilization.available) throw new Error('fixture gives a reading');
    const d = decide(
      {
        ...base,
        utilization: {
          ...base.utilization,
          downWindowIncomplete: { ...coverage, reporting: 0, stepsCovered: 14, steps: 21 },
        },
      },
      state(),
      config,
      NOW,
    );
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual(['metrics-incomplete']);
    expect(d.reasons[0]).toMatchObject({
      message: expect.stringMatching(/only 14 of 21 steps/),
      data: { stepsCovered: 14, steps: 21, expected: 4 },
    });
  });

  it('still scales up for pending pods while metrics are incomplete', () => {
    const d = decide(incompleteNow(snapshot(fullNodes(2), pending(4), idle)), state(), config, NOW);
    expect(d.kind).toBe('scale-up');
    expect(codes(d)).toContain('pending-pods');
  });

  it('keeps metrics-unavailable for a reading that failed outright', () => {
    const d = decide(snapshot(nodes(4), [], 'unavailable'), state(), config, NOW);
    expect(codes(d)).toEqual(['metrics-unavailable']);
  });
});
