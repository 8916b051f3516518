import type { NodeInfo } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { decide, parseConfig, pickVictim } from '../../src/index.js';
import { priceBook } from '../../src/prices.js';
import { MiB, NOW, node, pod, snapshot, state } from './fixtures.js';

// Issue #23: with several instance types, scale-down removes the node whose
// removal saves the most per hour among those whose pods fit elsewhere.

const config = parseConfig({ instance: { types: ['t3.medium', 't3.large'] } });
const large = (overrides: Partial<NodeInfo> = {}) =>
  node({
    instanceType: 't3.large',
    allocatable: { cpuMillis: 1800, memoryBytes: 7680 * MiB },
    ...overrides,
  });
const medium = (overrides: Partial<NodeInfo> = {}) =>
  node({ instanceType: 't3.medium', ...overrides });
const web = () => pod({ hasPdb: true });

describe('pickVictim by savings', () => {
  it('prefers the dearer type over the emptier node when both can go', () => {
    const big = large({ pods: [web(), web()] });
    const empty = medium();
    const choice = pickVictim([empty, big, medium()], config, NOW);
    expect(choice.ok && choice.node.name).toBe(big.name);
    expect(choice.ok && choice.savesHourlyUsd).toBe(0.0832);
  });

  it('weighs the capacity type in the price: an on-demand medium before a Spot large', () => {
    // t3.large Spot is estimated at 30 % of 0.0832 (0.025), below 0.0416.
    const spotLarge = large({ capacityType: 'spot' });
    const onDemandMedium = medium({ pods: [web()] });
    const choice = pickVictim([spotLarge, onDemandMedium, medium({ pods: [web()] })], config, NOW);
    expect(choice.ok && choice.node.name).toBe(onDemandMedium.name);
  });

  it('passes over the biggest saving when its pods would not fit, and says so', () => {
    // The large node's six pods need 3000m; the two mediums have room for two more each.
    const big = large({
      allocatable: { cpuMillis: 3800, memoryBytes: 7680 * MiB },
      pods: [web(), web(), web(), web(), web(), web()],
    });
    const a = medium({ pods: [web()] });
    const b = medium({ pods: [web()] });
    const choice = pickVictim([big, a, b], config, NOW);
    expect(choice.ok && choice.node.name).toBe(a.name);
    expect(choice.rejected).toEqual([{ nodeName: big.name, code: 'pods-would-not-fit' }]);
  });

  it('breaks a tie of savings by today order: fewest requests to move', () => {
    const busy = large({ pods: [web(), web()] });
    const light = large({ pods: [web()] });
    const choice = pickVictim([busy, light, medium()], config, NOW);
    expect(choice.ok && choice.node.name).toBe(light.name);
  });

  it('keeps today order with one type, even on-demand beside Spot, and reports no saving', () => {
    const loadedOnDemand = medium({ pods: [web(), web()] });
    const emptySpot = medium({ capacityType: 'spot' });
    const choice = pickVictim([loadedOnDemand, emptySpot, medium({ pods: [web()] })], config, NOW);
    expect(choice.ok && choice.node.name).toBe(emptySpot.name);
    expect(choice.ok && 'savesHourlyUsd' in choice).toBe(false);
  });

  it('says the saving in the decision', () => {
    const big = large({ pods: [web()] });
    const d = decide(
      snapshot([medium(), big, medium()], [], { cpu: 0.1, memory: 0.1 }),
      state(),
      config,
      NOW,
    );
    expect(d.kind === 'scale-down' && d.victim.nodeName).toBe(big.name);
    expect(d.reasons.at(-1)?.message).toBe(
      `removing ${big.name}: its 1 pod(s) fit on the other nodes; it saves $0.0832/h (t3.large), the most of the removable nodes`,
    );
  });
});

describe('savings priced by the decider catalog', () => {
  it('uses the current Spot prices the decider passes, not the estimate', () => {
    // Estimated, a t3.large Spot (0.025) saves less than an on-demand t3.medium
    // (0.0416); at a current Spot price of 0.05 it saves more.
    const spotLarge = large({ capacityType: 'spot' });
    const onDemandMedium = medium({ pods: [web()] });
    const nodes = [spotLarge, onDemandMedium, medium({ pods: [web()] })];
    const snap = snapshot(nodes, [], { cpu: 0.1, memory: 0.1 });
    const estimated = decide(snap, state(), config, NOW);
    expect(estimated.kind === 'scale-down' && estimated.victim.nodeName).toBe(onDemandMedium.name);
    const book = priceBook(config, { spot: new Map([['t3.large', 0.05]]) });
    const catalog = { types: [], prices: book };
    const priced = decide(snap, state(), config, NOW, catalog);
    expect(priced.kind === 'scale-down' && priced.victim.nodeName).toBe(spotLarge.name);
  });
});
