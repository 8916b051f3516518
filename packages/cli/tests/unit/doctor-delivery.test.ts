import { queueSendPolicy } from '@smartscale/stacks';
import { describe, expect, it } from 'vitest';
import { allowedSources, topicArnOf, typesFilteredOut } from '../../src/doctor-delivery.js';

const QUEUE = 'arn:aws:sqs:eu-west-1:123456789012:smartscale-prod-decider';
const SAMPLES = 'arn:aws:sns:eu-west-1:123456789012:smartscale-prod-samples';
const EVENTS = 'arn:aws:sns:eu-west-1:123456789012:smartscale-prod-events';
const RULE = 'arn:aws:events:eu-west-1:123456789012:rule/smartscale-prod-spot';

describe('allowedSources', () => {
  it('reads the senders of the policy the deploy attaches, by service', () => {
    const policy = queueSendPolicy(QUEUE, { topicArns: [SAMPLES, EVENTS], ruleArns: [RULE] });

    expect([...allowedSources(policy, 'sns.amazonaws.com')]).toEqual([SAMPLES, EVENTS]);
    expect([...allowedSources(policy, 'events.amazonaws.com')]).toEqual([RULE]);
  });

  it('counts neither a Deny, another action nor another service', () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': SAMPLES } },
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: ['sqs:ReceiveMessage'],
          Condition: { ArnEquals: { 'aws:SourceArn': EVENTS } },
        },
        {
          Effect: 'Allow',
          Principal: { Service: ['s3.amazonaws.com'] },
          Action: 'sqs:SendMessage',
          Condition: { ArnLike: { 'aws:SourceArn': RULE } },
        },
      ],
    });

    expect(allowedSources(policy, 'sns.amazonaws.com').size).toBe(0);
    expect(allowedSources(policy, 'events.amazonaws.com').size).toBe(0);
  });

  it('finds nothing in no policy or one that is not JSON', () => {
    expect(allowedSources(undefined, 'sns.amazonaws.com').size).toBe(0);
    expect(allowedSources('{not json', 'sns.amazonaws.com').size).toBe(0);
  });
});

describe('typesFilteredOut', () => {
  const planned = { type: ['ScaleUp', 'VerifyJoin'] };

  it('names the planned types a live filter no longer admits', () => {
    expect(typesFilteredOut(planned, JSON.stringify({ type: ['ScaleUp'] }))).toEqual([
      'VerifyJoin',
    ]);
    expect(typesFilteredOut(planned, JSON.stringify({ type: ['VerifyJoin', 'ScaleUp'] }))).toEqual(
      [],
    );
  });

  it('drops nothing without a live filter, or when none is planned', () => {
    expect(typesFilteredOut(planned, undefined)).toEqual([]);
    expect(typesFilteredOut(null, JSON.stringify({ type: ['ScaleUp'] }))).toEqual([]);
  });

  it('takes a filter it cannot read as dropping every planned type', () => {
    expect(typesFilteredOut(planned, '{')).toEqual(['ScaleUp', 'VerifyJoin']);
  });
});

describe('topicArnOf', () => {
  it("takes a listed topic's ARN, else the name in the same account and region", () => {
    const listed = { samples: SAMPLES };
    expect(topicArnOf(listed, { key: 'samples', name: 'smartscale-prod-samples' })).toBe(SAMPLES);
    expect(topicArnOf(listed, { key: 'alarms', name: 'smartscale-prod-alarms' })).toBe(
      'arn:aws:sns:eu-west-1:123456789012:smartscale-prod-alarms',
    );
  });
});
