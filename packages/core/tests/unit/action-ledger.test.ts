import { ClusterStateSchema, type Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  incomingWorkers,
  isRecentlyClosed,
  joiningInstanceIds,
  LedgerMemory,
} from '../../src/action-ledger.js';
import {
  applyOutcome,
  defaultConfig as config,
  expireStaleActions,
  startAction,
} from '../../src/index.js';
import { NOW, state } from './fixtures.js';

const A = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const up: Decision = {
  kind: 'scale-up',
  count: 2,
  reasons: [{ code: 'pending-pods', message: 'x' }],
};

describe('action ledger', () => {
  it('tracks a scale-up from decision to the last join', () => {
    let s = startAction(state(), up, A, NOW);
    expect(s.lastScaleUpAt).toBe(NOW.toISOString());
    expect(incomingWorkers(s)).toBe(2);
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-00000001', 'i-00000002'] },
      NOW,
    );
    s = applyOutcome(s, { type: 'NodeJoined', actionId: A, instanceId: 'i-00000001' }, NOW);
    expect(incomingWorkers(s)).toBe(1);
    s = applyOutcome(s, { type: 'JoinFailed', actionId: A, instanceId: 'i-00000002' }, NOW);
    expect(s.inFlight).toEqual([]);
  });

  it('ignores replayed outcomes', () => {
    let s = startAction(state(), up, A, NOW);
    const launched = {
      type: 'InstancesLaunched',
      actionId: A,
      instanceIds: ['i-00000001', 'i-00000002'],
    } as const;
    s = applyOutcome(applyOutcome(s, launched, NOW), launched, NOW);
    const joined = { type: 'NodeJoined', actionId: A, instanceId: 'i-00000001' } as const;
    s = applyOutcome(applyOutcome(s, joined, NOW), joined, NOW);
    expect(incomingWorkers(s)).toBe(1);
  });

  it('counts only what was launched when capacity ran short', () => {
    let s = startAction(state(), { ...up, count: 3 }, A, NOW);
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-00000001'] },
      NOW,
    );
    expect(incomingWorkers(s)).toBe(1);
  });

  it('tracks replacement launches it did not decide', () => {
    const s = applyOutcome(
      state(),
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-00000009'] },
      NOW,
    );
    expect(s.inFlight[0]).toMatchObject({ kind: 'replace', pendingJoins: 1 });
  });

  it('closes a scale-down on NodeRemoved or ActionFailed', () => {
    const down: Decision = {
      kind: 'scale-down',
      victim: { nodeName: 'n1', instanceId: 'i-00000001' },
      reasons: [{ code: 'cpu-low', message: 'x' }],
    };
    const s = startAction(state(), down, A, NOW);
    expect(s.lastScaleDownAt).toBe(NOW.toISOString());
    expect(applyOutcome(s, { type: 'NodeRemoved', actionId: A }, NOW).inFlight).toEqual([]);
    expect(applyOutcome(s, { type: 'ActionFailed', actionId: A }, NOW).inFlight).toEqual([]);
  });

  it('expires actions whose outcome never came', () => {
    const s = startAction(state(), up, A, new Date(NOW.getTime() - 60 * 60_000));
    const { state: next, expired } = expireStaleActions(s, config, NOW);
    expect(expired.map((a) => a.actionId)).toEqual([A]);
    expect(next.inFlight).toEqual([]);
    expect(expireStaleActions(startAction(state(), up, A, NOW), config, NOW).expired).toEqual([]);
    // Its launch report, an hour late, opens nothing.
    const late = applyOutcome(
      next,
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-00000001'] },
      NOW,
    );
    expect(late).toBe(next);
    expect(next.closed).toMatchObject([{ actionId: A, end: 'expired' }]);
  });

  it('settles a join that arrives before the launch report, so the report adds nothing phantom', () => {
    let s = startAction(state(), up, A, NOW);
    s = applyOutcome(s, { type: 'NodeJoined', actionId: A, instanceId: 'i-00000001' }, NOW);
    expect(incomingWorkers(s)).toBe(1);
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-00000001', 'i-00000002'] },
      NOW,
    );
    expect(incomingWorkers(s)).toBe(1);
    expect([...joiningInstanceIds(s)]).toEqual(['i-00000002']);
    s = applyOutcome(s, { type: 'JoinFailed', actionId: A, instanceId: 'i-00000002' }, NOW);
    expect(s.inFlight).toEqual([]);
    expect(isRecentlyClosed(s, A)).toBe(true);
  });

  it('does not count a joined instance as joining again when the launch report repeats', () => {
    const launched = {
      type: 'InstancesLaunched',
      actionId: A,
      instanceIds: ['i-00000001', 'i-00000002'],
    } as const;
    let s = applyOutcome(startAction(state(), up, A, NOW), launched, NOW);
    s = applyOutcome(s, { type: 'NodeJoined', actionId: A, instanceId: 'i-00000001' }, NOW);
    const again = applyOutcome(s, launched, NOW);
    expect(again).toBe(s);
    expect([...joiningInstanceIds(again)]).toEqual(['i-00000002']);
  });

  it('ignores a launch report repeated after its action closed, and still tracks a new replacement', () => {
    const launched = {
      type: 'InstancesLaunched',
      actionId: A,
      instanceIds: ['i-00000001'],
    } as const;
    let s = startAction(state(), { ...up, count: 1 }, A, NOW);
    s = applyOutcome(s, launched, NOW);
    s = applyOutcome(s, { type: 'NodeJoined', actionId: A, instanceId: 'i-00000001' }, NOW);
    expect(s.inFlight).toEqual([]);
    expect(applyOutcome(s, launched, NOW)).toBe(s);
    const B = '01JBBBBBBBBBBBBBBBBBBBBBBB';
    const replaced = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: B, instanceIds: ['i-00000009'] },
      NOW,
    );
    expect(replaced.inFlight).toMatchObject([{ actionId: B, kind: 'replace', pendingJoins: 1 }]);
  });

  it('closes a replacement whose join came before its launch report without ever counting it', () => {
    const B = '01JBBBBBBBBBBBBBBBBBBBBBBB';
    let s = applyOutcome(
      state(),
      { type: 'NodeJoined', actionId: B, instanceId: 'i-00000009' },
      NOW,
    );
    expect(s.inFlight).toEqual([]);
    expect(s.earlyJoins).toHaveLength(1);
    s = applyOutcome(
      s,
      { type: 'InstancesLaunched', actionId: B, instanceIds: ['i-00000009'] },
      NOW,
    );
    expect(s.inFlight).toEqual([]);
    expect(s.earlyJoins).toEqual([]);
    expect(s.closed).toMatchObject([{ actionId: B, kind: 'replace', end: 'completed' }]);
  });

  it('keeps a replacement open while the node it replaces drains away; a failed launch closes it', () => {
    const B = '01JBBBBBBBBBBBBBBBBBBBBBBB';
    const open = applyOutcome(
      state(),
      { type: 'InstancesLaunched', actionId: B, instanceIds: ['i-00000009'] },
      NOW,
    );
    expect(applyOutcome(open, { type: 'NodeRemoved', actionId: B }, NOW)).toBe(open);
    expect(applyOutcome(open, { type: 'ActionFailed', actionId: B, step: 'drain' }, NOW)).toBe(
      open,
    );
    const failed = applyOutcome(open, { type: 'ActionFailed', actionId: B, step: 'launch' }, NOW);
    expect(failed.closed).toMatchObject([{ actionId: B, end: 'failed' }]);
  });

  it('starts a replacement at its launch report time, so a replay beyond memory expires at once', () => {
    const B = '01JBBBBBBBBBBBBBBBBBBBBBBB';
    const reported = new Date(NOW.getTime() - 24 * 3600_000).toISOString();
    const s = applyOutcome(
      state(),
      { type: 'InstancesLaunched', actionId: B, instanceIds: ['i-00000009'], occurredAt: reported },
      NOW,
    );
    expect(s.inFlight[0]?.startedAt).toBe(reported);
    expect(expireStaleActions(s, config, NOW).expired).toHaveLength(1);
  });

  it('starts nothing for an action id it already closed', () => {
    let s = startAction(state(), up, A, NOW);
    s = applyOutcome(s, { type: 'ActionFailed', actionId: A, step: 'launch' }, NOW);
    expect(startAction(s, up, A, NOW)).toBe(s);
  });

  it('remembers closed actions for a bounded time and count', () => {
    let s = state();
    for (let i = 0; i < LedgerMemory.maxClosed + 5; i++) {
      const id = `01JC${i.toString().padStart(22, '0')}`;
      s = applyOutcome(startAction(s, up, id, NOW), { type: 'ActionFailed', actionId: id }, NOW);
    }
    expect(s.closed).toHaveLength(LedgerMemory.maxClosed);
    expect(isRecentlyClosed(s, `01JC${'0'.repeat(22)}`)).toBe(false);
    const muchLater = new Date(NOW.getTime() + (LedgerMemory.seconds + 1) * 1000);
    s = applyOutcome(
      startAction(s, up, A, muchLater),
      { type: 'ActionFailed', actionId: A },
      muchLater,
    );
    expect(s.closed.map((c) => c.actionId)).toEqual([A]);
  });

  it('reads a state stored before the ledger remembered closed actions', () => {
    const old = ClusterStateSchema.parse({
      clusterId: 'prod',
      version: 7,
      inFlight: [
        {
          actionId: A,
          kind: 'scale-up',
          startedAt: NOW.toISOString(),
          pendingJoins: 2,
          instanceIds: [],
        },
      ],
    });
    expect(old.closed).toEqual([]);
    expect(old.earlyJoins).toEqual([]);
    expect(old.inFlight[0]?.settledInstanceIds).toEqual([]);
  });
});
