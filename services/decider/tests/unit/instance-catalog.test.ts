// The decider reads Spot prices before deciding, so core decides on data:
// with several instance types the catalog carries EC2's current Spot prices,
// with one type no price is asked for, and a Spot read that fails leaves the
// decision to the on-demand-share estimate, said in a warning.
import { type AnyEnvelope, createMessage, emptyClusterState } from '@smartscale/contracts';
import { K3S_MAX_PODS, parseConfig, type ResolvedInstanceType } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { type DeciderPorts, evaluateSample } from '../../decide-action.js';
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

describe('evaluateSample with the catalog port', () => {
  it('packs an arm64 pod onto a Graviton type and the ScaleUp names it', async () => {
    const now = new Date('2026-12-02T05:00:00Z');
    const published: AnyEnvelope[] = [];
    const ports: DeciderPorts<string> = {
      config: parseConfig({ workers: { min: 0 }, instance: { types: ['t3.large', 'm7g.large'] } }),
      now: () => now,
      acquireLock: async () => 'lease',
      releaseLock: async () => {},
      loadState: async () => emptyClusterState('c1'),
      smartscaleInstances: async () => new Set(),
      saveState: async () => {},
      audit: async () => {},
      publish: async (m) => {
        published.push(m);
      },
      instanceCatalog: () =>
        currentCatalog(
          types,
          config,
          'us-east-1',
          async () => new Map(),
          () => {},
        ),
    };
    const sample = createMessage(
      'MetricsSampled',
      {
        takenAt: now.toISOString(),
        nodes: [],
        pendingPods: [
          {
            namespace: 'shop',
            name: 'web-0',
            cpuMillis: 500,
            memoryBytes: 512 * 1024 ** 2,
            pendingSince: new Date(now.getTime() - 60_000).toISOString(),
            nodeSelector: { 'kubernetes.io/arch': 'arm64' },
          },
        ],
        utilization: {
          available: true,
          cpu: { now: 0.5, upWindowMin: 0.5, downWindowMax: 0.5 },
          memory: { now: 0.4, downWindowMax: 0.4 },
        },
      },
      { clusterId: 'c1' },
      now,
    );
    await evaluateSample(sample, ports);
    const scaleUp = published.find((m) => m.type === 'ScaleUp');
    expect(scaleUp?.payload).toMatchObject({
      count: 1,
      launches: [{ instanceType: 'm7g.large', count: 1 }],
    });
  });
});
