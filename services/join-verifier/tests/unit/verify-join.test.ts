import { type AnyEnvelope, createMessage, type Envelope } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { type JoinedNode, type JoinVerifierPorts, verifyJoin } from '../../verify-join.js';

const NOW = new Date('2026-03-02T12:00:00.000Z');
const READY = 'i-0aaaaaaaaaaaaaaa1';
const NOT_READY = 'i-0bbbbbbbbbbbbbbb2';
const NEVER_REGISTERED = 'i-0ccccccccccccccc3';

function at(offsetSeconds: number): string {
  return new Date(NOW.getTime() + offsetSeconds * 1000).toISOString();
}

function verify(deadline: string): Envelope<'VerifyJoin'> {
  return createMessage(
    'VerifyJoin',
    { instanceIds: [READY, NOT_READY, NEVER_REGISTERED], launchedAt: at(-600), deadline },
    { clusterId: 'c-test' },
    NOW,
  );
}

/** Nodes by instance, recording what the verifier terminated, deleted and published. */
function world(nodes: Record<string, JoinedNode>, pods: Record<string, string[]> = {}) {
  const seen = {
    terminated: [] as string[],
    deletedNodes: [] as string[],
    published: [] as AnyEnvelope[],
    delayed: [] as { message: AnyEnvelope; delaySeconds: number }[],
  };
  const done = new Set<string>();
  const ports: JoinVerifierPorts = {
    now: () => NOW,
    findNodeByInstanceId: async (instanceId) => nodes[instanceId] ?? null,
    podsPlacedOn: async (nodeName) => pods[nodeName] ?? [],
    async terminate(instanceIds) {
      seen.terminated.push(...instanceIds);
      return { refused: [] };
    },
    async deleteNode(nodeName) {
      seen.deletedNodes.push(nodeName);
    },
    async once(actionId, step, effect) {
      if (done.has(`${actionId}/${step}`)) return false;
      await effect();
      done.add(`${actionId}/${step}`);
      return true;
    },
    publish: async (message) => {
      seen.published.push(message);
    },
    publishDelayed: async (message, delaySeconds) => {
      seen.delayed.push({ message, delaySeconds });
    },
  };
  return { ports, seen };
}

const nodes = {
  [READY]: { name: 'worker-ready', ready: true },
  [NOT_READY]: { name: 'worker-not-ready', ready: false },
};

describe('verifyJoin past the deadline', () => {
  it('terminates the instances that did not turn Ready and deletes the Node of one that registered', async () => {
    const { ports, seen } = world(nodes);

    const outcome = await verifyJoin(verify(at(-1)), ports);

    expect(outcome).toEqual({
      joined: [READY],
      notReadyNow: [],
      failed: [NOT_READY, NEVER_REGISTERED],
      waiting: [],
    });
    expect(seen.terminated).toEqual([NOT_READY, NEVER_REGISTERED]);
    // K3s has no cloud controller: a Node left behind would stay NotReady forever.
    expect(seen.deletedNodes).toEqual(['worker-not-ready']);
    expect(seen.published.map((m) => m.type)).toEqual(['NodeJoined', 'JoinFailed', 'JoinFailed']);
  });
});

describe('verifyJoin before the deadline', () => {
  it('re-checks the rest in whole seconds, deleting and terminating nothing', async () => {
    const { ports, seen } = world(nodes);

    // 3.2 s to the deadline: SQS takes whole seconds, so 4.
    await verifyJoin(verify(at(3.2)), ports);

    expect(seen.terminated).toEqual([]);
    expect(seen.deletedNodes).toEqual([]);
    expect(seen.delayed.map((d) => d.delaySeconds)).toEqual([4]);
    const next = seen.delayed.map((d) => d.message as Envelope<'VerifyJoin'>);
    expect(next.map((m) => m.payload.instanceIds)).toEqual([[NOT_READY, NEVER_REGISTERED]]);
  });

  it('counts a NotReady worker running placed pods as joined: it was Ready between two checks, and terminating it would take its pods without a drain', async () => {
    const { ports, seen } = world(nodes, {
      'worker-not-ready': ['default/web-1', 'default/web-2'],
    });

    const outcome = await verifyJoin(verify(at(-1)), ports);

    expect(outcome).toEqual({
      joined: [READY, NOT_READY],
      notReadyNow: [NOT_READY],
      failed: [NEVER_REGISTERED],
      waiting: [],
    });
    expect(seen.terminated).toEqual([NEVER_REGISTERED]);
    expect(seen.deletedNodes).toEqual([]);
    const joined = seen.published.filter((m) => m.type === 'NodeJoined');
    expect(joined.map((m) => (m.payload as { nodeName: string }).nodeName)).toEqual([
      'worker-ready',
      'worker-not-ready',
    ]);
  });

  it('asks for placed pods only past the deadline: before it, a NotReady Node is waited for', async () => {
    const asked: string[] = [];
    const { ports, seen } = world(nodes, { 'worker-not-ready': ['default/web-1'] });
    const counting: JoinVerifierPorts = {
      ...ports,
      podsPlacedOn: async (nodeName) => {
        asked.push(nodeName);
        return ports.podsPlacedOn(nodeName);
      },
    };

    const outcome = await verifyJoin(verify(at(60)), counting);

    expect(outcome.waiting).toEqual([NOT_READY, NEVER_REGISTERED]);
    expect(asked).toEqual([]);
    expect(seen.terminated).toEqual([]);
  });
});
