import type { ClusterState, Decision } from '@smartscale/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActionOutcome,
  incomingWorkers,
  joiningInstanceIds,
} from '../../src/action-ledger.js';
import { applyOutcome, startAction } from '../../src/index.js';
import { NOW, state } from './fixtures.js';

const A = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const later = (i: number) => new Date(NOW.getTime() + i * 1000);

interface Scenario {
  readonly name: string;
  readonly start: (s: ClusterState) => ClusterState;
  /** Instances the action brings (0 for a scale-down). */
  readonly instances: readonly string[];
  readonly outcomes: readonly ActionOutcome[];
}

const up: Decision = {
  kind: 'scale-up',
  count: 2,
  reasons: [{ code: 'pending-pods', message: 'x' }],
};
const down: Decision = {
  kind: 'scale-down',
  victim: { nodeName: 'n1', instanceId: 'i-0000000d' },
  reasons: [{ code: 'cpu-low', message: 'x' }],
};

const scenarios: Scenario[] = [
  {
    name: 'scale-up of two: launched, one joined, one failed',
    start: (s) => startAction(s, up, A, NOW),
    instances: ['i-0000000a', 'i-0000000b'],
    outcomes: [
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-0000000a', 'i-0000000b'] },
      { type: 'NodeJoined', actionId: A, instanceId: 'i-0000000a' },
      { type: 'JoinFailed', actionId: A, instanceId: 'i-0000000b' },
    ],
  },
  {
    // The spot listener's action: the replacement's launch and join, and the
    // drain of the node it replaces (removed, or failed past its deadline).
    name: 'spot replacement the ledger never saw, with the drain of the old node',
    start: (s) => s,
    instances: ['i-0000000c'],
    outcomes: [
      {
        type: 'InstancesLaunched',
        actionId: A,
        instanceIds: ['i-0000000c'],
        occurredAt: NOW.toISOString(),
      },
      { type: 'NodeJoined', actionId: A, instanceId: 'i-0000000c' },
      { type: 'NodeRemoved', actionId: A },
      { type: 'ActionFailed', actionId: A, step: 'drain' },
    ],
  },
  {
    name: 'scale-down: removed, failed, and a stray launch report',
    start: (s) => startAction(s, down, A, NOW),
    instances: [],
    outcomes: [
      { type: 'NodeRemoved', actionId: A },
      { type: 'ActionFailed', actionId: A, step: 'drain' },
      { type: 'InstancesLaunched', actionId: A, instanceIds: ['i-0000000e'] },
    ],
  },
];

describe('action ledger: outcomes in any order, each delivered twice', () => {
  for (const scenario of scenarios) {
    const twice = [...scenario.outcomes, ...scenario.outcomes];
    it(`${scenario.name}: closes exactly once, nothing phantom`, () => {
      fc.assert(
        fc.property(
          fc.shuffledSubarray(twice, { minLength: twice.length, maxLength: twice.length }),
          (order) => {
            let s = scenario.start(state());
            let wasInFlight = s.inFlight.some((a) => a.actionId === A);
            let closings = 0;
            const settled = new Set<string>();
            order.forEach((outcome, i) => {
              s = applyOutcome(s, outcome, later(i));
              if (outcome.type === 'NodeJoined' || outcome.type === 'JoinFailed')
                settled.add(outcome.instanceId);
              const inFlight = s.inFlight.some((a) => a.actionId === A);
              if (wasInFlight && !inFlight) closings += 1;
              // Once closed, never opened again (a late report is not a new action).
              if (closings > 0) expect(inFlight).toBe(false);
              wasInFlight = inFlight;
              // Never more incoming capacity than instances still to settle,
              // and a settled instance is never counted as joining.
              expect(incomingWorkers(s)).toBeLessThanOrEqual(
                Math.max(0, scenario.instances.length - settled.size),
              );
              for (const id of joiningInstanceIds(s)) expect(settled.has(id)).toBe(false);
            });
            expect(s.inFlight).toEqual([]);
            expect(s.closed.filter((c) => c.actionId === A)).toHaveLength(1);
            expect(s.earlyJoins).toEqual([]);
            expect(closings).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
