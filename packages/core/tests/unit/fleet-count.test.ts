import { RepairCode } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyLedgerRepairs,
  applyOutcome,
  countFleet,
  decide,
  parseConfig,
  planLedgerRepairs,
  startAction,
} from '../../src/index.js';
import { ago, NOW, node, nodes, pending, snapshot, state } from './fixtures.js';

// Found by the chaos soak (issue #19, seed 3): a sample taken before a
// worker's NodeJoined reached the ledger shows neither its Node nor a
// pending join, so the decider saw one worker fewer and launched above max.
describe('a sample older than the ledger', () => {
  const config = parseConfig({ workers: { min: 2, max: 4 } });

  it('counts a worker that joined after the sample was taken, and launches nothing above max', () => {
    const sampleTakenAt = new Date(NOW.getTime() - 6_000);
    let s = startAction(
      state(),
      { kind: 'scale-up', count: 1, reasons: [{ code: 'pending-pods', message: 'x' }] },
      'A-up',
      new Date(NOW.getTime() - 120_000),
    );
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: 'A-up', instanceIds: ['i-new'] },
      NOW,
    );
    // NodeJoined recorded 3 s ago, after the sample below was taken.
    s = applyOutcome(
      s,
      { type: 'NodeJoined', actionId: 'A-up', instanceId: 'i-new' },
      new Date(NOW.getTime() - 3_000),
    );
    expect(s.inFlight).toEqual([]);

    const sample = { ...snapshot(nodes(3), pending(6)), takenAt: sampleTakenAt.toISOString() };
    expect(countFleet(sample, s).workers).toBe(4);
    const d = decide(sample, s, config, NOW);
    // The old count saw 3 of 4 and launched one more: 5 workers over a max of 4.
    expect(d.kind).toBe('hold');
  });

  it('does not count it twice once the sample shows its Node, nor once the sample is newer', () => {
    const s = applyOutcome(
      state(),
      { type: 'NodeJoined', actionId: 'A-gone', instanceId: 'i-new' },
      new Date(NOW.getTime() - 3_000),
    );
    const withNode = {
      ...snapshot([...nodes(3), node({ instanceId: 'i-new' })]),
      takenAt: ago(6),
    };
    expect(countFleet(withNode, s).workers).toBe(4);
    const newer = { ...snapshot(nodes(3)), takenAt: NOW.toISOString() };
    expect(countFleet(newer, s).workers).toBe(3);
  });

  it('remembers each join once and forgets joins after 15 minutes', () => {
    let s = state();
    s = applyOutcome(
      s,
      { type: 'NodeJoined', actionId: 'A', instanceId: 'i-1' },
      new Date(NOW.getTime() - 1_000_000),
    );
    s = applyOutcome(s, { type: 'NodeJoined', actionId: 'A', instanceId: 'i-2' }, NOW);
    s = applyOutcome(s, { type: 'NodeJoined', actionId: 'A', instanceId: 'i-2' }, NOW);
    expect(s.recentJoins?.map((j) => j.instanceId)).toEqual(['i-2']);
  });

  // Found by the chaos soak (issue #19, CI seed 1): the reconciler closed a
  // scale-up as action-done on its worker's Ready Node 7 s before the
  // join-verifier's NodeJoined; the decider then evaluated a sample taken
  // before that Node registered, counted 9 and launched the 11th of max 10.
  it('counts the workers of an action the reconciler closed as done after the sample was taken', () => {
    let s = startAction(
      state(),
      { kind: 'scale-up', count: 1, reasons: [{ code: 'pending-pods', message: 'x' }] },
      'A-up',
      new Date(NOW.getTime() - 20_000),
    );
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: 'A-up', instanceIds: ['i-new'] },
      new Date(NOW.getTime() - 15_000),
    );
    s = applyLedgerRepairs(
      s,
      [{ code: RepairCode.ActionDone, repairedActionId: 'A-up', reason: 'x', since: ago(20) }],
      new Date(NOW.getTime() - 3_000),
    );
    expect(s.inFlight).toEqual([]);
    const sample = { ...snapshot(nodes(3), pending(6)), takenAt: ago(6) };
    expect(countFleet(sample, s).workers).toBe(4);
    expect(decide(sample, s, config, NOW).kind).toBe('hold');
    // A sample taken after the repair shows the Node itself: not counted twice.
    const newer = {
      ...snapshot([...nodes(3), node({ instanceId: 'i-new' })]),
      takenAt: NOW.toISOString(),
    };
    expect(countFleet(newer, s).workers).toBe(4);
  });

  // Found by `npm run demo` (13 Ready workers of max 10): at 60x the
  // decider's queue runs seconds behind, so the reconciler closed a scale-up
  // as action-done on its workers' tags and Ready Nodes before the
  // InstancesLaunched reached the ledger. The ledger had no instance ids to
  // remember as joins, and a sample taken before those Nodes registered saw
  // neither them nor the action: each such scale-up launched 2 more.
  it('counts the workers of an action closed as done before its launch report reached the ledger', () => {
    let s = startAction(
      state(),
      { kind: 'scale-up', count: 2, reasons: [{ code: 'pending-pods', message: 'x' }] },
      'A-up',
      new Date(NOW.getTime() - 20_000),
    );
    expect(s.inFlight[0]?.instanceIds).toEqual([]);
    const launched = (instanceId: string) => ({
      instanceId,
      state: 'running',
      actionId: 'A-up',
      launchedAt: ago(18),
    });
    const readyNode = (instanceId: string) => ({
      name: instanceId,
      instanceId,
      managed: true,
      ready: true,
      unschedulable: false,
    });
    const view = {
      instances: [launched('i-new1'), launched('i-new2')],
      nodes: [readyNode('i-new1'), readyNode('i-new2')],
      state: s,
    };
    const repairs = planLedgerRepairs(view, config, new Date(NOW.getTime() - 3_000));
    expect(repairs.map((r) => r.code)).toEqual([RepairCode.ActionDone]);
    s = applyLedgerRepairs(s, repairs, new Date(NOW.getTime() - 3_000));
    expect(s.inFlight).toEqual([]);

    const sample = { ...snapshot(nodes(2), pending(6)), takenAt: ago(6) };
    // The old ledger remembered nothing: 2 of 4, and a scale-up by 2 (6 of max 4).
    expect(countFleet(sample, s).workers).toBe(4);
    expect(decide(sample, s, config, NOW).kind).toBe('hold');
    // Its late launch report changes nothing, and a newer sample with the Nodes counts them once.
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: 'A-up', instanceIds: ['i-new1', 'i-new2'] },
      NOW,
    );
    const newer = {
      ...snapshot([...nodes(2), node({ instanceId: 'i-new1' }), node({ instanceId: 'i-new2' })]),
      takenAt: NOW.toISOString(),
    };
    expect(countFleet(newer, s).workers).toBe(4);
  });

  it('remembers no join for a scale-down the reconciler closed', () => {
    const s = applyLedgerRepairs(
      startAction(
        state(),
        {
          kind: 'scale-down',
          victim: { nodeName: 'n1', instanceId: 'i-1' },
          reasons: [{ code: 'cpu-low', message: 'x' }],
        } as never,
        'A-down',
        new Date(NOW.getTime() - 20_000),
      ),
      [{ code: RepairCode.ActionDone, repairedActionId: 'A-down', reason: 'x', since: ago(20) }],
      NOW,
    );
    expect(s.recentJoins ?? []).toEqual([]);
  });
});
