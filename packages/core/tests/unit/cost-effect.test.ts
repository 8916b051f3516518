// A scale-up that names its types (issue #23) is priced per type in the
// audit, not as the configured single type.
import { describe, expect, it } from 'vitest';
import { decisionCostEffect, parseConfig, priceBook } from '../../src/index.js';
import { snapshot } from './fixtures.js';

describe('decisionCostEffect of a scale-up with launches', () => {
  const config = parseConfig({
    instance: { types: ['t3.medium', 'c7g.xlarge'] },
    purchase: { spotShare: 0.5, onDemandBase: 0 },
  });
  const prices = priceBook(config, {
    spot: new Map([
      ['t3.medium', 0.0125],
      ['c7g.xlarge', 0.05],
    ]),
  });

  it('prices each slot at its chosen type and capacity type', () => {
    const effect = decisionCostEffect(
      {
        kind: 'scale-up',
        count: 2,
        launches: [
          { instanceType: 'c7g.xlarge', count: 1 },
          { instanceType: 't3.medium', count: 1 },
        ],
        reasons: [],
      },
      snapshot([], []),
      config,
      prices,
    );
    // The purchase plan buys slot 0 on-demand and slot 1 Spot: c7g.xlarge
    // on-demand (0.145) + t3.medium Spot (0.0125), not 2 x t3.medium.
    expect(effect).toEqual({
      onDemandNodes: 1,
      spotNodes: 1,
      onDemandHourlyUsd: 0.145,
      spotHourlyUsd: 0.0125,
      hourlyUsd: 0.1575,
    });
    const untyped = decisionCostEffect(
      { kind: 'scale-up', count: 2, reasons: [] },
      snapshot([], []),
      config,
      prices,
    );
    expect(untyped?.hourlyUsd).toBeLessThan(effect?.hourlyUsd ?? 0);
  });
});
