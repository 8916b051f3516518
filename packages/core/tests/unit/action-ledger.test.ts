import type { Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyOutcome,
  defaultConfig as config,
  expireStaleActions,
  incomingWorkers,
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
  });
});
