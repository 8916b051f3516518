// The drain as it plays out over several deliveries: the queue hands each
// delayed DrainNode back after its delay, and the clock moves by that delay,
// so a ten-minute drain runs in milliseconds.
import { metricsOf } from '@smartscale/aws';
import { type AnyEnvelope, type Envelope, stableUlid } from '@smartscale/contracts';
import {
  createWorld,
  drainCommand,
  drainerPorts,
  instanceIdOf,
  type World,
} from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import { type DrainResult, drainNode } from '../../drain-node.js';

const NODE = 'n1';
const INSTANCE = instanceIdOf(1);

/** A Ready worker n1 with a pod that moves and, unless told otherwise, one a PDB holds. */
function clusterWithHeldPod(options: { held?: boolean } = {}): World {
  const world = createWorld();
  world.fleet.add({ instanceId: INSTANCE, launchedAt: world.clock.at(-7200) });
  world.cluster.addNode({ name: NODE, instanceId: INSTANCE });
  world.cluster.addPod({ namespace: 'shop', name: 'web-1', nodeName: NODE });
  if (options.held !== false)
    world.cluster.addPod({
      namespace: 'shop',
      name: 'cart-0',
      nodeName: NODE,
      eviction: 'pdb-blocked',
    });
  return world;
}

/**
 * Delivers `command`, then every DrainNode it re-delivers, each after its
 * delay, until one pass re-delivers nothing. Returns every pass's result.
 */
async function playOut(
  world: World,
  command: Envelope<'DrainNode'>,
  /** Runs before each re-delivered pass, with the number of passes so far. */
  between: (passes: number) => void = () => {},
): Promise<DrainResult[]> {
  const ports = drainerPorts(world);
  const results = [await drainNode(command, ports)];
  for (let next = world.publisher.takeDelayed(); next.length > 0; ) {
    expect(next).toHaveLength(1);
    const [{ message, delaySeconds }] = next as [(typeof next)[number]];
    expect(message.type).toBe('DrainNode');
    world.clock.advance(delaySeconds);
    between(results.length);
    results.push(await drainNode(message as Envelope<'DrainNode'>, ports));
    next = world.publisher.takeDelayed();
    expect(results.length).toBeLessThan(100);
  }
  return results;
}

describe('drain workflow: a PDB that refuses until the deadline', () => {
  it('retries with backoff up to the deadline, then uncordons and fails the action once', async () => {
    const world = clusterWithHeldPod();
    const deadline = world.clock.at(600);
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline },
      world.clock.now(),
    );

    const results = await playOut(world, command);

    const last = results.at(-1);
    expect(last).toEqual({
      status: 'aborted',
      reason: `drain not finished by the deadline ${deadline}`,
    });
    // Every pass before the last was held by the budget, none overshot the deadline.
    expect(results.slice(0, -1).every((r) => r.status === 'retrying')).toBe(true);
    expect(results.length).toBeGreaterThan(5);
    expect(world.clock.now().toISOString()).toBe(deadline);
    // The moving pod left on the first pass; the held one stays, on a schedulable node.
    expect(world.cluster.seen.evictions.filter((e) => e === 'shop/web-1')).toHaveLength(1);
    expect(world.cluster.podsOn(NODE).map((p) => p.name)).toEqual(['cart-0']);
    expect(world.cluster.node(NODE)).toMatchObject({ unschedulable: false });
    expect(world.cluster.node(NODE)?.cordonedBy).toBeUndefined();
    expect(world.cluster.seen.cordons).toHaveLength(1);
    expect(world.cluster.seen.uncordons).toEqual([NODE]);
    expect(world.fleet.terminated).toEqual([]);
    expect(world.publisher.types()).toEqual(['NodeCordoned', 'ActionFailed']);
    const [failed] = world.publisher.ofType('ActionFailed');
    expect(failed?.actionId).toBe(command.actionId);
    expect(failed?.payload).toMatchObject({
      step: 'drain',
      detail: `drain of ${NODE} timed out: pod shop/cart-0 is still on the node`,
    });
  });

  it.each([
    ['spot-interruption', 120],
    ['scheduled-change', 600],
  ] as const)(
    'a %s drain held to its deadline terminates the lost instance there',
    async (reason, seconds) => {
      const world = clusterWithHeldPod();
      const deadline = world.clock.at(seconds);
      const command = drainCommand(
        { nodeName: NODE, instanceId: INSTANCE, deadline, reason },
        world.clock.now(),
      );

      const results = await playOut(world, command);

      expect(results.at(-1)).toEqual({
        status: 'lost',
        reason: `drain not finished by the deadline ${deadline}`,
      });
      expect(world.clock.now().toISOString()).toBe(deadline);
      expect(world.fleet.terminated).toEqual([INSTANCE]);
      expect(world.cluster.node(NODE)).toBeUndefined();
      expect(world.publisher.types()).toEqual(['NodeCordoned', 'NodeRemoved']);
    },
  );

  it('drains as soon as the budget allows it, before the deadline', async () => {
    const world = clusterWithHeldPod();
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline: world.clock.at(600) },
      world.clock.now(),
    );
    // The budget frees up (another replica became Ready) before the third pass.
    const results = await playOut(world, command, (passes) => {
      const held = world.cluster.podsOn(NODE).find((p) => p.name === 'cart-0');
      if (held && passes === 2) held.eviction = 'evicted';
    });

    expect(results.map((r) => r.status)).toEqual(['retrying', 'retrying', 'removed']);
    expect(results.at(-1)).toEqual({ status: 'removed', evicted: 1 });
    expect(world.fleet.terminated).toEqual([INSTANCE]);
    expect(world.publisher.types()).toEqual(['NodeCordoned', 'NodeDrained', 'NodeRemoved']);
    expect(world.publisher.ofType('NodeDrained')[0]?.payload.evictedPods).toBe(1);
  });
});

describe('drain workflow: the node is already gone', () => {
  it('a drain held by a PDB whose instance is terminated behind its back reports NodeRemoved once, touching nothing', async () => {
    const world = clusterWithHeldPod();
    const startedAt = world.clock.now().toISOString();
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline: world.clock.at(600) },
      world.clock.now(),
    );
    // Someone terminates the instance after the first pass; the Node goes with it.
    const results = await playOut(world, command, () => {
      const instance = world.fleet.ours(INSTANCE);
      if (instance) instance.state = 'terminated';
      world.cluster.nodes.delete(NODE);
    });

    expect(results).toEqual([
      { status: 'retrying', blocked: 1, remaining: 1 },
      { status: 'already-gone', state: 'terminated' },
    ]);
    expect(world.fleet.terminated).toEqual([]);
    expect(world.cluster.seen.uncordons).toEqual([]);
    expect(world.publisher.types()).toEqual(['NodeCordoned', 'NodeRemoved']);
    expect(world.publisher.ofType('NodeRemoved')[0]?.payload).toEqual({
      nodeName: NODE,
      instanceId: INSTANCE,
      terminated: true,
      // The command carried no start: the first pass's, carried on to the last.
      drainStartedAt: startedAt,
    });
  });
});

describe('drain workflow: DrainDuration', () => {
  /** A Spot drain as the spot listener sends it: its action id stamped with the launch, 3 h ago. */
  function spotDrain(world: World, payload: { drainStartedAt?: string } = {}) {
    const launchedAt = world.clock.at(-3 * 3600);
    return drainCommand(
      {
        nodeName: NODE,
        instanceId: INSTANCE,
        deadline: world.clock.at(120),
        reason: 'spot-interruption',
        ...payload,
      },
      world.clock.now(),
      { actionId: stableUlid(new Date(launchedAt), `interruption/${INSTANCE}`) },
    );
  }

  /** Plays the drain: held on its first pass, the pod free and the re-delivery handled 90 s later. */
  async function drainFor90Seconds(world: World, command: Envelope<'DrainNode'>) {
    const ports = drainerPorts(world);
    expect(await drainNode(command, ports)).toMatchObject({ status: 'retrying' });
    const [next] = world.publisher.takeDelayed();
    world.clock.advance(90);
    const held = world.cluster.podsOn(NODE).find((p) => p.name === 'cart-0');
    if (held) held.eviction = 'evicted';
    expect(await drainNode(next?.message as Envelope<'DrainNode'>, ports)).toMatchObject({
      status: 'removed',
    });
    const [removed] = world.publisher.ofType('NodeRemoved');
    return metricsOf(removed as AnyEnvelope).find((m) => m.name === 'DrainDuration')?.value;
  }

  it('a Spot drain of an instance launched 3 h ago that took 90 s reports 90 s, not the instance age', async () => {
    const world = clusterWithHeldPod();
    const command = spotDrain(world, { drainStartedAt: world.clock.now().toISOString() });

    expect(await drainFor90Seconds(world, command)).toBe(90);
  });

  it('a DrainNode from before drainStartedAt is measured from the drainer first handling it', async () => {
    const world = clusterWithHeldPod();

    expect(await drainFor90Seconds(world, spotDrain(world))).toBe(90);
  });
});

describe('drain workflow: the same DrainNode delivered twice', () => {
  it('after a finished drain: the copy terminates nothing and reports nothing again', async () => {
    const world = clusterWithHeldPod({ held: false });
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline: world.clock.at(600) },
      world.clock.now(),
    );
    const ports = drainerPorts(world);

    expect(await drainNode(command, ports)).toEqual({ status: 'removed', evicted: 1 });
    expect(await drainNode(command, ports)).toEqual({
      status: 'already-gone',
      state: 'shutting-down',
    });

    expect(world.fleet.terminated).toEqual([INSTANCE]);
    expect(world.cluster.seen.cordons).toHaveLength(1);
    expect(world.publisher.types()).toEqual(['NodeCordoned', 'NodeDrained', 'NodeRemoved']);
  });

  it('a scale-down refused for a pinned pod, delivered twice, fails the action once and evicts nothing', async () => {
    const world = createWorld();
    world.fleet.add({ instanceId: INSTANCE, launchedAt: world.clock.at(-7200) });
    world.cluster.addNode({ name: NODE, instanceId: INSTANCE });
    world.cluster.addPod({
      namespace: 'shop',
      name: 'cart-0',
      nodeName: NODE,
      blocker: { code: 'pdb-allows-no-disruption', pdb: 'cart' },
    });
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline: world.clock.at(600) },
      world.clock.now(),
    );
    const ports = drainerPorts(world);
    // First copy: the blocker stops a scale-down before any eviction.
    const aborted = await drainNode(command, ports);
    expect(aborted).toMatchObject({ status: 'aborted', refusal: { pod: 'shop/cart-0' } });
    // Its copy finds the node uncordoned again and the same refusal: nothing new is published.
    const again = await drainNode(command, ports);
    expect(again).toMatchObject({ status: 'aborted', refusal: { pod: 'shop/cart-0' } });
    expect(world.cluster.seen.evictions).toEqual([]);
    expect(world.cluster.node(NODE)?.unschedulable).toBe(false);
    expect(world.publisher.types()).toEqual(['ActionFailed']);
  });

  it('while a PDB holds a pod that may move: each copy evicts; the cordon, NodeCordoned and the next pass happen once', async () => {
    const world = clusterWithHeldPod();
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline: world.clock.at(600) },
      world.clock.now(),
    );
    const ports = drainerPorts(world);

    expect(await drainNode(command, ports)).toMatchObject({ status: 'retrying', blocked: 1 });
    expect(await drainNode(command, ports)).toMatchObject({ status: 'retrying', blocked: 1 });

    expect(world.cluster.seen.cordons).toHaveLength(1);
    expect(world.cluster.node(NODE)?.cordonedBy).toBe(command.actionId);
    expect(world.cluster.seen.evictions).toEqual(['shop/web-1', 'shop/cart-0', 'shop/cart-0']);
    expect(world.publisher.types()).toEqual(['NodeCordoned']);
    // One chain of passes, not one per copy: the copy re-delivers nothing.
    const [next, ...more] = world.publisher.takeDelayed();
    expect(more).toEqual([]);
    expect(next?.message).toMatchObject({ type: 'DrainNode', payload: { attempt: 1 } });
  });

  it('a re-sent DrainNode of the same action (a new message) still gets its own next pass', async () => {
    const world = clusterWithHeldPod();
    const payload = { nodeName: NODE, instanceId: INSTANCE, deadline: world.clock.at(600) };
    const command = drainCommand(payload, world.clock.now());
    const resent = drainCommand(payload, world.clock.now(), { actionId: command.actionId });
    const ports = drainerPorts(world);

    await drainNode(command, ports);
    await drainNode(resent, ports);

    expect(world.publisher.takeDelayed()).toHaveLength(2);
  });
});

describe('drain workflow: the deadline passed before the command arrived', () => {
  it('a scale-down changes nothing on the node and fails the action once, however often it comes', async () => {
    const world = clusterWithHeldPod({ held: false });
    const deadline = world.clock.at(-1);
    const command = drainCommand(
      { nodeName: NODE, instanceId: INSTANCE, deadline },
      new Date(Date.parse(deadline) - 600_000),
    );
    const ports = drainerPorts(world);

    expect(await drainNode(command, ports)).toMatchObject({ status: 'aborted' });
    expect(await drainNode(command, ports)).toMatchObject({ status: 'aborted' });

    expect(world.cluster.seen.cordons).toEqual([]);
    expect(world.cluster.seen.uncordons).toEqual([]);
    expect(world.cluster.seen.evictions).toEqual([]);
    expect(world.fleet.terminated).toEqual([]);
    expect(world.cluster.podsOn(NODE)).toHaveLength(1);
    expect(world.publisher.types()).toEqual(['ActionFailed']);
    expect(world.publisher.delayed).toEqual([]);
  });

  it('a spot interruption terminates and deletes the node at once, evicting nothing', async () => {
    const world = clusterWithHeldPod({ held: false });
    const command = drainCommand(
      {
        nodeName: NODE,
        instanceId: INSTANCE,
        deadline: world.clock.at(-1),
        reason: 'spot-interruption',
      },
      world.clock.now(),
    );

    expect(await drainNode(command, drainerPorts(world))).toMatchObject({ status: 'lost' });

    expect(world.cluster.seen.evictions).toEqual([]);
    expect(world.fleet.terminated).toEqual([INSTANCE]);
    expect(world.cluster.node(NODE)).toBeUndefined();
    expect(world.publisher.types()).toEqual(['NodeRemoved']);
  });
});
