// The join check as it plays out: each delayed VerifyJoin comes back after
// its delay with the clock moved by it, so a ten-minute join window runs in
// milliseconds.
import type { Envelope } from '@smartscale/contracts';
import {
  createWorld,
  instanceIdOf,
  joinVerifierPorts,
  verifyJoinCommand,
  type World,
} from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import { type VerifyOutcome, verifyJoin } from '../../verify-join.js';

const A = instanceIdOf(1);
const B = instanceIdOf(2);
const JOIN_TIMEOUT_SECONDS = 600;

/** Two workers of one launch, just launched; `deadline` is launch + join timeout. */
function launched(world: World, instanceIds = [A, B]) {
  const launchedAt = world.clock.at(0);
  for (const instanceId of instanceIds) world.fleet.add({ instanceId, launchedAt });
  return verifyJoinCommand(
    { instanceIds, launchedAt, deadline: world.clock.at(JOIN_TIMEOUT_SECONDS) },
    world.clock.now(),
  );
}

/**
 * Delivers `command` and every VerifyJoin it re-delivers, each after its
 * delay; `between` runs before each re-delivered pass with the passes so far.
 */
async function playOut(
  world: World,
  command: Envelope<'VerifyJoin'>,
  between: (passes: number) => void = () => {},
): Promise<VerifyOutcome[]> {
  const ports = joinVerifierPorts(world);
  const outcomes = [await verifyJoin(command, ports)];
  for (let next = world.publisher.takeDelayed(); next.length > 0; ) {
    expect(next).toHaveLength(1);
    const [{ message, delaySeconds }] = next as [(typeof next)[number]];
    world.clock.advance(delaySeconds);
    between(outcomes.length);
    outcomes.push(await verifyJoin(message as Envelope<'VerifyJoin'>, ports));
    next = world.publisher.takeDelayed();
    expect(outcomes.length).toBeLessThan(100);
  }
  return outcomes;
}

describe('join workflow: the join timeout', () => {
  it('re-checks with backoff until the deadline, then terminates, deletes a NotReady Node and reports JoinFailed once each', async () => {
    const world = createWorld();
    const command = launched(world);
    // B registers but its kubelet never turns Ready; A never registers at all.
    world.cluster.addNode({ name: 'worker-b', instanceId: B, ready: false });

    const outcomes = await playOut(world, command);

    expect(outcomes.at(-1)).toEqual({ joined: [], notReadyNow: [], failed: [A, B], waiting: [] });
    expect(outcomes.slice(0, -1).every((o) => o.waiting.length === 2)).toBe(true);
    // 10, 20, 40, 80, 120, 120, 120, then the 90 s left: never past the deadline.
    expect(outcomes).toHaveLength(9);
    expect(world.clock.now().toISOString()).toBe(command.payload.deadline);
    expect(world.fleet.terminated).toEqual([A, B]);
    expect(world.cluster.seen.deletedNodes).toEqual(['worker-b']);
    expect(world.publisher.types()).toEqual(['JoinFailed', 'JoinFailed']);
    expect(world.publisher.ofType('JoinFailed').map((m) => m.payload)).toEqual([
      {
        instanceId: A,
        reason: expect.stringContaining(command.payload.deadline),
        terminated: true,
      },
      {
        instanceId: B,
        reason: expect.stringContaining(command.payload.deadline),
        terminated: true,
      },
    ]);
    expect(world.publisher.ofType('JoinFailed').every((m) => m.actionId === command.actionId)).toBe(
      true,
    );
  });

  it('a copy of the last check, delivered again, reports no second JoinFailed', async () => {
    const world = createWorld();
    const command = launched(world, [A]);
    world.clock.advance(JOIN_TIMEOUT_SECONDS);
    const ports = joinVerifierPorts(world);

    await verifyJoin(command, ports);
    await verifyJoin(command, ports);

    expect(world.fleet.state(A)).toBe('shutting-down');
    expect(world.publisher.types()).toEqual(['JoinFailed']);
  });
});

describe('join workflow: a node turns Ready', () => {
  it('reports NodeJoined once with the time from launch, and stops re-checking that instance', async () => {
    const world = createWorld();
    const command = launched(world);
    world.cluster.addNode({ name: 'worker-a', instanceId: A, ready: false });

    // A turns Ready before the third pass (30 s after launch); B only before the fifth.
    const outcomes = await playOut(world, command, (passes) => {
      const a = world.cluster.node('worker-a');
      if (a && passes === 2) a.ready = true;
      if (passes === 4) world.cluster.addNode({ name: 'worker-b', instanceId: B, ready: true });
    });

    expect(outcomes.map((o) => [o.joined, o.waiting])).toEqual([
      [[], [A, B]],
      [[], [A, B]],
      [[A], [B]],
      [[], [B]],
      [[B], []],
    ]);
    expect(world.publisher.ofType('NodeJoined').map((m) => m.payload)).toEqual([
      { instanceId: A, nodeName: 'worker-a', joinSeconds: 30 },
      { instanceId: B, nodeName: 'worker-b', joinSeconds: 150 },
    ]);
    expect(world.fleet.terminated).toEqual([]);
    expect(world.cluster.seen.deletedNodes).toEqual([]);
  });

  it('the same VerifyJoin delivered twice reports NodeJoined once', async () => {
    const world = createWorld();
    const command = launched(world, [A]);
    world.cluster.addNode({ name: 'worker-a', instanceId: A, ready: true });
    world.clock.advance(45);
    const ports = joinVerifierPorts(world);

    const first = await verifyJoin(command, ports);
    const again = await verifyJoin(command, ports);

    expect(first).toEqual({ joined: [A], notReadyNow: [], failed: [], waiting: [] });
    expect(again).toEqual(first);
    expect(world.publisher.types()).toEqual(['NodeJoined']);
    expect(world.publisher.delayed).toEqual([]);
  });

  it('a duplicate delivered before the node is Ready folds into one re-check chain, one NodeJoined', async () => {
    const world = createWorld();
    const command = launched(world, [A]);
    const ports = joinVerifierPorts(world);

    await verifyJoin(command, ports);
    await verifyJoin(command, ports);
    const chains = world.publisher.takeDelayed();
    expect(chains.map((c) => c.delaySeconds)).toEqual([10]);
    // Its re-check, delivered twice too, is re-checked once more, not twice.
    world.clock.advance(10);
    const [recheck] = chains as [(typeof chains)[number]];
    await verifyJoin(recheck.message as Envelope<'VerifyJoin'>, ports);
    await verifyJoin(recheck.message as Envelope<'VerifyJoin'>, ports);
    expect(world.publisher.takeDelayed().map((c) => c.delaySeconds)).toEqual([20]);
    // A different VerifyJoin of the same action (a re-send) is still re-checked.
    const resent = verifyJoinCommand({ ...command.payload }, world.clock.now(), {
      actionId: command.actionId,
    });
    await verifyJoin(resent, ports);
    const rechecks = world.publisher.takeDelayed();
    expect(rechecks).toHaveLength(1);

    world.clock.advance(10);
    world.cluster.addNode({ name: 'worker-a', instanceId: A, ready: true });
    for (const { message } of rechecks) await verifyJoin(message as Envelope<'VerifyJoin'>, ports);
    await verifyJoin(recheck.message as Envelope<'VerifyJoin'>, ports);

    expect(world.publisher.types()).toEqual(['NodeJoined']);
    expect(world.publisher.delayed).toEqual([]);
  });
});

describe('join workflow: an instance that is not ours', () => {
  it('is never terminated: the fleet refuses it at the deadline', async () => {
    const world = createWorld();
    const foreign = instanceIdOf(99);
    world.fleet.add({ instanceId: foreign, clusterId: 'someone-else' });
    const command = verifyJoinCommand(
      { instanceIds: [foreign], launchedAt: world.clock.at(-600), deadline: world.clock.at(0) },
      world.clock.now(),
    );

    const outcome = await verifyJoin(command, joinVerifierPorts(world));

    expect(outcome).toEqual({ joined: [], notReadyNow: [], failed: [foreign], waiting: [] });
    expect(world.fleet.terminated).toEqual([]);
    expect(world.fleet.refused).toEqual([foreign]);
    expect(world.fleet.instances.get(foreign)?.state).toBe('running');
  });

  it('leaves the NotReady Node of an instance that is not ours alone, and says it was not terminated (issue #21 item 9)', async () => {
    const world = createWorld();
    const foreign = instanceIdOf(98);
    world.fleet.add({ instanceId: foreign, clusterId: null });
    // Joined by hand with the workers' user data: its kubelet labelled it managed.
    world.cluster.addNode({ name: 'by-hand', instanceId: foreign, ready: false, managed: true });
    const command = verifyJoinCommand(
      { instanceIds: [foreign], launchedAt: world.clock.at(-600), deadline: world.clock.at(0) },
      world.clock.now(),
    );

    await verifyJoin(command, joinVerifierPorts(world));

    expect(world.cluster.seen.deletedNodes).toEqual([]);
    expect(world.cluster.node('by-hand')).toBeDefined();
    expect(world.fleet.terminated).toEqual([]);
    const [failed] = world.publisher.ofType('JoinFailed');
    expect(failed?.payload).toMatchObject({ instanceId: foreign, terminated: false });
    expect(failed?.payload.reason).toContain('its Node left alone');
  });

  it('an unknown instance waits like one still booting until the deadline', async () => {
    const world = createWorld();
    const unknown = instanceIdOf(77);
    const command = verifyJoinCommand(
      { instanceIds: [unknown], launchedAt: world.clock.at(0), deadline: world.clock.at(60) },
      world.clock.now(),
    );

    const outcomes = await playOut(world, command);

    expect(outcomes.map((o) => o.waiting.length)).toEqual([1, 1, 1, 0]);
    expect(outcomes.at(-1)?.failed).toEqual([unknown]);
    expect(world.fleet.terminated).toEqual([]);
    expect(world.fleet.refused).toEqual([unknown]);
  });
});
