// The decider reads Spot prices before deciding, so core decides on data:
// with several instance types the catalog carries EC2's current Spot prices,
// with one type no price is asked for, and a Spot read that fails leaves the
// decision to the on-demand-share estimate, said in a warning.
import { K3S_MAX_PODS, parseConfig, type ResolvedInstanceType } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { currentCatalog } from '../../instance-catalog.js';

function type(name: string, architecture: 'x86_64' | 'arm64'): ResolvedInstanceType {
  return {
    instanceType: name,
    vcpu: 2,
    memoryMiB: 8192,
    architecture,
    currentGeneration: true,
    capacity: { cpuMillis: 2000, memoryBytes: 8192 * 1024 ** 2 },
    network: { maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 12, eniMaxPods: 35 },
    maxPods: K3S_MAX_PODS,
  };
}
const config = parseConfig({
  instance: { types: ['t3.large', 'm7g.large'], zones: ['us-east-1a'] },
});
const types = [type('t3.large', 'x86_64'), type('m7g.large', 'arm64')];

describe('currentCatalog', () => {
  it('prices Spot at what EC2 quotes now, for the worker zones', async () => {
    const asked: unknown[] = [];
    const catalog = await currentCatalog(
      types,
      config,
      'us-east-1',
      async (names, zones) => {
        asked.push([names, zones]);
        return new Map([['m7g.large', 0.0123]]);
      },
      () => {},
    );
    expect(asked).toEqual([[['t3.large', 'm7g.large'], ['us-east-1a']]]);
    expect(catalog?.types).toBe(types);
    expect(catalog?.prices.hourlyUsd('m7g.large', 'spot')).toBe(0.0123);
    expect(catalog?.prices.hourlyUsd('t3.large', 'on-demand')).toBe(0.0832);
  });

  it('asks nothing with one type: the decision is the single-type one', async () => {
    let asked = false;
    const catalog = await currentCatalog(
      [type('t3.large', 'x86_64')],
      config,
      'us-east-1',
      async () => {
        asked = true;
        return new Map();
      },
      () => {},
    );
    expect(catalog).toBeUndefined();
    expect(asked).toBe(false);
  });

  it('estimates Spot from on-demand when EC2 cannot be read, and says so', async () => {
    const warnings: string[] = [];
    const catalog = await currentCatalog(
      types,
      config,
      'us-east-1',
      async () => {
        throw new Error('RequestLimitExceeded');
      },
      (line) => warnings.push(line),
    );
    expect(warnings).toEqual([
      'Spot prices could not be read (RequestLimitExceeded); Spot is estimated as the configured share of on-demand',
    ]);
    const share = config.pricing.spotHourlyUsd / config.pricing.onDemandHourlyUsd;
    expect(catalog?.prices.hourlyUsd('t3.large', 'spot')).toBeCloseTo(0.0832 * share, 6);
  });
});
