import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config.js';
import { hourlyPrice } from '../../src/cost-model.js';
import { ON_DEMAND_HOURLY_USD } from '../../src/on-demand-prices.js';
import { priceBook } from '../../src/prices.js';
import { accountSpend } from '../../src/spend.js';

describe('priceBook', () => {
  const book = priceBook(defaultConfig);

  it('prices on-demand by type from the table', () => {
    expect(book.hourlyUsd('t3.large', 'on-demand')).toBe(0.0832);
    expect(book.hourlyUsd('m7g.large', 'on-demand')).toBe(0.0816);
    // The default single type's table price is the configured default.
    expect(book.hourlyUsd('t3.medium', 'on-demand')).toBe(defaultConfig.pricing.onDemandHourlyUsd);
  });

  it('keeps the configured prices as those of a single instance.type', () => {
    const config = parseConfig({
      instance: { type: 't3.large' },
      pricing: { onDemandHourlyUsd: 0.07, spotHourlyUsd: 0.02 },
    });
    expect(priceBook(config).hourlyUsd('t3.large', 'on-demand')).toBe(0.07);
    expect(priceBook(config).hourlyUsd('t3.large', 'spot')).toBe(0.02);
    // Other types still come from the table; with a list, the table prices every type.
    expect(priceBook(config).hourlyUsd('t3.medium', 'on-demand')).toBe(0.0416);
    const list = parseConfig({
      instance: { types: ['t3.large', 't3.medium'] },
      pricing: { onDemandHourlyUsd: 0.07, spotHourlyUsd: 0.02 },
    });
    expect(priceBook(list).hourlyUsd('t3.large', 'on-demand')).toBe(0.0832);
  });

  it('falls back to the configured prices for a type or region the table lacks', () => {
    const config = parseConfig({ pricing: { onDemandHourlyUsd: 0.5, spotHourlyUsd: 0.1 } });
    expect(priceBook(config).hourlyUsd('x9.huge', 'on-demand')).toBe(0.5);
    expect(priceBook(config, { region: 'ap-south-2' }).hourlyUsd('t3.large', 'on-demand')).toBe(
      0.5,
    );
    expect(priceBook(config).hourlyUsd(undefined, 'spot')).toBe(0.1);
  });

  it('prices Spot from current prices, else as the configured share of on-demand', () => {
    const spot = new Map([['t3.large', 0.03]]);
    expect(priceBook(defaultConfig, { spot }).hourlyUsd('t3.large', 'spot')).toBe(0.03);
    const share = defaultConfig.pricing.spotHourlyUsd / defaultConfig.pricing.onDemandHourlyUsd;
    expect(book.hourlyUsd('m7i.large', 'spot')).toBeCloseTo(0.1008 * share, 10);
  });

  it('has a us-east-1 table of positive prices', () => {
    const prices = Object.values(ON_DEMAND_HOURLY_USD['us-east-1'] ?? {});
    expect(prices.length).toBeGreaterThan(30);
    expect(prices.every((p) => p > 0 && p < 1)).toBe(true);
  });
});

describe('spend by instance type', () => {
  const from = new Date('2026-12-01T00:00:00Z');
  const to = new Date('2026-12-01T02:00:00Z');

  it('bills each worker at its type price with a price book, at the configured price without', () => {
    const events = [
      {
        at: from,
        type: 'observed' as const,
        workers: [
          { id: 'i-1', capacityType: 'on-demand' as const, instanceType: 't3.large' },
          { id: 'i-2', capacityType: 'on-demand' as const, instanceType: 't3.medium' },
        ],
      },
    ];
    const byType = accountSpend(events, from, to, defaultConfig, 0, priceBook(defaultConfig));
    expect(byType.byCapacityType['on-demand'].usd).toBeCloseTo(2 * (0.0832 + 0.0416), 10);
    const flat = accountSpend(events, from, to, defaultConfig, 0);
    expect(flat.byCapacityType['on-demand'].usd).toBeCloseTo(2 * 2 * 0.0416, 10);
    expect(hourlyPrice('on-demand', defaultConfig, 't3.large')).toBe(0.0416);
  });
});
