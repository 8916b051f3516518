// One reconciler pass per repair kind, on the in-memory fleet, cluster and
// ledger of @smartscale/testing (the ledger with the DynamoDB one's lock,
// lease and version rules), plus the pass that finds nothing to do.
import type { ClusterState, InFlightAction } from '@smartscale/contracts';
import { emptyClusterState } from '@smartscale/contracts';
import {
  createWorld,
  InMemoryLedger,
  instanceIdOf,
  reconcilerPorts,
  StaleLeaseError,
  TEST_CLUSTER,
  testConfig,
  type World,
} from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import { reconcileCluster } from '../../reconcile-cluster.js';

// Join window: boot 90 + join timeout 600 + grace 60 = 750 s.
const config = testConfig({
  instance: { bootSeconds: 90 },
  join: { timeoutSeconds: 600 },
  reconcile: { graceSeconds: 60 },
});

/** Three Ready workers of ours, each with its Node, launched an hour ago. */
function healthy(state: Partial<ClusterState> = {}) {
  const world = createWorld();
  for (const n of [1, 2, 3]) {
    const instanceId = instanceIdOf(n);
    world.fleet.add({ instanceId, launchedAt: world.clock.at(-3600), actionId: `A-${n}` });
    world.cluster.addNode({ name: `n${n}`, instanceId, createdAt: world.clock.at(-3500) });
  }
  const ledger = new InMemoryLedger({
    now: world.clock.now,
    states: [{ ...emptyClusterState(TEST_CLUSTER), ...state }],
  });
  const ports = reconcilerPorts({ ...world, ledger, config });
  return { world, ledger, ports };
}

function action(world: World, overrides: Partial<InFlightAction> & { actionId: string }) {
  return {
    kind: 'scale-up',
    startedAt: world.clock.at(-60),
    pendingJoins: 1,
    instanceIds: [],
    settledInstanceIds: [],
    ...overrides,
  } as InFlightAction;
}

/** What the pass left for people: RepairMade codes and the audit's kinds. */
function reported(world: World, ledger: InMemoryLedger) {
  return {
    events: world.publisher.ofType('RepairMade').map((m) => m.payload.code),
    audit: ledger.audited.map((a) => a.kind),
  };
}

describe('reconcile workflow: nothing to repair', () => {
  it('a healthy cluster with work in flight: no act, no event, no audit line, no lock, only the pass summary', async () => {
    const { world, ledger, ports } = healthy();
    // A scale-up still inside its join window, with no Node yet.
    world.fleet.add({
      instanceId: instanceIdOf(4),
      launchedAt: world.clock.at(-60),
      actionId: 'A-up',
    });
    // A drain at work: cordoned by an action in flight, deadline ahead.
    const drained = world.cluster.node('n3');
    if (drained)
      Object.assign(drained, {
        unschedulable: true,
        cordonedBy: 'A-down',
        drainDeadline: world.clock.at(300),
      });
    // Someone else's cordon, and a Node that is not ours.
    const other = world.cluster.node('n2');
    if (other) other.unschedulable = true;
    world.cluster.addNode({
      name: 'cp-1',
      managed: false,
      ready: false,
      createdAt: world.clock.at(-9000),
    });
    ledger.put({
      ...emptyClusterState(TEST_CLUSTER),
      inFlight: [
        action(world, { actionId: 'A-up' }),
        action(world, {
          actionId: 'A-down',
          kind: 'scale-down',
          nodeName: 'n3',
          instanceIds: [instanceIdOf(3)],
          pendingJoins: 0,
        }),
      ],
    });

    const result = await reconcileCluster(ports);

    expect(result).toMatchObject({
      repaired: [],
      failed: [],
      ledgerLockBusy: false,
      found: { instances: 4, nodes: 4, inFlight: 2 },
    });
    expect(world.fleet.terminated).toEqual([]);
    expect(world.cluster.seen).toEqual({
      cordons: [],
      uncordons: [],
      evictions: [],
      deletedNodes: [],
    });
    expect(world.publisher.published).toEqual([]);
    expect(ledger.audited).toEqual([]);
    expect(ledger.saves).toEqual([]);
    expect(ledger.holder(TEST_CLUSTER)).toBeNull();
    expect(ports.passes).toEqual([result]);
  });
});

describe('reconcile workflow: one pass per repair kind', () => {
  it('orphan-instance: terminates a worker with no Node past its join window, not one inside it', async () => {
    const { world, ledger, ports } = healthy();
    world.fleet.add({
      instanceId: instanceIdOf(7),
      launchedAt: world.clock.at(-751),
      actionId: 'A-lost',
    });
    world.fleet.add({
      instanceId: instanceIdOf(8),
      launchedAt: world.clock.at(-749),
      actionId: 'A-lost',
    });

    const result = await reconcileCluster(ports);

    expect(result.repaired).toMatchObject([
      { code: 'orphan-instance', instanceId: instanceIdOf(7) },
    ]);
    expect(world.fleet.terminated).toEqual([instanceIdOf(7)]);
    expect(world.fleet.state(instanceIdOf(8))).toBe('running');
    expect(reported(world, ledger)).toEqual({
      events: ['orphan-instance'],
      audit: ['repair', 'reconcile'],
    });
    // A second pass finds it shutting down: nothing again.
    expect((await reconcileCluster(ports)).repaired).toEqual([]);
    expect(world.fleet.terminated).toEqual([instanceIdOf(7)]);
  });

  it('ghost-node: deletes the Node of a terminated worker, never a Node that is not ours', async () => {
    const { world, ledger, ports } = healthy();
    const gone = world.fleet.ours(instanceIdOf(2));
    if (gone) gone.state = 'terminated';
    world.cluster.addNode({
      name: 'foreign',
      instanceId: instanceIdOf(50),
      managed: false,
      ready: false,
      createdAt: world.clock.at(-3600),
    });

    const result = await reconcileCluster(ports);

    expect(result.repaired).toMatchObject([
      { code: 'ghost-node', nodeName: 'n2', instanceId: instanceIdOf(2) },
    ]);
    expect(world.cluster.seen.deletedNodes).toEqual(['n2']);
    expect(world.cluster.node('foreign')).toBeDefined();
    expect(world.fleet.terminated).toEqual([]);
    expect(reported(world, ledger)).toEqual({
      events: ['ghost-node'],
      audit: ['repair', 'reconcile'],
    });
  });

  it('leaves alone, and lists, a labelled Node whose instance is not ours, still repairing our own (issue #21 item 9)', async () => {
    const { world, ports } = healthy();
    const gone = world.fleet.ours(instanceIdOf(2));
    if (gone) gone.state = 'terminated';
    // Joined by hand with the workers' user data: managed by its own label,
    // NotReady, cordoned with our marks long ago; its instance is untagged.
    world.fleet.add({ instanceId: instanceIdOf(60), clusterId: null });
    world.cluster.addNode({
      name: 'by-hand',
      instanceId: instanceIdOf(60),
      managed: true,
      ready: false,
      unschedulable: true,
      cordonedBy: 'A-old',
      drainDeadline: world.clock.at(-3600),
      createdAt: world.clock.at(-7200),
    });
    // And one whose instance EC2 does not list at all.
    world.cluster.addNode({
      name: 'vanished',
      instanceId: instanceIdOf(61),
      managed: true,
      ready: false,
      createdAt: world.clock.at(-7200),
    });

    const result = await reconcileCluster(ports);

    expect(result.repaired).toMatchObject([{ code: 'ghost-node', nodeName: 'n2' }]);
    expect(world.cluster.seen.deletedNodes).toEqual(['n2']);
    expect(world.cluster.seen.uncordons).toEqual([]);
    expect(world.cluster.node('by-hand')?.unschedulable).toBe(true);
    expect(world.cluster.node('vanished')).toBeDefined();
    expect(world.fleet.terminated).toEqual([]);
    expect(result.leftAlone.map((n) => [n.nodeName, n.instanceId])).toEqual([
      ['by-hand', instanceIdOf(60)],
      ['vanished', instanceIdOf(61)],
    ]);
  });

  it('unhealthy-node: replaces a worker NotReady for over 30 minutes, instance running - terminated, then its Node deleted', async () => {
    const { world, ledger, ports } = healthy();
    const dead = world.cluster.node('n2');
    if (dead) {
      dead.ready = false;
      dead.notReadySince = world.clock.at(-1900);
    }
    // NotReady for 10 minutes: a kubelet that may yet come back.
    const blip = world.cluster.node('n3');
    if (blip) {
      blip.ready = false;
      blip.notReadySince = world.clock.at(-600);
    }

    const result = await reconcileCluster(ports);

    expect(result.repaired).toMatchObject([
      { code: 'unhealthy-node', nodeName: 'n2', instanceId: instanceIdOf(2) },
    ]);
    expect(world.fleet.terminated).toEqual([instanceIdOf(2)]);
    expect(world.cluster.seen.deletedNodes).toEqual(['n2']);
    expect(world.cluster.node('n3')).toBeDefined();
    expect(reported(world, ledger)).toEqual({
      events: ['unhealthy-node'],
      audit: ['repair', 'reconcile'],
    });
    // The next pass finds nothing more to do about it.
    expect((await reconcileCluster(ports)).repaired).toEqual([]);
  });

  it('stale-cordon: lifts a cordon of an action no longer in flight past its deadline and grace', async () => {
    const { world, ledger, ports } = healthy();
    const stale = world.cluster.node('n1');
    if (stale)
      Object.assign(stale, {
        unschedulable: true,
        cordonedBy: 'A-old',
        drainDeadline: world.clock.at(-61),
      });
    // Within the grace after its deadline: the drain may still be finishing.
    const recent = world.cluster.node('n2');
    if (recent)
      Object.assign(recent, {
        unschedulable: true,
        cordonedBy: 'A-old2',
        drainDeadline: world.clock.at(-59),
      });

    const result = await reconcileCluster(ports);

    expect(result.repaired).toMatchObject([
      { code: 'stale-cordon', nodeName: 'n1', repairedActionId: 'A-old' },
    ]);
    expect(world.cluster.seen.uncordons).toEqual(['n1']);
    expect(world.cluster.node('n1')?.unschedulable).toBe(false);
    expect(world.cluster.node('n2')?.unschedulable).toBe(true);
    expect(reported(world, ledger)).toEqual({
      events: ['stale-cordon'],
      audit: ['repair', 'reconcile'],
    });
  });

  it('action-done: closes a scale-down whose node and instance are gone, under the lock, once', async () => {
    const { world, ledger, ports } = healthy();
    const victim = world.fleet.ours(instanceIdOf(3));
    if (victim) victim.state = 'terminated';
    world.cluster.nodes.delete('n3');
    ledger.put({
      ...emptyClusterState(TEST_CLUSTER),
      version: 4,
      inFlight: [
        action(world, {
          actionId: 'A-down',
          kind: 'scale-down',
          nodeName: 'n3',
          instanceIds: [instanceIdOf(3)],
          pendingJoins: 0,
        }),
      ],
    });

    const result = await reconcileCluster(ports);

    expect(result.repaired).toMatchObject([
      { code: 'action-done', repairedActionId: 'A-down', nodeName: 'n3' },
    ]);
    const stored = ledger.stored(TEST_CLUSTER);
    expect(stored.version).toBe(5);
    expect(stored.inFlight).toEqual([]);
    expect(stored.closed.map((c) => c.actionId)).toEqual(['A-down']);
    // The lock was taken and given back.
    expect(ledger.holder(TEST_CLUSTER)).toMatchObject({ owner: null, fence: 1, live: false });
    // The closed action's own trail ends in an outcome, not in its decision:
    // its NodeRemoved may come late or never (chaos soak seed 2).
    expect(reported(world, ledger)).toEqual({
      events: ['action-done'],
      audit: ['repair', 'outcome', 'reconcile'],
    });
    expect(ledger.audited.filter((a) => a.actionId === 'A-down')).toMatchObject([
      { kind: 'outcome', detail: { repair: { code: 'action-done' } } },
    ]);
    expect((await reconcileCluster(ports)).repaired).toEqual([]);
    expect(ledger.saves).toHaveLength(1);
  });

  it('action-overdue: expires a scale-up past every deadline, and its orphan goes in the same pass', async () => {
    const { world, ledger, ports } = healthy();
    world.fleet.add({
      instanceId: instanceIdOf(9),
      launchedAt: world.clock.at(-7200),
      actionId: 'A-stuck',
    });
    ledger.put({
      ...emptyClusterState(TEST_CLUSTER),
      inFlight: [
        action(world, {
          actionId: 'A-stuck',
          startedAt: world.clock.at(-7200),
          pendingJoins: 2,
          instanceIds: [instanceIdOf(9)],
        }),
      ],
    });

    const result = await reconcileCluster(ports);

    expect(result.repaired.map((r) => r.code)).toEqual(['action-overdue', 'orphan-instance']);
    expect(ledger.stored(TEST_CLUSTER).closed).toMatchObject([
      { actionId: 'A-stuck', end: 'expired' },
    ]);
    expect(world.fleet.terminated).toEqual([instanceIdOf(9)]);
    expect(reported(world, ledger)).toEqual({
      events: ['action-overdue', 'orphan-instance'],
      audit: ['repair', 'expired', 'repair', 'reconcile'],
    });
    expect(ledger.audited.filter((a) => a.actionId === 'A-stuck').map((a) => a.kind)).toEqual([
      'expired',
    ]);
  });
});

describe('reconcile workflow: the ledger lock', () => {
  const overdue = (world: World) => ({
    ...emptyClusterState(TEST_CLUSTER),
    inFlight: [action(world, { actionId: 'A-stuck', startedAt: world.clock.at(-7200) })],
  });

  it('a lock another holder keeps leaves the ledger repair to a later pass; once its lease runs out the pass takes it', async () => {
    const { world, ledger, ports } = healthy();
    ledger.put(overdue(world));
    const other = ledger.acquire(TEST_CLUSTER, 'decider');
    expect(other).not.toBeNull();

    const busy = await reconcileCluster(ports);
    expect(busy).toMatchObject({ repaired: [], ledgerLockBusy: true });
    expect(ledger.stored(TEST_CLUSTER).inFlight).toHaveLength(1);

    world.clock.advance(31);
    const taken = await reconcileCluster(ports);
    expect(taken).toMatchObject({ ledgerLockBusy: false, repaired: [{ code: 'action-overdue' }] });
    expect(ledger.stored(TEST_CLUSTER).inFlight).toEqual([]);
  });

  it('a lease lost mid-pass ends only the ledger part: it is named in the result, the other repairs run in the same pass, the next pass repairs the ledger', async () => {
    const { world, ledger, ports } = healthy();
    ledger.put(overdue(world));
    // One repair of each other kind, none of which needs the lock.
    world.fleet.add({
      instanceId: instanceIdOf(7),
      launchedAt: world.clock.at(-751),
      actionId: 'A-lost',
    });
    const gone = world.fleet.ours(instanceIdOf(2));
    if (gone) gone.state = 'terminated';
    const stale = world.cluster.node('n1');
    if (stale)
      Object.assign(stale, {
        unschedulable: true,
        cordonedBy: 'A-old',
        drainDeadline: world.clock.at(-61),
      });
    // The pass stalls past its lease between its read and its write; another holder takes the lock.
    ledger.beforeNext('save', () => {
      world.clock.advance(31);
      ledger.acquire(TEST_CLUSTER, 'decider');
    });

    const lost = await reconcileCluster(ports);

    expect(lost.ledgerLockBusy).toBe(false);
    expect(lost.ledgerLockLost).toBe(new StaleLeaseError(TEST_CLUSTER, 1).message);
    expect(lost.repaired.map((r) => [r.code, r.nodeName ?? r.instanceId])).toEqual([
      ['orphan-instance', instanceIdOf(7)],
      ['ghost-node', 'n2'],
      ['stale-cordon', 'n1'],
    ]);
    expect(world.fleet.terminated).toEqual([instanceIdOf(7)]);
    expect(world.cluster.seen.deletedNodes).toEqual(['n2']);
    expect(world.cluster.seen.uncordons).toEqual(['n1']);
    // The ledger repair was neither saved nor reported; the pass says why in its audit line.
    expect(ledger.stored(TEST_CLUSTER).inFlight).toHaveLength(1);
    expect(reported(world, ledger).events).toEqual([
      'orphan-instance',
      'ghost-node',
      'stale-cordon',
    ]);
    expect(ledger.audited.at(-1)?.summary).toBe(
      'reconciled: 3 repaired, ledger repairs lost the cluster lock',
    );
    expect(ports.passes.at(-1)).toEqual(lost);
    expect(ledger.holder(TEST_CLUSTER)).toMatchObject({ owner: 'decider', live: true });

    world.clock.advance(31);
    const next = await reconcileCluster(ports);
    expect(next.repaired.map((r) => r.code)).toEqual(['action-overdue']);
    expect(next.ledgerLockLost).toBeUndefined();
  });

  it('an error of the ledger that is not a lost lease still fails the pass', async () => {
    const { world, ledger, ports } = healthy();
    ledger.put(overdue(world));
    ledger.beforeNext('save', () => {
      throw new Error('ledger unreachable');
    });

    await expect(reconcileCluster(ports)).rejects.toThrow('ledger unreachable');
  });
});
