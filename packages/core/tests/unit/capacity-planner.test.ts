import { describe, expect, it } from 'vitest';
import {
  defaultConfig as config,
  parseConfig,
  planScaleUp,
  podAllocatable,
} from '../../src/index.js';
import { MiB, pending } from './fixtures.js';

describe('planScaleUp', () => {
  it('sizes a flash sale of 20 pods of 500m/512Mi on t3.medium to 7 nodes', () => {
    // t3.medium 2000m - 100m reserved - 100m DaemonSets = 1800m: 3 pods of 500m per node.
    expect(podAllocatable(config).cpuMillis).toBe(1800);
    const plan = planScaleUp(
      { pendingPods: pending(20), currentWorkers: 2, incomingWorkers: 0 },
      config,
    );
    expect(plan).toMatchObject({ nodesNeeded: 7, nodesToAdd: 7, cappedBy: null, tooLarge: 0 });
  });

  it('is bound by memory when memory is the scarce resource', () => {
    const pods = pending(10, 60, { cpuMillis: 100, memoryBytes: 1500 * MiB });
    // 3584Mi allocatable -> two 1500Mi pods per node.
    expect(
      planScaleUp({ pendingPods: pods, currentWorkers: 2, incomingWorkers: 0 }, config).nodesNeeded,
    ).toBe(5);
  });

  it('packs mixed sizes first-fit decreasing', () => {
    const big = pending(3, 60, { cpuMillis: 1200 });
    const small = pending(3, 60, { cpuMillis: 500 });
    // each node: one 1200m + one 500m = 1700m <= 1800m
    expect(
      planScaleUp(
        { pendingPods: [...small, ...big], currentWorkers: 2, incomingWorkers: 0 },
        config,
      ).nodesNeeded,
    ).toBe(3);
  });

  it('fills nodes already launching before asking for more', () => {
    const plan = planScaleUp(
      { pendingPods: pending(8), currentWorkers: 4, incomingWorkers: 2 },
      config,
    );
    expect(plan).toMatchObject({ podsOnIncoming: 6, nodesNeeded: 1, nodesToAdd: 1 });
  });

  it('caps by max and by step and says which', () => {
    expect(
      planScaleUp({ pendingPods: pending(20), currentWorkers: 7, incomingWorkers: 0 }, config),
    ).toMatchObject({ nodesNeeded: 7, nodesToAdd: 3, cappedBy: 'max' });
    const stepped = parseConfig({ scaleUp: { maxStep: 2 } });
    expect(
      planScaleUp({ pendingPods: pending(20), currentWorkers: 2, incomingWorkers: 0 }, stepped),
    ).toMatchObject({ nodesToAdd: 2, cappedBy: 'step' });
  });

  it('sets aside pods no node could hold', () => {
    const plan = planScaleUp(
      {
        pendingPods: [...pending(1, 60, { memoryBytes: 8192 * MiB }), ...pending(2)],
        currentWorkers: 2,
        incomingWorkers: 0,
      },
      config,
    );
    expect(plan).toMatchObject({ tooLarge: 1, nodesNeeded: 1 });
  });
});
