import { emptyClusterState } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { actionIdForInstance } from '@smartscale/service-spot-listener/ec2-events';
import { describe, expect, it } from 'vitest';
import {
  type ClusterFacts,
  checkInvariants,
  type NodeFact,
  nextPeak,
  type PeakFact,
  type PodFact,
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
  allocatable: { cpuMilli: 1900, memoryBytes: 3712 * 2 ** 20 },
  ...more,
});
const pod = (name: string, more: Partial<PodFact> = {}): PodFact => ({
  name,
  phase: 'Running',
  nodeName: 'i-a',
  terminating: false,
  requests: { cpuMilli: 500, memoryBytes: 512 * 2 ** 20 },
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
  pods: [pod('shop/web-1'), pod('shop/web-2', { nodeName: 'i-b' })],
  audit: [
    {
      actionId: 'A1',
      at: '2026-12-01T19:50:00Z',
      kind: 'decision',
      summary: 'scale up by 2',
      count: 2,
    },
    {
      actionId: 'A1',
      at: '2026-12-01T19:50:01Z',
      kind: 'outcome',
      summary: 'InstancesLaunched',
      count: null,
    },
    {
      actionId: 'A1',
      at: '2026-12-01T19:50:05Z',
      kind: 'outcome',
      summary: 'NodeJoined',
      count: null,
    },
  ],
  terminations: [{ instanceId: 'i-c', seenAt: at.toISOString(), state: 'terminated', pods: [] }],
};
const quietPeak: PeakFact = { count: 2, at: at.toISOString(), instances: [] };
const broken = (facts: ClusterFacts, peak = quietPeak) =>
  checkInvariants(facts, config, peak, 30_000)
    .filter((v) => !v.held)
    .map((v) => v.invariant.split(' ')[0]);

describe('the soak invariants', () => {
  it('all hold on a converged cluster', () => {
    expect(broken(healthy)).toEqual([]);
  });

  it('break on a cluster left paused, naming who paused it and why', () => {
    const paused = {
      ...healthy,
      state: {
        ...healthy.state,
        paused: { by: 'soak', reason: 'soak: operator pause', at: at.toISOString() },
      },
    };
    expect(broken(paused)).toEqual(['8']);
    const verdict = checkInvariants(paused, config, quietPeak, 30_000).find((v) => !v.held);
    expect(verdict?.evidence).toEqual([
      `paused by soak at ${at.toISOString()}: soak: operator pause`,
    ]);
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
    expect(broken(facts)).toEqual(['3a']);
  });

  it('break when the run ever went above max, even if the end is within bounds', () => {
    expect(broken(healthy, { count: 4, at: at.toISOString(), instances: [] })).toEqual(['4a']);
  });

  it("do not count an interrupted Spot worker beside its live replacement against max, at the peak or the end (seed 2's 11 of 10)", () => {
    const launchedAt = '2026-12-01T19:00:00.000Z';
    const interrupted = { instanceId: 'i-s', state: 'running', actionId: 'A2', launchedAt };
    const replacement = {
      instanceId: 'i-r',
      state: 'pending',
      actionId: actionIdForInstance('i-s', launchedAt),
      launchedAt: '2026-12-01T19:59:58.000Z',
    };
    const atMax: ClusterFacts = {
      ...healthy,
      instances: [...healthy.instances, interrupted, replacement],
      nodes: [...healthy.nodes, node('i-s'), node('i-r')],
    };
    const peak = nextPeak(quietPeak, atMax.instances, at);
    expect(peak).toMatchObject({ count: 3, leaving: [{ instanceId: 'i-s' }] });
    expect(broken(atMax, peak)).toEqual([]);
    // Anything else above max still breaks it: a fifth worker, or a worker
    // whose "replacement" names another launch of it.
    const extra = [...atMax.instances, { instanceId: 'i-x', state: 'running', actionId: 'A3' }];
    expect(nextPeak(quietPeak, extra, at).count).toBe(4);
    const relaunched = [
      ...healthy.instances,
      { ...interrupted, launchedAt: '2026-12-01T19:30:00.000Z' },
      replacement,
    ];
    expect(nextPeak(quietPeak, relaunched, at).count).toBe(4);
    expect(broken({ ...atMax, instances: relaunched }, peak)).toEqual(['4a']);
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
    expect(broken(silent)).toEqual(['6']);
  });

  it('break on a lock held by the same lease across a whole lease length', () => {
    const held = { owner: 'decider-1', fence: 7, live: true };
    expect(broken({ ...healthy, lockBefore: held, lockAfter: held })).toEqual(['7']);
    expect(broken({ ...healthy, lockBefore: held, lockAfter: { ...held, fence: 8 } })).toEqual([]);
  });

  it("break when a closed action's trail ends in its decision, not while it is in flight", () => {
    const audit = [
      ...healthy.audit,
      {
        actionId: 'D2',
        at: '2026-12-01T19:55:00Z',
        kind: 'decision',
        summary: 'scale down i-b',
        count: null,
      },
    ];
    expect(broken({ ...healthy, audit })).toEqual(['3b']);
    const inFlight = {
      ...healthy.state,
      inFlight: [
        {
          actionId: 'D2',
          kind: 'scale-down' as const,
          startedAt: at.toISOString(),
          pendingJoins: 0,
          instanceIds: [],
          settledInstanceIds: [],
        },
      ],
    };
    expect(broken({ ...healthy, audit, state: inFlight })).toEqual([]);
    // A hold opens nothing.
    const hold = [...healthy.audit, { ...audit[3], actionId: 'H1', summary: 'hold' }];
    expect(broken({ ...healthy, audit: hold as typeof healthy.audit })).toEqual([]);
  });

  it('break on a Pending pod below max, or at max with room on a Ready worker', () => {
    const pending = pod('shop/web-3', { phase: 'Pending', nodeName: null });
    const below = checkInvariants(
      { ...healthy, pods: [...healthy.pods, pending] },
      config,
      quietPeak,
      30_000,
    );
    const v = below.find((x) => x.invariant.startsWith('4b'));
    expect(v?.held).toBe(false);
    expect(v?.evidence.join()).toMatch(/1 pods Pending .*2 live workers, below max 3/);
    // At max (3 live) with i-c's room free: the pod should have been placed.
    const atMax = {
      ...healthy,
      instances: [...healthy.instances, { instanceId: 'i-d', state: 'running', actionId: 'A2' }],
      nodes: [...healthy.nodes, node('i-d')],
      audit: [
        ...healthy.audit,
        {
          actionId: 'A2',
          at: '2026-12-01T19:51:00Z',
          kind: 'decision',
          summary: 'scale up by 1',
          count: 1,
        },
        {
          actionId: 'A2',
          at: '2026-12-01T19:51:03Z',
          kind: 'outcome',
          summary: 'NodeJoined',
          count: null,
        },
      ],
      pods: [...healthy.pods, pending],
    };
    expect(broken(atMax)).toEqual(['4b']);
    // At max and every worker full: the pod does not fit on max workers, held.
    const full = {
      ...atMax,
      pods: [
        ...healthy.pods,
        pending,
        pod('shop/big', { nodeName: 'i-a', requests: { cpuMilli: 1400, memoryBytes: 0 } }),
        pod('shop/big2', { nodeName: 'i-b', requests: { cpuMilli: 1400, memoryBytes: 0 } }),
        pod('shop/big3', { nodeName: 'i-d', requests: { cpuMilli: 1500, memoryBytes: 0 } }),
      ],
    };
    expect(broken(full)).toEqual([]);
  });

  it('break on a pod still bound to a Node that no longer exists: it reads Running and runs nowhere', () => {
    const stranded = pod('shop/web-9', { nodeName: 'i-ghost' });
    const v = checkInvariants(
      { ...healthy, pods: [...healthy.pods, stranded] },
      config,
      quietPeak,
      30_000,
    ).find((x) => x.invariant.startsWith('4b'));
    expect(v?.held).toBe(false);
    expect(v?.invariant).toContain('(2 Running, 0 Pending, 2 workers)');
    expect(v?.evidence).toEqual([
      '1 pods bound to a Node that no longer exists (shop/web-9 on i-ghost): not running anywhere until PodGC replaces them',
    ]);
  });

  it('break when an action launched more than its decision asked, a replacement more than one', () => {
    const extra = {
      ...healthy,
      instances: [...healthy.instances, { instanceId: 'i-e', state: 'terminated', actionId: 'A1' }],
    };
    const [v] = checkInvariants(extra, config, quietPeak, 30_000).filter((x) => !x.held);
    expect(v?.invariant).toMatch(/^5a/);
    expect(v?.evidence.join()).toMatch(/A1 asked for 2 and launched 3/);
    const replacement = {
      ...healthy,
      instances: [
        ...healthy.instances,
        { instanceId: 'i-r1', state: 'terminated', actionId: 'R1' },
        { instanceId: 'i-r2', state: 'terminated', actionId: 'R1' },
      ],
    };
    expect(broken(replacement)).toEqual(['5a']);
  });

  it('break on a termination that left pods on the Node', () => {
    const facts = {
      ...healthy,
      terminations: [
        {
          instanceId: 'i-c',
          seenAt: at.toISOString(),
          state: 'shutting-down',
          pods: ['shop/web-9'],
        },
      ],
    };
    expect(broken(facts)).toEqual(['5b']);
  });
});
