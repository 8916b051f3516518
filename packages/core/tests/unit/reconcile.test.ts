import type { ClusterState, InFlightAction } from '@smartscale/contracts';
import { emptyClusterState } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyLedgerRepairs,
  type ClusterView,
  labelledNotOurs,
  type ObservedInstance,
  type ObservedNode,
  parseConfig,
  planRepairs,
  unhealthyNodesHeld,
} from '../../src/index.js';
import { ago, NOW } from './fixtures.js';

// boot 90 + join 600 + grace 60: a worker may be without a Node for 750 s.
const config = parseConfig({
  instance: { bootSeconds: 90 },
  join: { timeoutSeconds: 600 },
  reconcile: { graceSeconds: 60 },
  scaleDown: { drainTimeoutSeconds: 600 },
});

function instance(id: string, overrides: Partial<ObservedInstance> = {}): ObservedInstance {
  return {
    instanceId: id,
    state: 'running',
    actionId: 'A-launch',
    launchedAt: ago(3600),
    ...overrides,
  };
}

function node(name: string, overrides: Partial<ObservedNode> = {}): ObservedNode {
  return {
    name,
    instanceId: name,
    managed: true,
    ready: true,
    unschedulable: false,
    createdAt: ago(3000),
    ...overrides,
  };
}

function action(overrides: Partial<InFlightAction> & Pick<InFlightAction, 'actionId' | 'kind'>) {
  return {
    startedAt: ago(30),
    pendingJoins: 0,
    instanceIds: [],
    ...overrides,
  } as InFlightAction;
}

function view(
  instances: ObservedInstance[],
  nodes: ObservedNode[],
  inFlight: InFlightAction[] = [],
): ClusterView {
  const state: ClusterState = { ...emptyClusterState('c1'), inFlight };
  return { instances, nodes, state };
}

const codes = (v: ClusterView) =>
  planRepairs(v, config, NOW).map(
    (r) => `${r.code}:${r.instanceId ?? r.repairedActionId ?? r.nodeName}`,
  );

describe('orphan instances', () => {
  it('terminates a worker with no Node past boot + join timeout + grace and in no live action', () => {
    const v = view([instance('i-orphan', { launchedAt: ago(751) })], []);
    const [repair] = planRepairs(v, config, NOW);
    expect(repair).toMatchObject({ code: 'orphan-instance', instanceId: 'i-orphan' });
    expect(repair?.reason).toMatch(
      /no Node for 751 s .*boot 90 s \+ join timeout 600 s \+ grace 60 s/,
    );
  });

  it('leaves a worker still inside its join window', () => {
    expect(codes(view([instance('i-young', { launchedAt: ago(749) })], []))).toEqual([]);
  });

  it('leaves a worker an in-flight action still waits for, by instance id or by launch tag', () => {
    const old = ago(5000);
    const byId = view(
      [instance('i-1', { launchedAt: old })],
      [],
      [
        action({
          actionId: 'A-other',
          kind: 'scale-up',
          instanceIds: ['i-1'],
          pendingJoins: 1,
          startedAt: ago(60),
        }),
      ],
    );
    const byTag = view(
      [instance('i-2', { launchedAt: old, actionId: 'A-up' })],
      [],
      [action({ actionId: 'A-up', kind: 'scale-up', pendingJoins: 1, startedAt: ago(60) })],
    );
    expect(codes(byId).filter((c) => c.startsWith('orphan'))).toEqual([]);
    expect(codes(byTag).filter((c) => c.startsWith('orphan'))).toEqual([]);
  });

  it('leaves a worker that has a Node, ready or not', () => {
    expect(codes(view([instance('i-1')], [node('i-1', { ready: false })]))).toEqual([]);
  });

  it('does not terminate again what is already shutting down or terminated', () => {
    expect(
      codes(
        view(
          [instance('i-1', { state: 'shutting-down' }), instance('i-2', { state: 'terminated' })],
          [],
        ),
      ),
    ).toEqual([]);
  });

  it('terminates a stopped worker without a Node (a stopped worker serves nothing)', () => {
    expect(codes(view([instance('i-1', { state: 'stopped' })], []))).toEqual([
      'orphan-instance:i-1',
    ]);
  });
});

describe('ghost nodes', () => {
  it('deletes the Node of a terminated or shutting-down instance, Ready or not', () => {
    const v = view(
      [instance('i-1', { state: 'terminated' }), instance('i-2', { state: 'shutting-down' })],
      [node('i-1'), node('i-2', { ready: false })],
    );
    expect(codes(v)).toEqual(['ghost-node:i-1', 'ghost-node:i-2']);
  });

  it('deletes the Node of a stopped instance only once it is NotReady', () => {
    expect(codes(view([instance('i-1', { state: 'stopped' })], [node('i-1')]))).toEqual([]);
    expect(
      codes(view([instance('i-1', { state: 'stopped' })], [node('i-1', { ready: false })])),
    ).toEqual(['ghost-node:i-1']);
  });

  it('leaves alone, and reports, a labelled Node whose instance EC2 does not tag as ours (issue #21 item 9)', () => {
    // Joined by hand with the workers' user data (its kubelet set the label),
    // or an instance EC2 has forgotten: either way not provably ours.
    const byHand = node('i-byhand', { ready: false });
    const noProvider = node('odd', { instanceId: undefined, ready: false });
    const v = view([instance('i-1')], [byHand, noProvider, node('i-1')]);
    expect(codes(v)).toEqual([]);
    expect(labelledNotOurs(v)).toEqual([
      {
        nodeName: 'i-byhand',
        instanceId: 'i-byhand',
        reason: expect.stringContaining(
          'EC2 does not list its instance i-byhand as a worker of this cluster',
        ),
      },
      { nodeName: 'odd', reason: expect.stringContaining('has no AWS providerID') },
    ]);
    // Not labelled: not ours and nothing to report.
    expect(labelledNotOurs(view([], [node('i-theirs', { managed: false })]))).toEqual([]);
  });

  it('never touches a Node SmartScale did not launch', () => {
    expect(codes(view([], [node('i-theirs', { managed: false, ready: false })]))).toEqual([]);
    expect(codes(view([], [node('server', { instanceId: undefined, ready: false })]))).toEqual([]);
  });
});

describe('node repair: a worker NotReady for good', () => {
  // repairNotReadySeconds defaults to 1800 (Karpenter's 30 minutes).
  const dead = (name: string, seconds = 1801) =>
    node(name, { ready: false, notReadySince: ago(seconds) });
  const healthy = (n: number) =>
    Array.from({ length: n }, (_, i) => [instance(`i-ok${i}`), node(`i-ok${i}`)] as const);

  it('replaces a worker whose Node has been NotReady past the limit while its instance runs', () => {
    const v = view(
      [instance('i-1'), ...healthy(1).map(([i]) => i)],
      [dead('i-1'), ...healthy(1).map(([, n]) => n)],
    );
    const [repair] = planRepairs(v, config, NOW);
    expect(repair).toMatchObject({ code: 'unhealthy-node', nodeName: 'i-1', instanceId: 'i-1' });
    expect(repair?.reason).toContain('over reconcile.repairNotReadySeconds 1800');
    // Named by when it went NotReady: the next pass finds the same repair.
    expect(repair?.since).toBe(ago(1801));
  });

  it('waits out the limit: a kubelet restart or a blip comes back by itself', () => {
    expect(codes(view([instance('i-1')], [dead('i-1', 1799)]))).toEqual([]);
    // Not Ready since an unknown time: never judged.
    expect(codes(view([instance('i-1')], [node('i-1', { ready: false })]))).toEqual([]);
  });

  it('leaves a worker that a join or a drain in flight decides about, and one not running', () => {
    const joining = action({
      actionId: 'A-up',
      kind: 'scale-up',
      instanceIds: ['i-1'],
      pendingJoins: 1,
    });
    expect(codes(view([instance('i-1')], [dead('i-1')], [joining]))).toEqual([]);
    const draining = action({ actionId: 'A-down', kind: 'scale-down', nodeName: 'i-1' });
    expect(
      codes(
        view(
          [instance('i-1')],
          [dead('i-1')].map((n) => ({ ...n, unschedulable: true, cordonedBy: 'A-down' })),
          [draining],
        ),
      ),
    ).toEqual([]);
    // Stopped: a ghost Node (deleted), not a repair of a running worker.
    expect(codes(view([instance('i-1', { state: 'stopped' })], [dead('i-1')]))).toEqual([
      'ghost-node:i-1',
    ]);
  });

  it('is off at 0', () => {
    const off = parseConfig({ reconcile: { repairNotReadySeconds: 0 } });
    expect(planRepairs(view([instance('i-1')], [dead('i-1', 86_400)]), off, NOW)).toEqual([]);
  });

  it('replaces at most a fifth of the workers, at least one; more NotReady at once is held and reported', () => {
    // Two workers, one dead: 1 allowed (Karpenter's 20 % alone would allow none).
    const two = view([instance('i-1'), instance('i-2')], [dead('i-1'), node('i-2')]);
    expect(codes(two)).toEqual(['unhealthy-node:i-1']);
    expect(unhealthyNodesHeld(two, config, NOW)).toEqual([]);
    // Ten workers, three dead: 2 allowed, so none is replaced and each is reported.
    const ok = healthy(7);
    const ten = view(
      [...['i-1', 'i-2', 'i-3'].map((id) => instance(id)), ...ok.map(([i]) => i)],
      [dead('i-1'), dead('i-2'), dead('i-3'), ...ok.map(([, n]) => n)],
    );
    expect(codes(ten)).toEqual([]);
    const held = unhealthyNodesHeld(ten, config, NOW);
    expect(held.map((h) => h.nodeName)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(held[0]?.reason).toContain(
      '3 of 10 workers are: more than node repair replaces at once (2)',
    );
  });
});

describe('stale cordons', () => {
  const cordoned = (overrides: Partial<ObservedNode> = {}) =>
    node('i-1', {
      unschedulable: true,
      cordonedBy: 'A-drain',
      drainDeadline: ago(61),
      ...overrides,
    });

  it('lifts a cordon whose action is over and whose drain deadline passed', () => {
    const [repair] = planRepairs(view([instance('i-1')], [cordoned()]), config, NOW);
    expect(repair).toMatchObject({
      code: 'stale-cordon',
      nodeName: 'i-1',
      repairedActionId: 'A-drain',
    });
  });

  it('leaves a cordon while its action is in flight', () => {
    const v = view(
      [instance('i-1')],
      [cordoned()],
      [action({ actionId: 'A-drain', kind: 'scale-down', nodeName: 'i-1', instanceIds: ['i-1'] })],
    );
    expect(codes(v)).toEqual([]);
  });

  it('leaves a cordon whose drain may still be working (deadline not past the grace)', () => {
    expect(codes(view([instance('i-1')], [cordoned({ drainDeadline: ago(59) })]))).toEqual([]);
  });

  it("never lifts a person's cordon (no mark)", () => {
    expect(codes(view([instance('i-1')], [node('i-1', { unschedulable: true })]))).toEqual([]);
  });

  it('never lifts a cordon marked as ours on a Node whose instance is not ours', () => {
    // The annotations are on a Node its own kubelet may write.
    expect(codes(view([], [cordoned()]))).toEqual([]);
    expect(codes(view([instance('i-other')], [cordoned(), node('i-other')]))).toEqual([]);
  });

  it('deletes instead of uncordoning when the instance is already gone', () => {
    expect(codes(view([instance('i-1', { state: 'terminated' })], [cordoned()]))).toEqual([
      'ghost-node:i-1',
    ]);
  });
});

describe('ledger repairs', () => {
  it('closes a scale-up whose instances all have Ready Nodes (NodeJoined lost)', () => {
    const v = view(
      [instance('i-1', { actionId: 'A-up' }), instance('i-2', { actionId: 'A-up' })],
      [node('i-1'), node('i-2')],
      [
        action({
          actionId: 'A-up',
          kind: 'scale-up',
          instanceIds: ['i-1', 'i-2'],
          pendingJoins: 2,
        }),
      ],
    );
    expect(codes(v)).toEqual(['action-done:A-up']);
  });

  it('closes a scale-up whose InstancesLaunched was lost, by the launch tag', () => {
    const v = view(
      [instance('i-1', { actionId: 'A-up' })],
      [node('i-1')],
      [action({ actionId: 'A-up', kind: 'scale-up', pendingJoins: 1 })],
    );
    expect(codes(v)).toEqual(['action-done:A-up']);
  });

  it('keeps a scale-up while an instance is still joining or not launched yet', () => {
    const joining = view(
      [instance('i-1', { actionId: 'A-up' }), instance('i-2', { actionId: 'A-up' })],
      [node('i-1')],
      [
        action({
          actionId: 'A-up',
          kind: 'scale-up',
          instanceIds: ['i-1', 'i-2'],
          pendingJoins: 2,
        }),
      ],
    );
    const notLaunched = view(
      [],
      [],
      [action({ actionId: 'A-up', kind: 'scale-up', pendingJoins: 2 })],
    );
    expect(codes(joining)).toEqual([]);
    expect(codes(notLaunched)).toEqual([]);
  });

  it('closes a scale-down whose node and instance are gone (NodeRemoved lost)', () => {
    const v = view(
      [instance('i-1', { state: 'terminated' })],
      [],
      [action({ actionId: 'A-down', kind: 'scale-down', nodeName: 'i-1', instanceIds: ['i-1'] })],
    );
    expect(codes(v)).toEqual(['action-done:A-down']);
  });

  it('keeps a scale-down while its node is still there', () => {
    const v = view(
      [instance('i-1')],
      [node('i-1', { unschedulable: true, cordonedBy: 'A-down' })],
      [action({ actionId: 'A-down', kind: 'scale-down', nodeName: 'i-1', instanceIds: ['i-1'] })],
    );
    expect(codes(v)).toEqual([]);
  });

  it('expires an action past every deadline it could have', () => {
    const v = view(
      [],
      [],
      [action({ actionId: 'A-old', kind: 'scale-up', pendingJoins: 2, startedAt: ago(3600) })],
    );
    const [repair] = planRepairs(v, config, NOW);
    expect(repair).toMatchObject({ code: 'action-overdue', repairedActionId: 'A-old' });
  });

  it('takes closed and expired actions out of the ledger, and nothing else', () => {
    const keep = action({ actionId: 'A-keep', kind: 'scale-up', pendingJoins: 1 });
    const v = view(
      [instance('i-1', { actionId: 'A-up' })],
      [node('i-1')],
      [
        action({ actionId: 'A-up', kind: 'scale-up', instanceIds: ['i-1'], pendingJoins: 1 }),
        action({ actionId: 'A-old', kind: 'scale-up', pendingJoins: 1, startedAt: ago(3600) }),
        keep,
      ],
    );
    const next = applyLedgerRepairs(v.state, planRepairs(v, config, NOW), NOW);
    expect(next.inFlight.map((a) => a.actionId)).toEqual(['A-keep']);
    // Remembered as closed, so a late outcome for them opens nothing.
    expect(next.closed.map((c) => [c.actionId, c.end])).toEqual([
      ['A-old', 'expired'],
      ['A-up', 'completed'],
    ]);
  });
});

describe('an overdue drain (issue #16)', () => {
  it('backs off its node like a failed drain, so a lost ActionFailed does not bring back the pick-fail loop', () => {
    const v = view(
      [instance('i-1')],
      [node('i-1')],
      [
        action({
          actionId: 'A-drain',
          kind: 'scale-down',
          nodeName: 'i-1',
          instanceIds: ['i-1'],
          startedAt: ago(3600),
        }),
      ],
    );
    const next = applyLedgerRepairs(v.state, planRepairs(v, config, NOW), NOW);
    expect(next.closed.map((c) => [c.actionId, c.end])).toEqual([['A-drain', 'expired']]);
    expect(next.failedVictims).toMatchObject([
      { nodeName: 'i-1', instanceId: 'i-1', actionId: 'A-drain', failedAt: NOW.toISOString() },
    ]);
  });
});

describe('level-triggered', () => {
  it('plans nothing for a healthy cluster, and the same repairs for the same view', () => {
    const healthy = view([instance('i-1'), instance('i-2')], [node('i-1'), node('i-2')], []);
    expect(planRepairs(healthy, config, NOW)).toEqual([]);
    const broken = view(
      [instance('i-1', { state: 'terminated' }), instance('i-9', { launchedAt: ago(5000) })],
      [node('i-1')],
    );
    expect(planRepairs(broken, config, NOW)).toEqual(planRepairs(broken, config, NOW));
  });
});
