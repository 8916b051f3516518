import { describe, expect, it } from 'vitest';
import { fallbacks, launchOrder } from '../../src/fallback-order.js';

const zones = ['a', 'b', 'c'];
const show = (o: { zone: string; capacityType: string; instanceTypes?: readonly string[] }) =>
  `${o.instanceTypes?.join('+') ?? '*'} ${o.zone}/${o.capacityType}`;

describe('launchOrder (issue #23)', () => {
  it('without a replaced type is the first pool, then fallbacks, each offering the slot tiers', () => {
    expect(launchOrder({ zone: 'b', capacityType: 'spot', zones }).map(show)).toEqual([
      '* b/spot',
      '* a/spot',
      '* c/spot',
      '* b/on-demand',
      '* a/on-demand',
      '* c/on-demand',
    ]);
    expect(fallbacks('b', 'spot', zones).map(show)).toEqual(
      launchOrder({ zone: 'b', capacityType: 'spot', zones }).slice(1).map(show),
    );
  });

  it('with one type a replacement tries the same pools in the same order as before', () => {
    const order = launchOrder({
      zone: 'b',
      capacityType: 'spot',
      zones,
      replaced: { instanceType: 't3.medium' },
      others: [],
    });
    expect(order.map((o) => `${o.zone}/${o.capacityType}`)).toEqual(
      [{ zone: 'b', capacityType: 'spot' }, ...fallbacks('b', 'spot', zones)].map(
        (o) => `${o.zone}/${o.capacityType}`,
      ),
    );
    expect(new Set(order.map((o) => o.instanceTypes?.join()))).toEqual(new Set(['t3.medium']));
  });

  it('a replacement: its type in its zone, then in the other zones, then other types by cost, then on-demand', () => {
    const order = launchOrder({
      zone: 'b',
      capacityType: 'spot',
      zones,
      replaced: { instanceType: 't3.medium', alternatives: ['t3a.medium'] },
      others: [
        // Cheaper on-demand but dearer Spot than t3.large: each capacity type ranks by its own cost.
        { instanceType: 'm7i.large', cost: { spot: 0.04, 'on-demand': 0.05 } },
        { instanceType: 't3.large', cost: { spot: 0.03, 'on-demand': 0.08 } },
        { instanceType: 't3a.medium', cost: { spot: 0.01, 'on-demand': 0.0376 } },
      ],
    });
    expect(order.map(show)).toEqual([
      't3.medium+t3a.medium b/spot',
      't3.medium+t3a.medium a/spot',
      't3.medium+t3a.medium c/spot',
      't3.large b/spot',
      't3.large a/spot',
      't3.large c/spot',
      'm7i.large b/spot',
      'm7i.large a/spot',
      'm7i.large c/spot',
      // On-demand: the replaced type alone first (lowest-price would take the cheapest offered).
      't3.medium b/on-demand',
      't3.medium a/on-demand',
      't3.medium c/on-demand',
      't3a.medium b/on-demand',
      't3a.medium a/on-demand',
      't3a.medium c/on-demand',
      'm7i.large b/on-demand',
      'm7i.large a/on-demand',
      'm7i.large c/on-demand',
      't3.large b/on-demand',
      't3.large a/on-demand',
      't3.large c/on-demand',
    ]);
  });

  it('keeps the given order of types that cost the same', () => {
    const order = launchOrder({
      zone: 'a',
      capacityType: 'spot',
      zones: ['a'],
      replaced: { instanceType: 'x' },
      others: [
        { instanceType: 'y', cost: { spot: 1, 'on-demand': 1 } },
        { instanceType: 'z', cost: { spot: 1, 'on-demand': 1 } },
      ],
    });
    expect(order.map(show)).toEqual([
      'x a/spot',
      'y a/spot',
      'z a/spot',
      'x a/on-demand',
      'y a/on-demand',
      'z a/on-demand',
    ]);
  });
});
