import {
  type AnyEnvelope,
  createMessage,
  type Envelope,
  type PayloadInput,
} from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  type DrainedNode,
  type DrainerPorts,
  drainNode,
  type Eviction,
  type OtherNode,
  type PodToEvict,
  type Replacement,
  type WorkerState,
} from '../../drain-node.js';

const NOW = new Date('2026-03-02T12:00:00.000Z');
const JOIN_WINDOW_SECONDS = 690;
const DOOMED = 'i-0aaaaaaaaaaaaaaa1';
const NODE = 'worker-1';

function at(offsetSeconds: number): string {
  return new Date(NOW.getTime() + offsetSeconds * 1000).toISOString();
}

function command(payload: Partial<PayloadInput<'DrainNode'>> = {}): Envelope<'DrainNode'> {
  return createMessage(
    'DrainNode',
    { nodeName: NODE, instanceId: DOOMED, deadline: at(600), reason: 'scale-down', ...payload },
    { clusterId: 'c-test' },
    new Date(NOW.getTime() - 60_000),
  );
}

interface WorldSetup {
  node?: DrainedNode | OtherNode | null;
  pods?: (PodToEvict & { eviction: Eviction })[];
  worker?: WorkerState | null;
  replacements?: Replacement[];
  readyInstances?: string[];
}

/** A cluster and fleet that answer like the real adapters and record what the drainer did. */
function world(setup: WorldSetup = {}) {
  let node: DrainedNode | OtherNode | null =
    setup.node === undefined ? { unschedulable: false, cordonedBy: null } : setup.node;
  let pods = [...(setup.pods ?? [])];
  const done = new Set<string>();
  const seen = {
    cordons: [] as string[],
    cordonDeadlines: [] as string[],
    uncordons: 0,
    evictions: [] as string[],
    terminated: [] as string[],
    deletedNodes: [] as string[],
    published: [] as AnyEnvelope[],
    delayed: [] as { message: AnyEnvelope; delaySeconds: number }[],
  };
  const ports: DrainerPorts = {
    now: () => NOW,
    joinWindowSeconds: JOIN_WINDOW_SECONDS,
    drainTimeoutSeconds: 600,
    getNode: async () => node,
    findWorker: async () =>
      setup.worker === undefined ? { state: 'running', launchedAt: at(-3600) } : setup.worker,
    findReplacements: async () => setup.replacements ?? [],
    hasReadyNode: async (instanceId) => (setup.readyInstances ?? []).includes(instanceId),
    async cordon(_nodeName, actionId, drainDeadline) {
      seen.cordons.push(actionId);
      seen.cordonDeadlines.push(drainDeadline);
      node = { unschedulable: true, cordonedBy: actionId };
    },
    async uncordon() {
      seen.uncordons += 1;
      node = { unschedulable: false, cordonedBy: null };
    },
    podsToEvict: async () => pods.map(({ eviction: _, ...pod }) => pod),
    async evict(pod) {
      seen.evictions.push(`${pod.namespace}/${pod.name}`);
      const found = pods.find((p) => p.name === pod.name);
      if (!found) return 'gone';
      if (found.eviction === 'evicted') pods = pods.filter((p) => p !== found);
      return found.eviction;
    },
    async terminate(instanceId) {
      seen.terminated.push(instanceId);
    },
    async deleteNode(nodeName) {
      seen.deletedNodes.push(nodeName);
      node = null;
    },
    async once(actionId, step, effect) {
      const key = `${actionId}/${step}`;
      if (done.has(key)) return false;
      await effect();
      done.add(key);
      return true;
    },
    publish: async (message) => {
      seen.published.push(message);
    },
    publishDelayed: async (message, delaySeconds) => {
      seen.delayed.push({ message, delaySeconds });
    },
  };
  // The Node as the drain left it (an OtherNode setup never changes).
  return { ports, seen, node: () => node as DrainedNode | null };
}

const typesOf = (messages: AnyEnvelope[]) => messages.map((m) => m.type);

/** The one DrainNode re-delivered, with its delay. */
function redelivered(delayed: { message: AnyEnvelope; delaySeconds: number }[]) {
  expect(delayed).toHaveLength(1);
  const [{ message, delaySeconds }] = delayed as [(typeof delayed)[number]];
  expect(message.type).toBe('DrainNode');
  return { payload: (message as Envelope<'DrainNode'>).payload, delaySeconds };
}

describe('drainNode: a clean drain', () => {
  it('cordons with its action, evicts, then terminates, deletes the Node and reports once', async () => {
    const { ports, seen } = world({
      pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }],
    });
    const drain = command();

    expect(await drainNode(drain, ports)).toEqual({ status: 'removed', evicted: 1 });
    expect(seen.cordons).toEqual([drain.actionId]);
    // The reconciler judges a cordon stale only past the deadline it carries.
    expect(seen.cordonDeadlines).toEqual([drain.payload.deadline]);
    expect(seen.terminated).toEqual([DOOMED]);
    expect(seen.deletedNodes).toEqual([NODE]);
    expect(typesOf(seen.published)).toEqual(['NodeCordoned', 'NodeDrained', 'NodeRemoved']);
  });

  it('re-delivers a drain a PDB holds, after whole seconds never past the deadline', async () => {
    const { ports, seen } = world({
      pods: [{ namespace: 'shop', name: 'web-1', eviction: 'pdb-blocked' }],
    });
    // 2.4 s left: SQS takes only whole seconds, so 3, not 2.4 (nor 5, the backoff).
    const result = await drainNode(command({ deadline: at(2.4), attempt: 0 }), ports);

    expect(result).toEqual({ status: 'retrying', blocked: 1, remaining: 1 });
    const next = redelivered(seen.delayed);
    expect(next.delaySeconds).toBe(3);
    expect(next.payload.attempt).toBe(1);
  });
});

describe('drainNode: an eviction refused for good', () => {
  it('uncordons and fails the action naming the pod and the HTTP status, without throwing', async () => {
    const { ports, seen, node } = world({
      pods: [
        {
          namespace: 'shop',
          name: 'web-1',
          eviction: { status: 403, detail: 'forbidden', retryable: false },
        },
      ],
    });

    const result = await drainNode(command(), ports);

    expect(result).toMatchObject({ status: 'aborted', reason: 'eviction refused' });
    expect(node()).toEqual({ unschedulable: false, cordonedBy: null });
    expect(seen.uncordons).toBe(1);
    const failed = seen.published.find(
      (m) => m.type === 'ActionFailed',
    ) as Envelope<'ActionFailed'>;
    expect(failed.payload.detail).toContain('shop/web-1');
    expect(failed.payload.detail).toContain('HTTP 403');
    expect(seen.delayed).toEqual([]);
    expect(seen.terminated).toEqual([]);
  });

  it('never lifts a cordon someone else made', async () => {
    const { ports, seen, node } = world({
      node: { unschedulable: true, cordonedBy: null },
      pods: [
        {
          namespace: 'shop',
          name: 'web-1',
          eviction: { status: 422, detail: 'invalid', retryable: false },
        },
      ],
    });

    expect(await drainNode(command(), ports)).toMatchObject({ status: 'aborted' });
    expect(seen.uncordons).toBe(0);
    expect(node()?.unschedulable).toBe(true);
  });

  it('retries throttling and server errors like a PDB refusal, keeping the cordon', async () => {
    const { ports, seen, node } = world({
      pods: [
        {
          namespace: 'shop',
          name: 'web-1',
          eviction: { status: 503, detail: 'unavailable', retryable: true },
        },
      ],
    });

    expect(await drainNode(command(), ports)).toMatchObject({ status: 'retrying', blocked: 1 });
    expect(seen.delayed).toHaveLength(1);
    expect(node()?.unschedulable).toBe(true);
    expect(seen.published.some((m) => m.type === 'ActionFailed')).toBe(false);
  });
});

describe('drainNode: a pod that must not move landed after the sample', () => {
  const pinned = (blocker: PodToEvict['blocker']) =>
    world({
      pods: [
        { namespace: 'shop', name: 'web-1', eviction: 'evicted' },
        { namespace: 'shop', name: 'cart-0', eviction: 'evicted', blocker },
      ],
    });

  it('aborts before any eviction, lifts its own cordon and fails naming the pod and the rule', async () => {
    const { ports, seen, node } = pinned({ code: 'do-not-disrupt' });

    const result = await drainNode(command(), ports);

    expect(result).toMatchObject({
      status: 'aborted',
      refusal: { nodeName: NODE, code: 'do-not-disrupt', pod: 'shop/cart-0' },
    });
    expect(seen.cordons).toHaveLength(1);
    expect(seen.evictions).toEqual([]);
    expect(node()).toEqual({ unschedulable: false, cordonedBy: null });
    expect(typesOf(seen.published)).toEqual(['ActionFailed']);
    const failed = seen.published[0] as Envelope<'ActionFailed'>;
    expect(failed.payload).toMatchObject({
      step: 'drain',
      refusal: { nodeName: NODE, code: 'do-not-disrupt', pod: 'shop/cart-0' },
    });
    expect(failed.payload.detail).toContain('shop/cart-0');
    expect(seen.terminated).toEqual([]);
    expect(seen.delayed).toEqual([]);
  });

  it('names the budget that allows no disruption', async () => {
    const { ports, seen } = pinned({ code: 'pdb-allows-no-disruption', pdb: 'cart-pdb' });

    await drainNode(command(), ports);

    const failed = seen.published.find(
      (m) => m.type === 'ActionFailed',
    ) as Envelope<'ActionFailed'>;
    expect(failed.payload.refusal).toEqual({
      nodeName: NODE,
      code: 'pdb-allows-no-disruption',
      pod: 'shop/cart-0',
      pdb: 'shop/cart-pdb',
    });
    expect(failed.payload.detail).toContain('PDB shop/cart-pdb');
  });

  it('keeps a cordon someone else made while aborting', async () => {
    const { ports, seen, node } = world({
      node: { unschedulable: true, cordonedBy: null },
      pods: [
        { namespace: 'db', name: 'pg-0', eviction: 'evicted', blocker: { code: 'stateful-set' } },
      ],
    });

    expect(await drainNode(command(), ports)).toMatchObject({ status: 'aborted' });
    expect(seen.uncordons).toBe(0);
    expect(node()?.unschedulable).toBe(true);
    expect(seen.evictions).toEqual([]);
  });

  it('does not re-check on a later pass: a budget our own evictions spent is no reason to stop', async () => {
    const { ports, seen } = world({
      node: { unschedulable: true, cordonedBy: 'placeholder' },
      pods: [
        {
          namespace: 'shop',
          name: 'web-2',
          eviction: 'pdb-blocked',
          blocker: { code: 'pdb-allows-no-disruption', pdb: 'web' },
        },
      ],
    });
    const drain = command({ attempt: 2 });
    // The cordon is this action's own, from the first pass.
    await ports.cordon(NODE, drain.actionId, drain.payload.deadline);

    expect(await drainNode(drain, ports)).toMatchObject({ status: 'retrying', blocked: 1 });
    expect(seen.evictions).toEqual(['shop/web-2']);
    expect(seen.published.some((m) => m.type === 'ActionFailed')).toBe(false);
  });

  it('does not re-check the cordon of a drain the decider re-sends (attempt 0, cordon ours)', async () => {
    const drain = command();
    const { ports, seen } = world({
      node: { unschedulable: true, cordonedBy: drain.actionId },
      pods: [
        {
          namespace: 'shop',
          name: 'web-2',
          eviction: 'evicted',
          blocker: { code: 'pdb-allows-no-disruption', pdb: 'web' },
        },
      ],
    });

    expect(await drainNode(drain, ports)).toMatchObject({ status: 'removed', evicted: 1 });
    expect(seen.evictions).toEqual(['shop/web-2']);
  });

  it.each(['spot-interruption', 'rebalance'] as const)(
    'a %s drain moves what it can: the instance goes anyway',
    async (reason) => {
      const { ports, seen } = pinned({ code: 'do-not-disrupt' });

      await drainNode(command({ reason }), ports);

      expect(seen.evictions).toEqual(['shop/web-1', 'shop/cart-0']);
      expect(seen.published.some((m) => m.type === 'ActionFailed')).toBe(false);
    },
  );
});

describe('drainNode: past the deadline', () => {
  it('gives a rebalance drain its node back and fails the action (the instance may live on)', async () => {
    const drain = command({ reason: 'rebalance', deadline: at(-1) });
    const { ports, seen } = world({ node: { unschedulable: true, cordonedBy: drain.actionId } });

    expect(await drainNode(drain, ports)).toMatchObject({ status: 'aborted' });
    expect(seen.uncordons).toBe(1);
    expect(seen.terminated).toEqual([]);
    expect(seen.deletedNodes).toEqual([]);
    expect(typesOf(seen.published)).toEqual(['ActionFailed']);
  });

  it('names, in the failed action, the pods still blocked and the budget holding each, keeping the node', async () => {
    const drain = command({ reason: 'rebalance', deadline: at(-1) });
    const { ports, seen } = world({
      node: { unschedulable: true, cordonedBy: drain.actionId },
      pods: [
        {
          namespace: 'shop',
          name: 'web-abc',
          blocker: { code: 'pdb-allows-no-disruption', pdb: 'web' },
          eviction: 'pdb-blocked',
        },
        // Refused by a budget that allowed one when listed, or still leaving.
        { namespace: 'shop', name: 'cart-0', eviction: 'pdb-blocked' },
      ],
    });

    await drainNode(drain, ports);

    const [failed] = seen.published.filter((m) => m.type === 'ActionFailed');
    expect(failed?.payload).toMatchObject({
      reason: `drain not finished by the deadline ${at(-1)}`,
      detail: `drain of ${NODE} timed out: pod shop/web-abc is held by PDB shop/web (0 disruptions allowed); pod shop/cart-0 is still on the node`,
    });
    expect(seen.uncordons).toBe(1);
  });

  it('names at most five pods past the deadline, and still gives the node back when its pods cannot be listed', async () => {
    const drain = command({ reason: 'rebalance', deadline: at(-1) });
    const many = world({
      node: { unschedulable: true, cordonedBy: drain.actionId },
      pods: [1, 2, 3, 4, 5, 6, 7].map((n) => ({
        namespace: 'shop',
        name: `web-${n}`,
        eviction: 'pdb-blocked' as const,
      })),
    });
    await drainNode(drain, many.ports);
    const [failed] = many.seen.published.filter((m) => m.type === 'ActionFailed');
    expect(failed?.payload).toMatchObject({
      detail: expect.stringMatching(/pod shop\/web-5 is still on the node; and 2 more pod\(s\)$/),
    });

    const unlisted = world({ node: { unschedulable: true, cordonedBy: drain.actionId } });
    const ports = {
      ...unlisted.ports,
      podsToEvict: async () => {
        throw new Error('apiserver unavailable');
      },
    };
    expect(await drainNode(drain, ports)).toMatchObject({ status: 'aborted' });
    expect(unlisted.seen.uncordons).toBe(1);
    const [unnamed] = unlisted.seen.published.filter((m) => m.type === 'ActionFailed');
    expect(unnamed?.payload).toMatchObject({
      detail: `drain of ${NODE} timed out: its pods could not be listed (apiserver unavailable)`,
    });
  });

  it('gives a scale-down drain its node back, but not a cordon another action made', async () => {
    const drain = command({ deadline: at(-1) });
    const ours = world({ node: { unschedulable: true, cordonedBy: drain.actionId } });
    await drainNode(drain, ours.ports);
    expect(ours.seen.uncordons).toBe(1);

    const theirs = world({ node: { unschedulable: true, cordonedBy: 'someone-else' } });
    await drainNode(drain, theirs.ports);
    expect(theirs.seen.uncordons).toBe(0);
    expect(typesOf(theirs.seen.published)).toEqual(['ActionFailed']);
  });

  it.each(['spot-interruption', 'scheduled-change'] as const)(
    'a %s drain terminates the lost instance, deletes its Node and reports NodeRemoved once',
    async (reason) => {
      const drain = command({ reason, deadline: at(-1) });
      const { ports, seen } = world({
        node: { unschedulable: true, cordonedBy: drain.actionId },
        pods: [{ namespace: 'shop', name: 'web-1', eviction: 'pdb-blocked' }],
      });

      expect(await drainNode(drain, ports)).toMatchObject({ status: 'lost' });
      expect(seen.terminated).toEqual([DOOMED]);
      expect(seen.deletedNodes).toEqual([NODE]);
      // A second delivery finds no Node and a terminated instance: nothing new to report.
      const again = world({
        node: null,
        worker: { state: 'shutting-down', launchedAt: at(-3600) },
      });
      const sharedOnce = { ...again.ports, once: ports.once };
      expect(await drainNode(drain, sharedOnce)).toMatchObject({ status: 'already-gone' });
      expect(again.seen.terminated).toEqual([]);
      expect(typesOf(seen.published)).toEqual(['NodeRemoved']);
      expect(again.seen.published).toEqual([]);
    },
  );
});

describe('drainNode: a deadline beyond the drain timeout (issue #21 item 11)', () => {
  it.each(['scale-down', 'spot-interruption', 'rebalance', 'scheduled-change'] as const)(
    'a %s drain due in a year changes nothing and fails the action naming the deadline and the bound',
    async (reason) => {
      const drain = command({ reason, deadline: at(365 * 86400) });
      const { ports, seen, node } = world({
        pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }],
      });
      expect(await drainNode(drain, ports)).toEqual({
        status: 'aborted',
        reason: 'deadline beyond the drain timeout',
      });
      expect(seen.cordons).toEqual([]);
      expect(seen.evictions).toEqual([]);
      expect(seen.terminated).toEqual([]);
      expect(node()).toEqual({ unschedulable: false, cordonedBy: null });
      expect(seen.published.map((m) => [m.type, m.payload])).toEqual([
        [
          'ActionFailed',
          {
            step: 'drain',
            reason: 'deadline beyond the drain timeout',
            detail: `deadline ${at(365 * 86400)} is more than 600 s (scaleDown.drainTimeoutSeconds 600, at least the 120 s Spot notice) + 60 s skew from now (${NOW.toISOString()}): nothing cordoned, evicted or terminated`,
          },
        ],
      ]);
    },
  );

  it('honours a deadline up to the timeout plus the skew', async () => {
    const { ports, seen } = world({
      pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }],
    });
    expect(await drainNode(command({ deadline: at(660) }), ports)).toMatchObject({
      status: 'removed',
    });
    expect(seen.terminated).toEqual([DOOMED]);
    const late = world();
    expect(await drainNode(command({ deadline: at(661) }), late.ports)).toMatchObject({
      status: 'aborted',
    });
  });

  it("keeps a spot drain's two-minute notice under a shorter drain timeout", async () => {
    const short = world({ pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }] });
    const ports = { ...short.ports, drainTimeoutSeconds: 10 };
    const drain = command({ reason: 'spot-interruption', deadline: at(120) });
    expect(await drainNode(drain, ports)).toMatchObject({ status: 'removed' });
    expect(await drainNode(command({ deadline: at(181) }), ports)).toMatchObject({
      status: 'aborted',
      reason: 'deadline beyond the drain timeout',
    });
  });
});

describe('drainNode: the instance is another Node', () => {
  it.each([
    ['a loaded worker long past its join window', at(-3600)],
    ['a worker inside its join window', at(-5)],
  ])('changes nothing and fails the action for %s', async (_, launchedAt) => {
    const { ports, seen } = world({
      node: { otherNode: 'worker-7' },
      worker: { state: 'running', launchedAt },
      pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }],
    });

    expect(await drainNode(command(), ports)).toEqual({
      status: 'aborted',
      reason: 'node does not match the instance',
    });
    expect(seen.terminated).toEqual([]);
    expect(seen.cordons).toEqual([]);
    expect(seen.evictions).toEqual([]);
    expect(seen.deletedNodes).toEqual([]);
    expect(seen.delayed).toEqual([]);
    const [failed] = seen.published as Envelope<'ActionFailed'>[];
    expect(typesOf(seen.published)).toEqual(['ActionFailed']);
    expect(failed?.payload.detail).toBe(
      `instance ${DOOMED} is Node worker-7, not ${NODE}: nothing cordoned, evicted or terminated`,
    );
  });
});

describe("drainNode: a Node whose instance is not SmartScale's (issue #21 item 9)", () => {
  // Joined by hand with the workers' user data: labelled managed by its own
  // kubelet, but EC2 does not tag its instance as this cluster's worker.
  it.each([
    ['a scale-down', command()],
    [
      'a spot drain past its deadline, which would terminate at once',
      command({ reason: 'spot-interruption', deadline: at(-1) }),
    ],
  ])(
    'cordons, evicts, terminates and deletes nothing for %s, and fails naming why',
    async (_, drain) => {
      const { ports, seen, node } = world({
        worker: null,
        pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }],
      });

      expect(await drainNode(drain, ports)).toEqual({
        status: 'aborted',
        reason: 'not a SmartScale instance',
        refusal: { nodeName: NODE, code: 'not-smartscale-instance' },
      });
      expect(seen.cordons).toEqual([]);
      expect(seen.evictions).toEqual([]);
      expect(seen.terminated).toEqual([]);
      expect(seen.deletedNodes).toEqual([]);
      expect(seen.delayed).toEqual([]);
      expect(node()).toEqual({ unschedulable: false, cordonedBy: null });
      const [failed] = seen.published as Envelope<'ActionFailed'>[];
      expect(typesOf(seen.published)).toEqual(['ActionFailed']);
      expect(failed?.payload).toMatchObject({
        step: 'drain',
        refusal: { nodeName: NODE, code: 'not-smartscale-instance' },
      });
      expect(failed?.payload.detail).toContain(`instance ${DOOMED} of Node ${NODE} is not tagged`);
    },
  );
});

describe('drainNode: no Node', () => {
  it('waits for a worker still inside its join window, in whole seconds', async () => {
    // Launched 689.6 s ago: 0.4 s of the 690 s window left, re-checked in 1 s.
    const { ports, seen } = world({
      node: null,
      worker: { state: 'running', launchedAt: at(-689.6) },
    });

    expect(await drainNode(command(), ports)).toEqual({
      status: 'waiting',
      for: 'node-join',
      delaySeconds: 1,
    });
    expect(seen.terminated).toEqual([]);
    expect(seen.published).toEqual([]);
    expect(redelivered(seen.delayed).delaySeconds).toBe(1);
  });

  it('backs off while the join window is long, not past it', async () => {
    const { ports, seen } = world({ node: null, worker: { state: 'pending', launchedAt: at(-5) } });
    await drainNode(command({ attempt: 2 }), ports);
    const next = redelivered(seen.delayed);
    expect(next.delaySeconds).toBe(20);
    expect(next.payload.attempt).toBe(3);
  });

  it('terminates a worker that never joined within its window and reports NodeRemoved', async () => {
    const { ports, seen } = world({
      node: null,
      worker: { state: 'running', launchedAt: at(-JOIN_WINDOW_SECONDS) },
    });

    expect(await drainNode(command(), ports)).toEqual({ status: 'removed', evicted: 0 });
    expect(seen.terminated).toEqual([DOOMED]);
    expect(seen.delayed).toEqual([]);
    expect(seen.published.map((m) => [m.type, m.payload])).toEqual([
      [
        'NodeRemoved',
        { nodeName: NODE, instanceId: DOOMED, terminated: true, drainStartedAt: NOW.toISOString() },
      ],
    ]);
  });

  it.each(['shutting-down', 'terminated'])(
    'reports an instance already %s as removed without terminating it again',
    async (state) => {
      const { ports, seen } = world({ node: null, worker: { state, launchedAt: at(-10) } });

      expect(await drainNode(command(), ports)).toEqual({ status: 'already-gone', state });
      expect(seen.terminated).toEqual([]);
      expect(seen.published.map((m) => m.payload)).toEqual([
        { nodeName: NODE, instanceId: DOOMED, terminated: true, drainStartedAt: NOW.toISOString() },
      ]);
    },
  );

  it('reports an instance that is not ours as removed, not terminated', async () => {
    const { ports, seen } = world({ node: null, worker: null });

    expect(await drainNode(command(), ports)).toEqual({ status: 'already-gone', state: null });
    expect(seen.terminated).toEqual([]);
    expect(seen.published.map((m) => m.payload)).toEqual([
      { nodeName: NODE, instanceId: DOOMED, terminated: false, drainStartedAt: NOW.toISOString() },
    ]);
  });
});

describe('drainNode: replace-then-drain', () => {
  const REPLACEMENT = 'i-0bbbbbbbbbbbbbbb2';

  it('keeps the doomed node serving while its replacement is still joining', async () => {
    const { ports, seen } = world({
      replacements: [{ instanceId: REPLACEMENT, launchedAt: at(-30) }],
    });

    const result = await drainNode(
      command({ reason: 'rebalance', waitForReplacement: true }),
      ports,
    );

    expect(result).toEqual({ status: 'waiting', for: 'replacement', delaySeconds: 5 });
    expect(seen.cordons).toEqual([]);
    expect(seen.published).toEqual([]);
    expect(redelivered(seen.delayed).payload).toMatchObject({
      waitForReplacement: true,
      attempt: 1,
    });
  });

  it('waits for a replacement not launched yet, at most until the drain deadline', async () => {
    const { ports, seen } = world({ replacements: [] });

    const drain = command({ reason: 'rebalance', waitForReplacement: true, deadline: at(1.2) });
    expect(await drainNode(drain, ports)).toMatchObject({ status: 'waiting', delaySeconds: 2 });
    expect(seen.cordons).toEqual([]);
  });

  it('drains once the replacement is Ready', async () => {
    const { ports, seen } = world({
      replacements: [{ instanceId: REPLACEMENT, launchedAt: at(-120) }],
      readyInstances: [REPLACEMENT],
    });
    const drain = command({ reason: 'rebalance', waitForReplacement: true });

    expect(await drainNode(drain, ports)).toMatchObject({ status: 'removed' });
    expect(seen.cordons).toEqual([drain.actionId]);
  });

  it('drains when the replacement is past its join window: a failed replacement holds nothing', async () => {
    const { ports, seen } = world({
      replacements: [{ instanceId: REPLACEMENT, launchedAt: at(-JOIN_WINDOW_SECONDS - 1) }],
    });
    const drain = command({ reason: 'rebalance', waitForReplacement: true });

    expect(await drainNode(drain, ports)).toMatchObject({ status: 'removed' });
    expect(seen.cordons).toEqual([drain.actionId]);
  });

  it('does not wait again once its cordon is in place', async () => {
    const drain = command({ reason: 'rebalance', waitForReplacement: true });
    const { ports, seen } = world({
      node: { unschedulable: true, cordonedBy: drain.actionId },
      replacements: [{ instanceId: REPLACEMENT, launchedAt: at(-30) }],
      pods: [{ namespace: 'shop', name: 'web-1', eviction: 'evicted' }],
    });

    expect(await drainNode(drain, ports)).toEqual({ status: 'removed', evicted: 1 });
    expect(seen.cordons).toEqual([]);
  });
});
