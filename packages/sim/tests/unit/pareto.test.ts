import { describe, expect, it } from 'vitest';
import { type ParetoPoint, paretoChart, paretoFrontier } from '../../src/bench/pareto.js';

const p = (
  label: string,
  nodeHours: number,
  pendingPodSeconds: number,
  kind: ParetoPoint['kind'] = 'policy',
): ParetoPoint => ({
  label,
  nodeHours,
  pendingPodSeconds,
  kind,
});

describe('Pareto frontier of the bench', () => {
  it('keeps what nothing beats on both figures, ignores the oracle, keeps exact ties', () => {
    const points = [
      p('cheap', 80, 9000),
      p('fast', 90, 1000),
      p('dominated', 91, 1200),
      p('same-as-fast', 90, 1000, 'sweep'),
      p('middle', 85, 3000, 'sweep'),
      p('oracle', 79, 0, 'bound'),
    ];
    expect(paretoFrontier(points).map((x) => x.label)).toEqual([
      'cheap',
      'middle',
      'fast',
      'same-as-fast',
    ]);
  });

  it('draws every point and labels the default in bold', () => {
    const svg = paretoChart(
      'day',
      [p('smartscale', 88, 1400), p('karpenter', 84, 6600), p('oracle', 84, 0, 'bound')],
      'smartscale',
    );
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg.match(/<rect /g)).toHaveLength(1);
    expect(svg).toContain('font-weight="bold" fill="#222">smartscale<');
    expect(svg).not.toContain('NaN');
  });
});
