import {
  type AnyEnvelope,
  type ClaimedSample,
  type ClusterSnapshot,
  type ClusterState,
  createMessage,
  type Envelope,
  followUp,
} from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { defaultConfig as config } from '../../src/config.js';
import { evaluate, holdUnreadable } from '../../src/evaluate.js';
import { evaluateOutcome } from '../../src/outcome.js';
import { ago, NOW, nodes, snapshot, state } from './fixtures.js';

/** A sample of `snap` as the sampler publishes it, naming action `actionId` when given. */
const sampleOf = (snap: ClusterSnapshot, actionId?: string): Envelope<'MetricsSampled'> =>
  createMessage(
    'MetricsSampled',
    snap,
    actionId ? { clusterId: 'test', actionId } : { clusterId: 'test' },
    NOW,
  );

/** Five idle workers: a fresh look at these drains one. */
const idle = () => snapshot(nodes(5), [], { cpu: 0.05, memory: 0.1 });
/** Two busy workers (the default min): nothing to do. */
const steady = () => snapshot(nodes(2), [], { cpu: 0.5, memory: 0.4 });

const types = (messages: readonly AnyEnvelope[]) => messages.map((m) => m.type);

describe('evaluate', () => {
  it('decides a scale-down: records the action, drains the victim, announces and audits it', () => {
    const before = state();
    const sample = sampleOf(idle());
    const result = evaluate(before, sample, config, NOW);

    expect(result.status).toBe('decided');
    if (result.decision?.kind !== 'scale-down') throw new Error('expected a scale-down');
    const victim = result.decision.victim;
    expect(result.state).not.toBe(before);
    expect(result.state.inFlight).toEqual([
      expect.objectContaining({
        actionId: sample.actionId,
        kind: 'scale-down',
        nodeName: victim.nodeName,
      }),
    ]);
    expect(types(result.commands)).toEqual(['DrainNode', 'DecisionMade']);
    for (const command of result.commands) {
      expect(command.actionId).toBe(sample.actionId);
      expect(command.causationId).toBe(sample.id);
    }
    const drain = result.commands[0] as Envelope<'DrainNode'>;
    expect(drain.payload).toMatchObject({ nodeName: victim.nodeName, reason: 'scale-down' });
    expect(Date.parse(drain.payload.deadline) - NOW.getTime()).toBe(
      config.scaleDown.drainTimeoutSeconds * 1000,
    );
    expect(result.audit).toHaveLength(1);
    expect(result.audit[0]).toMatchObject({
      kind: 'decision',
      actionId: sample.actionId,
      summary: `scale down ${victim.nodeName}`,
      at: NOW.toISOString(),
    });
    expect(result.audit[0]?.detail).toHaveProperty('snapshot');
    expect(result.audit[0]?.detail).toHaveProperty('costEffect');
  });

  it('returns the very state it was given for a hold with no news, so nothing is saved', () => {
    const before = state();
    const result = evaluate(before, sampleOf(steady()), config, NOW);
    expect(result.decision?.kind).toBe('hold');
    expect(result.state).toBe(before);
    expect(types(result.commands)).toEqual(['DecisionMade']);
    expect(result.audit.map((a) => a.summary)).toEqual(['hold']);
    expect(result.audit[0]?.detail).not.toHaveProperty('costEffect');
  });

  it('replays a redelivered sample whose scale-up has not launched: the same ScaleUp, no new decision', () => {
    const sample = sampleOf(idle());
    const startedAt = ago(10);
    const before = state({
      inFlight: [
        {
          actionId: sample.actionId,
          kind: 'scale-up',
          startedAt,
          pendingJoins: 2,
          instanceIds: [],
          settledInstanceIds: [],
        },
      ],
    });
    const result = evaluate(before, sample, config, NOW);
    expect(result.status).toBe('replayed');
    expect(result.decision).toBeNull();
    expect(result.state).toBe(before);
    expect(result.audit).toEqual([]);
    expect(result.commands).toHaveLength(1);
    expect(result.commands[0]).toMatchObject({
      type: 'ScaleUp',
      actionId: sample.actionId,
      occurredAt: startedAt,
      payload: { count: 2, reason: 'redelivered' },
    });
  });

  it('decides nothing for a sample whose action has closed', () => {
    const sample = sampleOf(idle());
    const before = state({
      closed: [
        { actionId: sample.actionId, kind: 'scale-down', closedAt: ago(30), end: 'completed' },
      ],
    });
    const result = evaluate(before, sample, config, NOW);
    expect(result.status).toBe('already-closed');
    expect(result.state).toBe(before);
    expect(result.commands).toEqual([]);
    expect(result.audit).toEqual([]);
  });

  it('expires a drain past its deadline first and audits it before the decision', () => {
    const lost = {
      actionId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
      kind: 'scale-down' as const,
      startedAt: ago(24 * 3600),
      pendingJoins: 0,
      nodeName: 'ip-10-9-9-9',
      instanceIds: ['i-lost'],
      settledInstanceIds: [],
    };
    const before = state({ inFlight: [lost] });
    const result = evaluate(before, sampleOf(steady()), config, NOW);
    expect(result.expired).toEqual([lost]);
    expect(result.state).not.toBe(before);
    expect(result.state.inFlight).toEqual([]);
    expect(result.state.closed).toEqual([
      expect.objectContaining({ actionId: lost.actionId, end: 'expired' }),
    ]);
    expect(result.audit.map((a) => [a.kind, a.summary])).toEqual([
      ['expired', 'scale-down expired without an outcome'],
      ['decision', 'hold'],
    ]);
  });

  it('asks the given policy, on the ledger after expiry, instead of decide', () => {
    const seen: ClusterState[] = [];
    const result = evaluate(state(), sampleOf(steady()), config, NOW, {
      policy: (_snapshot, ledger) => {
        seen.push(ledger);
        return {
          kind: 'scale-up',
          count: 1,
          reasons: [{ code: 'pending-pods', message: 'test policy' }],
        };
      },
    });
    expect(seen).toHaveLength(1);
    expect(result.decision?.kind).toBe('scale-up');
    expect(result.commands[0]).toMatchObject({
      type: 'ScaleUp',
      payload: { count: 1, reason: 'pending-pods' },
    });
    expect(result.state.inFlight).toEqual([
      expect.objectContaining({ kind: 'scale-up', pendingJoins: 1 }),
    ]);
  });
});

describe('holdUnreadable', () => {
  it('holds with sample-unreadable, announces DecisionMade with the claim and audits the key', () => {
    const header = sampleOf(steady());
    const claim = {
      encoding: 'claim' as const,
      key: 'samples/test/x.json',
      sha256: 'a'.repeat(64),
      bytes: 1234,
      takenAt: ago(5),
      workers: 7,
    };
    const sample: ClaimedSample = {
      kind: 'claimed-sample',
      header: { ...header, type: 'MetricsSampled' },
      claim,
    };
    const held = holdUnreadable(sample, 'NoSuchKey', NOW);
    expect(held.decision.reasons.map((r) => r.code)).toEqual(['sample-unreadable']);
    expect(held.decision.reasons[0]?.message).toContain('NoSuchKey');
    expect(held.commands).toHaveLength(1);
    expect(held.commands[0]).toMatchObject({
      type: 'DecisionMade',
      actionId: header.actionId,
      causationId: header.id,
      payload: { snapshotTakenAt: claim.takenAt, workers: 7 },
    });
    expect(held.audit).toEqual([
      expect.objectContaining({
        kind: 'decision',
        summary: 'hold',
        detail: expect.objectContaining({ claim, messageId: header.id }),
      }),
    ]);
  });
});

describe('evaluateOutcome', () => {
  const sample = sampleOf(idle());
  const launched = followUp(
    sample,
    'InstancesLaunched',
    {
      requested: 1,
      instances: [
        {
          instanceId: 'i-0abc123456789def0',
          zone: 'eu-west-1a',
          capacityType: 'spot',
          instanceType: 't3.medium',
        },
      ],
    },
    NOW,
  );

  it('moves the in-flight launch and audits what it bought', () => {
    const before = state({
      inFlight: [
        {
          actionId: sample.actionId,
          kind: 'scale-up',
          startedAt: ago(10),
          pendingJoins: 1,
          instanceIds: [],
          settledInstanceIds: [],
        },
      ],
    });
    const moved = evaluateOutcome(before, launched, config, NOW);
    expect(moved?.state.inFlight[0]?.instanceIds).toEqual(['i-0abc123456789def0']);
    expect(moved?.audit).toMatchObject({
      kind: 'outcome',
      summary: 'InstancesLaunched',
      detail: { ledgerChanged: true, messageId: launched.id },
    });
    expect(moved?.audit.detail).toHaveProperty('costEffect');
  });

  it('changes nothing for the outcome of a closed action, and says so', () => {
    const before = state({
      closed: [
        { actionId: sample.actionId, kind: 'scale-up', closedAt: ago(30), end: 'completed' },
      ],
    });
    const moved = evaluateOutcome(before, launched, config, NOW);
    expect(moved?.state).toBe(before);
    expect(moved?.audit.detail).toMatchObject({ ledgerChanged: false });
  });

  it('ignores a message that is not an outcome', () => {
    expect(evaluateOutcome(state(), sample, config, NOW)).toBeNull();
  });
});
