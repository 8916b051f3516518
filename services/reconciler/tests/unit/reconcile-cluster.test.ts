import type {
  AnyEnvelope,
  ClusterSnapshot,
  ClusterState,
  InFlightAction,
} from '@smartscale/contracts';
import { emptyClusterState } from '@smartscale/contracts';
import {
  countFleet,
  type ObservedInstance,
  type ObservedNode,
  parseConfig,
} from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import {
  type ReconcilerAuditRecord,
  type ReconcilerPorts,
  type Reconciliation,
  reconcileCluster,
} from '../../reconcile-cluster.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const config = parseConfig({
  instance: { bootSeconds: 90 },
  join: { timeoutSeconds: 600 },
  reconcile: { graceSeconds: 60 },
});

interface World {
  instances: ObservedInstance[];
  nodes: ObservedNode[];
  state: ClusterState;
  terminated: string[];
  deleted: string[];
  uncordoned: string[];
  published: AnyEnvelope[];
  audited: ReconcilerAuditRecord[];
  passes: Reconciliation[];
  done: Set<string>;
  claimed: Set<string>;
  lockBusy: boolean;
}

function world(partial: Partial<World> = {}): World {
  return {
    instances: [],
    nodes: [],
    state: emptyClusterState('c1'),
    terminated: [],
    deleted: [],
    uncordoned: [],
    published: [],
    audited: [],
    passes: [],
    done: new Set(),
    claimed: new Set(),
    lockBusy: false,
    ...partial,
  };
}

/** Ports over an in-memory world; `failTerminate` makes terminations throw. */
function portsOf(w: World, options: { failTerminate?: boolean } = {}): ReconcilerPorts<string> {
  return {
    clusterId: 'c1',
    config,
    now: () => NOW,
    describeInstances: async () => w.instances,
    listNodes: async () => w.nodes,
    async terminate(id) {
      if (options.failTerminate) throw new Error('UnauthorizedOperation');
      w.terminated.push(id);
    },
    async deleteNode(name) {
      w.deleted.push(name);
    },
    async uncordon(name) {
      w.uncordoned.push(name);
    },
    acquireLock: async () => (w.lockBusy ? null : 'lease'),
    releaseLock: async () => {},
    loadState: async () => w.state,
    async saveState(state) {
      w.state = state;
    },
    async audit(record) {
      w.audited.push(record);
    },
    async publish(message) {
      w.published.push(message);
    },
    async recordPass(summary) {
      w.passes.push(summary);
    },
    // Like the handler's port over the dedup store: a step another pass
    // holds or finished is left alone; a failed effect may run again.
    async once(actionId, step, effect) {
      const key = `${actionId}/${step}`;
      if (w.done.has(key) || w.claimed.has(key)) return false;
      w.claimed.add(key);
      try {
        await effect();
      } finally {
        w.claimed.delete(key);
      }
      w.done.add(key);
      return true;
    },
  };
}

const orphan: ObservedInstance = {
  instanceId: 'i-orphan',
  state: 'running',
  actionId: 'A-lost',
  launchedAt: ago(3600),
};
const ghost: ObservedNode = {
  name: 'i-gone',
  instanceId: 'i-gone',
  managed: true,
  ready: false,
  unschedulable: false,
  createdAt: ago(3600),
};
const cordoned: ObservedNode = {
  name: 'i-kept',
  instanceId: 'i-kept',
  managed: true,
  ready: true,
  unschedulable: true,
  cordonedBy: 'A-drain',
  drainDeadline: ago(600),
  createdAt: ago(3600),
};

describe('reconcileCluster', () => {
  it('repairs each fact once, publishes RepairMade and audits it under the repair action id', async () => {
    const w = world({
      instances: [
        orphan,
        { instanceId: 'i-gone', state: 'terminated', actionId: 'A-x', launchedAt: ago(3600) },
        { instanceId: 'i-kept', state: 'running', actionId: 'A-y', launchedAt: ago(3600) },
      ],
      nodes: [ghost, cordoned],
    });
    const result = await reconcileCluster(portsOf(w));
    expect(w.terminated).toEqual(['i-orphan']);
    expect(w.deleted).toEqual(['i-gone']);
    expect(w.uncordoned).toEqual(['i-kept']);
    expect(result.repaired.map((r) => r.code)).toEqual([
      'orphan-instance',
      'ghost-node',
      'stale-cordon',
    ]);
    const events = w.published.filter((m) => m.type === 'RepairMade');
    expect(events.map((m) => m.actionId)).toEqual(result.repaired.map((r) => r.actionId));
    const repairs = w.audited.filter((a) => a.kind === 'repair');
    expect(repairs.map((a) => a.actionId)).toEqual(result.repaired.map((r) => r.actionId));
    const summary = w.audited.find((a) => a.kind === 'reconcile');
    expect(summary?.summary).toBe('reconciled: 3 repaired');
    expect(summary?.detail).toMatchObject({ found: { instances: 3, nodes: 2, inFlight: 0 } });
  });

  it('a second pass (or one running at the same time) repairs nothing again', async () => {
    const w = world({ instances: [orphan] });
    const [a, b] = await Promise.all([reconcileCluster(portsOf(w)), reconcileCluster(portsOf(w))]);
    expect(w.terminated).toEqual(['i-orphan']);
    expect(a.repaired.length + b.repaired.length).toBe(1);
    const again = await reconcileCluster(portsOf(w));
    expect(again.repaired).toEqual([]);
    // Every pass is kept for status; only passes that repaired reach the audit log.
    expect(w.passes).toHaveLength(3);
    expect(w.audited.filter((a) => a.kind === 'reconcile')).toHaveLength(1);
    expect(w.published.filter((m) => m.type === 'RepairMade')).toHaveLength(1);
  });

  it('closes a done action in the ledger under the lock, planned again on the state read there', async () => {
    const up: InFlightAction = {
      actionId: 'A-up',
      kind: 'scale-up',
      startedAt: ago(120),
      pendingJoins: 1,
      instanceIds: ['i-1'],
      settledInstanceIds: [],
    };
    const w = world({
      instances: [{ instanceId: 'i-1', state: 'running', actionId: 'A-up', launchedAt: ago(110) }],
      nodes: [{ ...ghost, name: 'i-1', instanceId: 'i-1', ready: true }],
      state: { ...emptyClusterState('c1'), inFlight: [up] },
    });
    const ports = portsOf(w);
    // The outcome arrives between the pass's first read and its lock: the
    // state read under the lock no longer holds the action, so no repair.
    let reads = 0;
    ports.loadState = async () => {
      reads += 1;
      return reads === 1 ? w.state : { ...w.state, inFlight: [] };
    };
    const raced = await reconcileCluster(ports);
    expect(raced.repaired).toEqual([]);

    const result = await reconcileCluster(portsOf(w));
    expect(result.repaired).toMatchObject([{ code: 'action-done', repairedActionId: 'A-up' }]);
    expect(w.state.inFlight).toEqual([]);
    expect(w.state.closed.map((c) => c.actionId)).toEqual(['A-up']);
  });

  // Found with the demo's 13 workers of max 10: the pass stamped the closed
  // action's joins with its start, before EC2 and Kubernetes answered (seconds
  // under load). A sample taken in between, before the Node registered, shows
  // neither the Node nor the action, and a join older than it is not counted.
  it("remembers a done action's joins as of after it looked, not as of the pass start", async () => {
    const up: InFlightAction = {
      actionId: 'A-up',
      kind: 'scale-up',
      startedAt: ago(120),
      pendingJoins: 1,
      instanceIds: ['i-1'],
      settledInstanceIds: [],
    };
    const w = world({
      instances: [{ instanceId: 'i-1', state: 'running', actionId: 'A-up', launchedAt: ago(110) }],
      nodes: [{ ...ghost, name: 'i-1', instanceId: 'i-1', ready: true }],
      state: { ...emptyClusterState('c1'), inFlight: [up] },
    });
    // The pass starts 4 s before NOW; EC2 answers at NOW.
    let clock = NOW.getTime() - 4_000;
    await reconcileCluster({
      ...portsOf(w),
      now: () => new Date(clock),
      describeInstances: async () => {
        clock = NOW.getTime();
        return w.instances;
      },
    });
    expect(w.state.inFlight).toEqual([]);
    const sample = {
      takenAt: ago(2),
      nodes: [],
      pendingPods: [],
      utilization: { available: false as const, reason: 'x' },
    } as unknown as ClusterSnapshot;
    // Stamped at the pass start, the join predated the sample and was lost: 0.
    expect(countFleet(sample, w.state).workers).toBe(1);
  });

  it('an action it expires no longer shields its instances: the orphan goes in the same pass', async () => {
    const w = world({
      instances: [{ ...orphan, actionId: 'A-old' }],
      state: {
        ...emptyClusterState('c1'),
        inFlight: [
          {
            actionId: 'A-old',
            kind: 'scale-up',
            startedAt: ago(3600),
            pendingJoins: 1,
            instanceIds: ['i-orphan'],
            settledInstanceIds: [],
          },
        ],
      },
    });
    const result = await reconcileCluster(portsOf(w));
    expect(result.repaired.map((r) => r.code)).toEqual(['action-overdue', 'orphan-instance']);
    expect(w.terminated).toEqual(['i-orphan']);
  });

  it('leaves ledger repairs to the next pass while the lock stays busy, and says so', async () => {
    const w = world({
      state: {
        ...emptyClusterState('c1'),
        inFlight: [
          {
            actionId: 'A-old',
            kind: 'scale-up',
            startedAt: ago(7200),
            pendingJoins: 1,
            instanceIds: [],
            settledInstanceIds: [],
          },
        ],
      },
      lockBusy: true,
    });
    const result = await reconcileCluster(portsOf(w));
    expect(result.ledgerLockBusy).toBe(true);
    expect(w.state.inFlight).toHaveLength(1);
  });

  it('one failed repair does not stop the others, and the pass reports it', async () => {
    const w = world({
      instances: [
        orphan,
        { instanceId: 'i-gone', state: 'terminated', actionId: null, launchedAt: ago(3600) },
      ],
      nodes: [ghost],
    });
    const result = await reconcileCluster(portsOf(w, { failTerminate: true }));
    expect(w.deleted).toEqual(['i-gone']);
    expect(result.failed).toEqual([
      { code: 'orphan-instance', subject: 'i-orphan', error: 'UnauthorizedOperation' },
    ]);
    expect(w.audited.find((a) => a.kind === 'reconcile')?.summary).toBe(
      'reconciled: 1 repaired, 1 failed',
    );
    // Not marked done: the next pass tries the failed repair again.
    await reconcileCluster(portsOf(w));
    expect(w.terminated).toEqual(['i-orphan']);
  });
});
