import { isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import {
  createMessage,
  expectType,
  followUp,
  MessageTypes,
  parseMessage,
  parseMessageJson,
  TopicOf,
  ValidationError,
} from '../../src/index.js';

const now = new Date('2026-11-22T12:00:00.000Z');

describe('envelope', () => {
  it('creates a valid message with ULIDs and a fresh action id', () => {
    const msg = createMessage(
      'ScaleUp',
      { count: 3, reason: 'pending-pods' },
      { clusterId: 'prod' },
      now,
    );
    expect(isValid(msg.id)).toBe(true);
    expect(isValid(msg.actionId)).toBe(true);
    expect(msg).toMatchObject({
      type: 'ScaleUp',
      version: 1,
      clusterId: 'prod',
      causationId: null,
      occurredAt: now.toISOString(),
    });
    expect(parseMessage(JSON.parse(JSON.stringify(msg)))).toEqual({ ok: true, value: msg });
  });

  it("ReplaceCapacity carries the replaced worker's type, and older messages without it still parse (issue #23)", () => {
    const payload = { replacedInstanceId: 'i-0123456789abcdef0', reason: 'spot-interruption' };
    const old = createMessage('ReplaceCapacity', payload as never, { clusterId: 'prod' }, now);
    expect(parseMessage(JSON.parse(JSON.stringify(old))).ok).toBe(true);
    const typed = createMessage(
      'ReplaceCapacity',
      {
        replacedInstanceId: 'i-0123456789abcdef0',
        reason: 'spot-interruption',
        instanceType: 't3.medium',
      },
      { clusterId: 'prod' },
      now,
    );
    const parsed = parseMessage(JSON.parse(JSON.stringify(typed)));
    expect(parsed.ok && parsed.value.payload).toMatchObject({ instanceType: 't3.medium' });
  });

  it('DrainNode and NodeRemoved carry the drain start when set, and parse without it (older messages)', () => {
    const drainStartedAt = '2026-01-01T00:00:00.000Z';
    const drain = createMessage(
      'DrainNode',
      {
        nodeName: 'n1',
        instanceId: 'i-0123456789abcdef0',
        deadline: '2026-01-01T00:10:00.000Z',
        reason: 'spot-interruption',
        drainStartedAt,
      },
      { clusterId: 'prod' },
      now,
    );
    const parsed = parseMessage(JSON.parse(JSON.stringify(drain)));
    expect(parsed.ok && parsed.value.payload).toMatchObject({ drainStartedAt });
    const { drainStartedAt: _dropped, ...older } = drain.payload;
    const old = parseMessage(JSON.parse(JSON.stringify({ ...drain, payload: older })));
    expect(old.ok && old.value.payload).not.toHaveProperty('drainStartedAt');
    const removed = { nodeName: 'n1', instanceId: 'i-0123456789abcdef0', terminated: true };
    const olderRemoved = createMessage('NodeRemoved', removed, { clusterId: 'prod' }, now);
    expect(parseMessage(JSON.parse(JSON.stringify(olderRemoved))).ok).toBe(true);
  });

  it('keeps the action id and records the cause on follow-ups', () => {
    const cause = createMessage(
      'ScaleUp',
      { count: 1, reason: 'cpu-high' },
      { clusterId: 'prod' },
      now,
    );
    const next = followUp(cause, 'InstancesLaunched', { requested: 1, instances: [] }, now);
    expect(next.actionId).toBe(cause.actionId);
    expect(next.causationId).toBe(cause.id);
    expect(next.id).not.toBe(cause.id);
  });

  it('refuses to build a malformed message', () => {
    expect(() =>
      createMessage('ScaleUp', { count: 0, reason: 'x' }, { clusterId: 'prod' }, now),
    ).toThrow(/payload\.count/);
  });

  it('names the field and what was expected', () => {
    const good = createMessage(
      'DrainNode',
      {
        nodeName: 'n1',
        instanceId: 'i-0123456789abcdef0',
        deadline: now.toISOString(),
        reason: 'scale-down',
      },
      { clusterId: 'c' },
      now,
    );
    const bad = parseMessage({ ...good, payload: { ...good.payload, instanceId: 'node-7' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error).toBeInstanceOf(ValidationError);
      expect(bad.error.message).toContain(
        'DrainNode message is invalid: payload.instanceId: expected an EC2 instance id',
      );
    }
    const badId = parseMessage({ ...good, id: 'not-a-ulid' });
    expect(!badId.ok && badId.error.problems[0]).toEqual({
      path: 'id',
      message: 'expected a ULID (26 Crockford base32 characters)',
    });
    const badType = parseMessage({ ...good, type: 'Explode' });
    expect(!badType.ok && badType.error.problems[0]?.path).toBe('type');
  });

  it('reports bad JSON as a problem, not a crash', () => {
    const parsed = parseMessageJson('{not json');
    expect(!parsed.ok && parsed.error.message).toMatch(
      /message body is invalid: \(root\): expected JSON/,
    );
  });

  it('narrows to an expected type or says which it got', () => {
    const msg = createMessage('ScaleUp', { count: 1, reason: 'x' }, { clusterId: 'c' }, now);
    expect(expectType(msg, 'ScaleUp').payload.count).toBe(1);
    expect(() => expectType(msg, 'DrainNode')).toThrow(
      'type: expected DrainNode, received ScaleUp',
    );
  });

  it('routes every message type to a topic', () => {
    expect(MessageTypes.every((t) => TopicOf[t] !== undefined)).toBe(true);
    expect(MessageTypes).toHaveLength(15);
  });
});
