import { describe, expect, it } from 'vitest';
import { accountSpend, defaultConfig as config, type FleetEvent } from '../../src/index.js';
import { costEffect } from '../../src/spend.js';

const t0 = new Date('2026-11-22T10:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const od = (id: string) => ({ id, capacityType: 'on-demand' as const });
const spot = (id: string) => ({ id, capacityType: 'spot' as const });

describe('costEffect', () => {
  it('prices added and removed workers by capacity type at the configured prices', () => {
    expect(costEffect(['spot', 'spot', 'on-demand'], [], config)).toEqual({
      onDemandNodes: 1,
      spotNodes: 2,
      onDemandHourlyUsd: 0.0416,
      spotHourlyUsd: 0.025,
      hourlyUsd: 0.0666,
    });
    expect(costEffect([], ['on-demand'], config)).toMatchObject({
      onDemandNodes: -1,
      hourlyUsd: -0.0416,
    });
  });
});

describe('accountSpend', () => {
  it('bills observed and launched workers by type and compares with the static fleet', () => {
    const events: FleetEvent[] = [
      { at: at(0), type: 'observed', workers: [od('i-a'), od('i-b')] },
      { at: at(30), type: 'launched', workers: [spot('i-c')] },
      // i-c joined: still billed from its launch, not from its first sample.
      { at: at(32), type: 'observed', workers: [od('i-a'), od('i-b'), spot('i-c')] },
      { at: at(90), type: 'terminated', id: 'i-b' },
    ];
    const a = accountSpend(events, at(0), at(120), config, 5);
    // on-demand: i-a 120 min + i-b 90 min; spot: i-c 90 min.
    expect(a.byCapacityType['on-demand'].nodeHours).toBeCloseTo(3.5, 9);
    expect(a.byCapacityType.spot.nodeHours).toBeCloseTo(1.5, 9);
    expect(a.usd).toBeCloseTo(3.5 * 0.0416 + 1.5 * 0.0125, 9);
    expect(a.baseline).toEqual({ nodes: 5, nodeHours: 10, usd: 10 * 0.0416 });
    expect(a.savingUsd).toBeCloseTo(10 * 0.0416 - a.usd, 9);
    expect(a.savingShare).toBeCloseTo(a.savingUsd / (10 * 0.0416), 9);
    expect(a.coveredFrom).toBe(at(0).toISOString());
  });

  it('counts only the period asked for, from the fleet known before it', () => {
    const events: FleetEvent[] = [
      { at: at(-60), type: 'observed', workers: [od('i-a'), spot('i-s')] },
      { at: at(150), type: 'terminated', id: 'i-s' },
    ];
    const a = accountSpend(events, at(0), at(60), config, 2);
    expect(a.byCapacityType['on-demand'].nodeHours).toBeCloseTo(1, 9);
    expect(a.byCapacityType.spot.nodeHours).toBeCloseTo(1, 9);
    expect(a.baseline.nodeHours).toBeCloseTo(2, 9);
  });

  it('drops a worker a later sample no longer sees, but keeps one still booting', () => {
    const events: FleetEvent[] = [
      { at: at(0), type: 'observed', workers: [od('i-a'), spot('i-gone')] },
      { at: at(5), type: 'launched', workers: [spot('i-boot')] },
      { at: at(6), type: 'observed', workers: [od('i-a')] },
    ];
    const a = accountSpend(events, at(0), at(60), config, 1);
    // i-gone: 6 min; i-boot: 55 min, never seen but launched.
    expect(a.byCapacityType.spot.nodeHours * 60).toBeCloseTo(6 + 55, 9);
    expect(a.byCapacityType['on-demand'].nodeHours).toBeCloseTo(1, 9);
  });

  it('counts nothing before the fleet is first known, and says from when it counted', () => {
    const events: FleetEvent[] = [{ at: at(30), type: 'observed', workers: [od('i-a')] }];
    const a = accountSpend(events, at(0), at(60), config, 4);
    expect(a.coveredFrom).toBe(at(30).toISOString());
    expect(a.nodeHours).toBeCloseTo(0.5, 9);
    expect(a.baseline.nodeHours).toBeCloseTo(2, 9);
    expect(accountSpend([], at(0), at(60), config, 4)).toMatchObject({
      coveredFrom: null,
      usd: 0,
      savingShare: null,
    });
  });

  it('refuses a period that ends before it starts', () => {
    expect(() => accountSpend([], at(10), at(0), config, 1)).toThrow(/is before/);
  });
});
