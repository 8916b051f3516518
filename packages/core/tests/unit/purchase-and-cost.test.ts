import { describe, expect, it } from 'vitest';
import { nodeHours, staticFleetCostUsd } from '../../src/cost-model.js';
import { defaultConfig as config, costUsd, parseConfig, planPurchase } from '../../src/index.js';

describe('planPurchase', () => {
  it('keeps the on-demand base and moves the fleet towards the spot share', () => {
    const existing = [
      { zone: 'a', capacityType: 'on-demand' as const },
      { zone: 'b', capacityType: 'on-demand' as const },
    ];
    const slots = planPurchase(4, existing, ['a', 'b'], config);
    expect(slots.filter((s) => s.capacityType === 'spot')).toHaveLength(3);
    expect(slots.filter((s) => s.zone === 'a')).toHaveLength(2);
  });

  it('buys only on-demand when the spot share is zero, spread over zones', () => {
    const slots = planPurchase(
      3,
      [{ zone: 'a', capacityType: 'on-demand' }],
      ['a', 'b', 'c'],
      parseConfig({ purchase: { spotShare: 0 } }),
    );
    expect(slots.every((s) => s.capacityType === 'on-demand')).toBe(true);
    expect(slots.map((s) => s.zone).sort()).toEqual(['a', 'b', 'c']);
  });

  it('spreads an odd count from an empty fleet so zones differ by at most one', () => {
    const slots = planPurchase(5, [], ['a', 'b'], config);
    const inZone = (zone: string) => slots.filter((s) => s.zone === zone).length;
    expect([inZone('a'), inZone('b')]).toEqual([3, 2]);
    // Above the on-demand base of 2, half of 5 rounds to 3 on spot.
    expect(slots.filter((s) => s.capacityType === 'spot')).toHaveLength(3);
  });

  it('refuses an empty zone list', () => {
    expect(() => planPurchase(1, [], [], config)).toThrow(/availability zone/);
  });
});

describe('cost model', () => {
  it('prices node-seconds by capacity type', () => {
    expect(costUsd({ onDemandSeconds: 3600, spotSeconds: 7200 }, config)).toBeCloseTo(
      0.0416 + 2 * 0.0125,
    );
    expect(nodeHours({ onDemandSeconds: 1800, spotSeconds: 1800 })).toBe(1);
    expect(staticFleetCostUsd(5, 86400, config)).toBeCloseTo(5 * 24 * 0.0416);
  });
});
