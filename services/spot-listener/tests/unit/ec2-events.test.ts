import { isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { actionIdForInstance, parseEc2Event, toInterruption } from '../../ec2-events.js';

const warning = {
  version: '0',
  id: '7b2a6a1c-0000-4000-8000-000000000001',
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2026-11-22T12:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:ec2:eu-west-1b:instance/i-0123456789abcdef0'],
  detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' },
};

describe('EC2 events', () => {
  it('reads a Spot interruption warning with its two-minute deadline', () => {
    const parsed = parseEc2Event(warning);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const i = toInterruption(parsed.value);
    expect(i).toMatchObject({ kind: 'spot-interruption', instanceIds: ['i-0123456789abcdef0'] });
    expect(i.deadline?.toISOString()).toBe('2026-11-22T12:02:00.000Z');
  });

  it('reads rebalance, state-change and AWS Health scheduled changes', () => {
    const rebalance = parseEc2Event({
      ...warning,
      'detail-type': 'EC2 Instance Rebalance Recommendation',
      detail: { 'instance-id': 'i-0123456789abcdef0' },
    });
    expect(rebalance.ok && toInterruption(rebalance.value).kind).toBe('rebalance');
    const state = parseEc2Event({
      ...warning,
      'detail-type': 'EC2 Instance State-change Notification',
      detail: { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' },
    });
    expect(state.ok && toInterruption(state.value)).toMatchObject({
      kind: 'state-change',
      state: 'terminated',
    });
    const health = parseEc2Event({
      ...warning,
      source: 'aws.health',
      'detail-type': 'AWS Health Event',
      detail: {
        service: 'EC2',
        eventTypeCategory: 'scheduledChange',
        startTime: 'Mon, 30 Nov 2026 08:00:00 GMT',
        affectedEntities: [{ entityValue: 'i-0123456789abcdef0' }, { entityValue: 'vol-1' }],
      },
    });
    expect(health.ok && toInterruption(health.value)).toMatchObject({
      kind: 'scheduled-change',
      instanceIds: ['i-0123456789abcdef0'],
    });
  });

  it('names what is wrong with an unexpected event', () => {
    const parsed = parseEc2Event({ ...warning, detail: { 'instance-id': 'node-7' } });
    expect(!parsed.ok && parsed.error.message).toContain('EC2 event is invalid');
    expect(parseEc2Event({ hello: 'world' }).ok).toBe(false);
  });

  it('derives one valid ULID per instance launch, whatever the event', () => {
    const launchedAt = '2026-11-22T08:00:00.000Z';
    const a = actionIdForInstance('i-0123456789abcdef0', launchedAt);
    expect(isValid(a)).toBe(true);
    expect(actionIdForInstance('i-0123456789abcdef0', launchedAt)).toBe(a);
    expect(actionIdForInstance('i-0123456789abcdef1', launchedAt)).not.toBe(a);
    expect(actionIdForInstance('i-0123456789abcdef0', '2026-11-22T08:00:01.000Z')).not.toBe(a);
    expect(isValid(actionIdForInstance('i-0123456789abcdef0', null))).toBe(true);
  });
});
