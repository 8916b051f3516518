import { emptyClusterState } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import {
  type ClusterFacts,
  checkInvariants,
  type NodeFact,
  type PeakFact,
} from '../../src/soak/invariants.ts';

const config = parseConfig({ workers: { min: 2, max: 3 } });
const at = new Date('2026-12-01T20:00:00Z');
const node = (id: string, more: Partial<NodeFact> = {}): NodeFact => ({
  name: id,
  instanceId: id,
  ready: true,
  managed: true,
  unschedulable: false,
  cordonedBy: null,
  ...more,
});
const healthy: ClusterFacts = {
  at,
  instances: [
    { instanceId: 'i-a', state: 'running', actionId: 'A1' },
    { instanceId: 'i-b', state: 'running', actionId: 'A1' },
    { instanceId: 'i-c', state: 'terminated', actionId: 'A0' },
  ],
  nodes: [node('i-a'), node('i-b')],
  state: emptyClusterState('c'),
  deadLetters: { decider: [] },
  lockBefore: null,
  lockAfter: null,
  lockGapMs: 60_000,
};
const quietPeak: PeakFact = { count: 2, at: at.toISOString(), instances: [] };
const broken = (facts: ClusterFacts, peak = quietPeak) =>
  checkInvariants(facts, config, peak, 30_000)
    .filter((v) => !v.held)
    .map((v) => v.invariant[0]);

describe('the soak invariants', () => {
  it('all hold on a converged cluster', () => {
    expect(broken(healthy)).toEqual([]);
  });

  it('name an orphan instance and a ghost Node', () => {
    const facts = {
      ...healthy,
      instances: [...healthy.instances, { instanceId: 'i-d', state: 'pending', actionId: 'A2' }],
      nodes: [...healthy.nodes, node('i-c', { ready: false })],
    };
    const [v] = checkInvariants(facts, config, quietPeak, 30_000);
    expect(v?.held).toBe(false);
    expect(v?.evidence.join('\n')).toMatch(/orphan: i-d/);
    expect(v?.evidence.join('\n')).toMatch(/ghost: managed Node i-c .*terminated/);
  });

  it('break on a SmartScale cordon whose action is not in flight, not on one that is', () => {
    const cordoned = {
      ...healthy,
      nodes: [node('i-a', { cordonedBy: 'D1', unschedulable: true }), node('i-b')],
    };
    expect(broken(cordoned)).toEqual(['2']);
    const live = {
      ...cordoned,
      state: {
        ...healthy.state,
        inFlight: [
          {
            actionId: 'D1',
            kind: 'scale-down' as const,
            startedAt: at.toISOString(),
            pendingJoins: 0,
            instanceIds: [],
            settledInstanceIds: [],
          },
        ],
      },
    };
    expect(broken(live)).toEqual([]);
  });

  it('break on an action in flight past its deadline', () => {
    const old = new Date(at.getTime() - 3_600_000).toISOString();
    const facts = {
      ...healthy,
      state: {
        ...healthy.state,
        inFlight: [
          {
            actionId: 'U1',
            kind: 'scale-up' as const,
            startedAt: old,
            pendingJoins: 1,
            instanceIds: [],
            settledInstanceIds: [],
          },
        ],
      },
    };
    expect(broken(facts)).toEqual(['3']);
  });

  it('break when the run ever went above max, even if the end is within bounds', () => {
    expect(broken(healthy, { count: 4, at: at.toISOString(), instances: [] })).toEqual(['4']);
  });

  it('accept a dead letter with a reason and break on one without', () => {
    const reasoned = {
      ...healthy,
      deadLetters: { notifier: [{ type: 'RepairMade', reason: 'webhook 404' }] },
    };
    expect(broken(reasoned)).toEqual([]);
    const silent = {
      ...healthy,
      deadLetters: { provisioner: [{ type: 'ScaleUp', reason: null }] },
    };
    expect(broken(silent)).toEqual(['5']);
  });

  it('break on a lock held by the same lease across a whole lease length', () => {
    const held = { owner: 'decider-1', fence: 7, live: true };
    expect(broken({ ...healthy, lockBefore: held, lockAfter: held })).toEqual(['6']);
    expect(broken({ ...healthy, lockBefore: held, lockAfter: { ...held, fence: 8 } })).toEqual([]);
  });
});
