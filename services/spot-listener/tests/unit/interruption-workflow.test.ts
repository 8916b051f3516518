// Interruption events through the spot listener and, for the replacements
// it asks for, through the provisioner, on one in-memory fleet: what counts
// is how many workers end up launched.
import type { Envelope } from '@smartscale/contracts';
import { provision } from '@smartscale/service-provisioner/launch-workers';
import {
  createWorld,
  instanceIdOf,
  provisionerPorts,
  spotListenerPorts,
  testConfig,
  type World,
} from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import type { Interruption } from '../../ec2-events.js';
import { handleInterruption } from '../../handle-interruption.js';

const SPOT = instanceIdOf(1);
const NODE = 'n1';

/** A Spot worker of this cluster with its Node. */
function spotWorker(): World {
  const world = createWorld();
  world.fleet.add({
    instanceId: SPOT,
    capacityType: 'spot',
    zone: 'us-east-1b',
    launchedAt: world.clock.at(-7200),
    actionId: 'A-launch',
  });
  world.cluster.addNode({ name: NODE, instanceId: SPOT });
  return world;
}

function warning(world: World, eventId: string, instanceIds = [SPOT]): Interruption {
  const at = world.clock.now();
  return {
    eventId,
    kind: 'spot-interruption',
    instanceIds,
    at,
    deadline: new Date(at.getTime() + 120_000),
  };
}

/** Hands every ReplaceCapacity published so far to the provisioner, as its queue would. */
async function provisionReplacements(world: World): Promise<void> {
  const ports = provisionerPorts(world, { config: testConfig() });
  for (const command of world.publisher.ofType('ReplaceCapacity'))
    await provision(command as Envelope<'ReplaceCapacity'>, ports);
}

const replacementsOf = (world: World) =>
  [...world.fleet.instances.values()].filter((i) => i.instanceId !== SPOT);

describe('interruption workflow: duplicate warnings', () => {
  it('two warnings for one instance and a redelivery launch one replacement, in its zone and capacity type', async () => {
    const world = spotWorker();
    const ports = spotListenerPorts(world);
    const first = warning(world, 'evt-1');

    expect(await handleInterruption(first, ports)).toEqual(['replacing']);
    world.clock.advance(5);
    // AWS sends the warning again; SQS hands the first one back too.
    expect(await handleInterruption(warning(world, 'evt-2'), ports)).toEqual(['replacing']);
    expect(await handleInterruption(first, ports)).toEqual(['replacing']);
    await provisionReplacements(world);

    const actionIds = new Set(world.publisher.published.map((m) => m.actionId));
    expect(actionIds.size).toBe(1);
    expect(replacementsOf(world)).toMatchObject([
      { zone: 'us-east-1b', capacityType: 'spot', actionId: [...actionIds][0], state: 'pending' },
    ]);
    expect(world.publisher.ofType('InstancesLaunched')).toHaveLength(3);
    expect(
      new Set(
        world.publisher
          .ofType('InstancesLaunched')
          .flatMap((m) => m.payload.instances.map((i) => i.instanceId)),
      ).size,
    ).toBe(1);
    // Every DrainNode names the same node and action, so the drainer's once-steps dedup them.
    const drains = world.publisher.ofType('DrainNode');
    expect(drains).toHaveLength(3);
    expect(new Set(drains.map((d) => `${d.actionId}/${d.payload.nodeName}`)).size).toBe(1);
  });

  it('a rebalance then the warning launch one replacement too', async () => {
    const world = spotWorker();
    const ports = spotListenerPorts(world, { rebalance: 'replace-then-drain' });
    const at = world.clock.now();
    await handleInterruption(
      { eventId: 'evt-r', kind: 'rebalance', instanceIds: [SPOT], at, deadline: null },
      ports,
    );
    world.clock.advance(60);
    await handleInterruption(warning(world, 'evt-w'), ports);
    await provisionReplacements(world);

    expect(replacementsOf(world)).toHaveLength(1);
    expect(world.publisher.ofType('DrainNode').map((d) => d.payload.waitForReplacement)).toEqual([
      true,
      false,
    ]);
  });
});

describe('interruption workflow: instances that are not ours', () => {
  it('an unknown instance is acknowledged and nothing is published or launched', async () => {
    const world = spotWorker();
    const unknown = instanceIdOf(0xabc);

    const results = await handleInterruption(
      warning(world, 'evt-1', [unknown]),
      spotListenerPorts(world),
    );

    expect(results).toEqual(['not-ours']);
    expect(world.publisher.published).toEqual([]);
    expect(world.fleet.instances.size).toBe(1);
  });

  it("another cluster's worker is left alone, while ours in the same event is replaced", async () => {
    const world = spotWorker();
    const theirs = instanceIdOf(2);
    world.fleet.add({ instanceId: theirs, clusterId: 'another-cluster', capacityType: 'spot' });
    world.cluster.addNode({ name: 'their-node', instanceId: theirs });

    const results = await handleInterruption(
      warning(world, 'evt-1', [theirs, SPOT]),
      spotListenerPorts(world),
    );
    await provisionReplacements(world);

    expect(results).toEqual(['not-ours', 'replacing']);
    expect(world.publisher.published.every((m) => JSON.stringify(m).includes(theirs))).toBe(false);
    expect(world.publisher.ofType('DrainNode').map((d) => d.payload.instanceId)).toEqual([SPOT]);
    expect(replacementsOf(world).filter((i) => i.clusterId === world.fleet.clusterId)).toHaveLength(
      1,
    );
  });

  it('a warning for a worker already gone without a Node announces it and replaces nothing', async () => {
    const world = spotWorker();
    const worker = world.fleet.ours(SPOT);
    if (worker) worker.state = 'shutting-down';
    await world.cluster.deleteNode(NODE);

    const results = await handleInterruption(warning(world, 'evt-1'), spotListenerPorts(world));
    await provisionReplacements(world);

    expect(results).toEqual(['already-gone']);
    expect(world.publisher.types()).toEqual(['InterruptionReceived']);
    expect(replacementsOf(world)).toEqual([]);
  });
});
