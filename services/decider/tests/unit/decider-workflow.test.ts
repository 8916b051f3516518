// The decider's workflow through its ports only (DeciderPorts, evaluateSample,
// recordOutcome) on the in-memory ledger of @smartscale/testing, which keeps
// the DynamoDB ledger's lock, lease, fence and version rules; the commands it
// publishes go on to the provisioner on an in-memory fleet.
import { type Envelope, followUp } from '@smartscale/contracts';
import { provision } from '@smartscale/service-provisioner/launch-workers';
import {
  createWorld,
  deciderPorts,
  InMemoryLedger,
  instanceIdOf,
  pendingPod,
  provisionerPorts,
  StaleLeaseError,
  sampled,
  snapshot,
  TEST_CLUSTER,
  testConfig,
  utilization,
  workerNode,
} from '@smartscale/testing';
import { describe, expect, it } from 'vitest';
import { evaluateSample, recordOutcome } from '../../decide-action.js';

const config = testConfig();

/** A decider over an in-memory ledger, topic and fleet sharing one clock. */
function decider() {
  const world = createWorld();
  const ledger = new InMemoryLedger({ now: world.clock.now });
  // The workers of the samples below (n1..n5), launched by SmartScale earlier.
  for (let n = 1; n <= 5; n += 1) world.fleet.add({ instanceId: instanceIdOf(n) });
  const ports = deciderPorts({
    clock: world.clock,
    ledger,
    publisher: world.publisher,
    config,
    fleet: world.fleet,
  });
  return { world, ledger, ports, publisher: world.publisher };
}

type Decider = ReturnType<typeof decider>;

/** Two full workers and pods pending for two minutes: a fresh look at this scales up. */
function busySample(d: Decider) {
  const now = d.world.clock.now();
  const pendingSince = d.world.clock.at(-120);
  return sampled(
    snapshot(now, {
      nodes: [1, 2].map((n) => workerNode(n, now)),
      pendingPods: [1, 2, 3].map((i) => pendingPod({ name: `web-${i}`, pendingSince })),
      utilization: utilization(0.95, 0.9),
    }),
  );
}

/** Five idle workers: a fresh look at this drains one. */
const idleSample = (d: Decider) => sampled(snapshot(d.world.clock.now(), { workers: 5 }));

/** Hands every ScaleUp published so far to the provisioner, as its queue would. */
async function provisionScaleUps(d: Decider) {
  const ports = provisionerPorts(d.world, { config });
  for (const command of d.publisher.ofType('ScaleUp'))
    await provision(command as Envelope<'ScaleUp'>, ports);
}

describe('decider workflow: a crash between saving and publishing', () => {
  it('the redelivered sample republishes the same ScaleUp and the fleet launches once', async () => {
    const d = decider();
    const sample = busySample(d);
    d.publisher.loseNext();

    await expect(evaluateSample(sample, d.ports)).rejects.toThrow(/publish of ScaleUp lost/);
    // Saved before publishing: the action is recorded, the lock given back.
    const recorded = d.ledger.stored(TEST_CLUSTER).inFlight;
    expect(recorded).toMatchObject([{ actionId: sample.actionId, kind: 'scale-up' }]);
    expect(d.ledger.holder(TEST_CLUSTER)).toMatchObject({ owner: null });
    expect(d.publisher.published).toEqual([]);

    d.world.clock.advance(10);
    expect(await evaluateSample(sample, d.ports)).toEqual({
      status: 'replayed',
      actionId: sample.actionId,
    });
    const [scaleUp] = d.publisher.ofType('ScaleUp');
    expect(d.publisher.types()).toEqual(['ScaleUp']);
    expect(scaleUp?.actionId).toBe(sample.actionId);
    expect(scaleUp?.payload.count).toBe(recorded[0]?.pendingJoins);
    expect(scaleUp?.payload.count).toBeGreaterThan(0);

    // SQS hands the sample back once more before the provisioner has run.
    await evaluateSample(sample, d.ports);
    expect(d.publisher.ofType('ScaleUp')).toHaveLength(2);
    await provisionScaleUps(d);
    const launched = [...d.world.fleet.instances.values()].filter(
      (i) => i.actionId === sample.actionId,
    );
    expect(d.world.fleet.instances.size).toBe(5 + launched.length);
    expect(launched).toHaveLength(scaleUp?.payload.count ?? -1);

    // Once InstancesLaunched is in the ledger, a late copy sends no command at all.
    const [report] = d.publisher.ofType('InstancesLaunched');
    if (!report) throw new Error('expected InstancesLaunched');
    expect(await recordOutcome(report, d.ports)).toBe(true);
    d.publisher.clear();
    expect(await evaluateSample(sample, d.ports)).toMatchObject({ status: 'replayed' });
    expect(d.publisher.published).toEqual([]);
    expect(d.ledger.stored(TEST_CLUSTER).inFlight).toHaveLength(1);
  });

  it('a lost DrainNode is sent again with the deadline of the first decision', async () => {
    const d = decider();
    const sample = idleSample(d);
    d.publisher.loseNext();
    await expect(evaluateSample(sample, d.ports)).rejects.toThrow(/lost/);
    const decidedAt = d.world.clock.now().getTime();

    d.world.clock.advance(90);
    expect(await evaluateSample(sample, d.ports)).toMatchObject({ status: 'replayed' });

    const [drain] = d.publisher.ofType('DrainNode');
    expect(d.publisher.types()).toEqual(['DrainNode']);
    expect(drain?.payload.deadline).toBe(
      new Date(decidedAt + config.scaleDown.drainTimeoutSeconds * 1000).toISOString(),
    );
    expect(d.ledger.saves).toHaveLength(1);
  });
});

describe('decider workflow: the cluster lock', () => {
  it('a lock another decider holds: the sample is not evaluated; once its lease expires it is', async () => {
    const d = decider();
    expect(d.ledger.acquire(TEST_CLUSTER, 'other-decider')).not.toBeNull();
    const sample = busySample(d);

    expect(await evaluateSample(sample, d.ports)).toEqual({ status: 'lock-busy' });
    expect(d.publisher.published).toEqual([]);
    expect(d.ledger.audited).toEqual([]);
    expect(d.ledger.saves).toEqual([]);
    expect(d.ledger.holder(TEST_CLUSTER)).toMatchObject({ owner: 'other-decider', live: true });

    d.world.clock.advance(31);
    expect(await evaluateSample(sample, d.ports)).toMatchObject({
      status: 'decided',
      decision: { kind: 'scale-up' },
    });
  });

  it('an outcome under a busy lock is refused (redelivered), then recorded once the lock is free', async () => {
    const d = decider();
    await evaluateSample(busySample(d), d.ports);
    const [scaleUp] = d.publisher.ofType('ScaleUp');
    if (!scaleUp) throw new Error('expected a ScaleUp');
    const failed = followUp(
      scaleUp,
      'ActionFailed',
      { step: 'launch', reason: 'no capacity' },
      d.world.clock.now(),
    );
    const lease = d.ledger.acquire(TEST_CLUSTER, 'other-decider');
    if (!lease) throw new Error('expected the lock');

    expect(await recordOutcome(failed, d.ports)).toBe(false);
    expect(d.ledger.stored(TEST_CLUSTER).inFlight).toHaveLength(1);

    d.ledger.release(TEST_CLUSTER, lease);
    expect(await recordOutcome(failed, d.ports)).toBe(true);
    expect(d.ledger.stored(TEST_CLUSTER).inFlight).toEqual([]);
  });

  it('a stale lease: the save is refused, nothing is published or audited, and the redelivery decides once', async () => {
    const d = decider();
    const sample = busySample(d);
    // The decider stalls past its lease between reading and writing; another takes the lock.
    let other: ReturnType<InMemoryLedger['acquire']> = null;
    d.ledger.beforeNext('save', () => {
      d.world.clock.advance(31);
      other = d.ledger.acquire(TEST_CLUSTER, 'other-decider');
    });

    await expect(evaluateSample(sample, d.ports)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(d.ledger.saves).toEqual([]);
    expect(d.publisher.published).toEqual([]);
    expect(d.ledger.audited).toEqual([]);
    // The stale decider did not release the newer holder's lock.
    expect(d.ledger.holder(TEST_CLUSTER)).toMatchObject({ owner: 'other-decider', live: true });

    if (other) d.ledger.release(TEST_CLUSTER, other);
    expect(await evaluateSample(sample, d.ports)).toMatchObject({ status: 'decided' });
    expect(d.publisher.ofType('ScaleUp')).toHaveLength(1);
    expect(d.ledger.saves).toHaveLength(1);
  });
});

describe('decider workflow: redeliveries after the action closed', () => {
  it('a sample whose scale-up failed is acknowledged without deciding or launching again', async () => {
    const d = decider();
    const sample = busySample(d);
    await evaluateSample(sample, d.ports);
    const [scaleUp] = d.publisher.ofType('ScaleUp');
    if (!scaleUp) throw new Error('expected a ScaleUp');
    await recordOutcome(
      followUp(
        scaleUp,
        'ActionFailed',
        { step: 'launch', reason: 'no capacity' },
        d.world.clock.now(),
      ),
      d.ports,
    );
    d.publisher.clear();
    const audits = d.ledger.audited.length;

    expect(await evaluateSample(sample, d.ports)).toEqual({
      status: 'already-closed',
      actionId: sample.actionId,
    });
    expect(d.publisher.published).toEqual([]);
    expect(d.ledger.audited).toHaveLength(audits);
  });
});

describe('decider workflow: duplicate outcome events', () => {
  it('each outcome moves the ledger once; the repeat is audited as changing nothing', async () => {
    const d = decider();
    await evaluateSample(busySample(d), d.ports);
    await provisionScaleUps(d);
    const [launched] = d.publisher.ofType('InstancesLaunched');
    if (!launched) throw new Error('expected InstancesLaunched');
    const ids = launched.payload.instances.map((i) => i.instanceId);
    const joined = ids.map((instanceId, i) =>
      followUp(
        launched,
        'NodeJoined',
        { instanceId, nodeName: `new-${i}`, joinSeconds: 60 },
        d.world.clock.now(),
      ),
    );
    const savesBefore = d.ledger.saves.length;

    for (const event of [launched, launched, ...joined, ...joined])
      expect(await recordOutcome(event, d.ports)).toBe(true);

    const stored = d.ledger.stored(TEST_CLUSTER);
    expect(stored.inFlight).toEqual([]);
    expect(stored.closed.filter((c) => c.actionId === launched.actionId)).toHaveLength(1);
    // InstancesLaunched once, each NodeJoined once: the repeats saved nothing.
    expect(d.ledger.saves.length - savesBefore).toBe(1 + ids.length);
    const outcomes = d.ledger.audited.filter((a) => a.kind === 'outcome');
    expect(outcomes.map((a) => a.detail.ledgerChanged)).toEqual([
      true,
      false,
      ...ids.map(() => true),
      ...ids.map(() => false),
    ]);
  });

  it('a NodeRemoved delivered twice closes the scale-down once and keeps its time', async () => {
    const d = decider();
    await evaluateSample(idleSample(d), d.ports);
    const [drain] = d.publisher.ofType('DrainNode');
    if (!drain) throw new Error('expected a DrainNode');
    const { nodeName, instanceId } = drain.payload;
    const removed = followUp(
      drain,
      'NodeRemoved',
      { nodeName, instanceId, terminated: true },
      d.world.clock.now(),
    );

    await recordOutcome(removed, d.ports);
    const after = d.ledger.stored(TEST_CLUSTER);
    d.world.clock.advance(60);
    await recordOutcome(removed, d.ports);

    expect(d.ledger.stored(TEST_CLUSTER)).toEqual(after);
    expect(after.closed.map((c) => c.actionId)).toEqual([drain.actionId]);
  });
});
