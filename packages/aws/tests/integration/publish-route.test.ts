import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type MessageType, MessageTypes, parseMessageJson, TopicOf } from '@smartscale/contracts';
import { topology as declared, type QueueName } from '@smartscale/stacks';
import { sampleMessages } from '@smartscale/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../local/src/aws/bootstrap.js';
import { type AwsClients, Publisher } from '../../src/index.js';
import { freshTopology, motoClients, receiveAll } from './support.js';

let clients: AwsClients;
let topology: AppliedTopology;
let publisher: Publisher;

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'route');
  publisher = new Publisher({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArns: {
      samples: topology.topics.samples.arn,
      commands: topology.topics.commands.arn,
      events: topology.topics.events.arn,
    },
  });
});
afterAll(() => clients.destroy());

function typesOf(messages: { Body?: string }[]): MessageType[] {
  return messages
    .map((m) => {
      const parsed = parseMessageJson(m.Body ?? '');
      if (!parsed.ok) throw parsed.error;
      return parsed.value.type;
    })
    .sort();
}

describe('Publisher and subscriptions', () => {
  it('round-trips an envelope with its type, actionId and clusterId attributes', async () => {
    const message = sampleMessages.ScaleUp();
    await publisher.publish(message);
    const [received] = await receiveAll(clients.sqs, topology.queues.provisioner.url, {
      count: 1,
      remove: true,
    });
    expect(received).toBeDefined();
    // Raw delivery: the body is the envelope itself, not an SNS notification.
    expect(JSON.parse(received?.Body ?? '')).toEqual(message);
    expect(received?.MessageAttributes?.type?.StringValue).toBe('ScaleUp');
    expect(received?.MessageAttributes?.actionId?.StringValue).toBe(message.actionId);
    expect(received?.MessageAttributes?.clusterId?.StringValue).toBe('test-cluster');
  });

  it('routes each type only to the queues whose filter names it', async () => {
    for (const type of MessageTypes) await publisher.publish(sampleMessages[type]());

    const expected = new Map<QueueName, MessageType[]>();
    for (const [queue, spec] of Object.entries(declared.queues) as [
      QueueName,
      (typeof declared.queues)[QueueName],
    ][]) {
      const types: MessageType[] = spec.subscriptions.flatMap((s) =>
        'types' in s ? s.types.filter((t) => TopicOf[t] === s.topic) : [],
      );
      expected.set(queue, types.sort());
    }
    // The declaration itself must route every command to exactly one queue.
    for (const type of MessageTypes.filter((t) => TopicOf[t] === 'commands')) {
      const owners = [...expected].filter(([, types]) => types.includes(type));
      expect(owners, `${type} consumers`).toHaveLength(1);
    }
    expect(expected.get('decider')).toContain('MetricsSampled');
    expect(expected.get('decider')).not.toContain('DecisionMade');

    // Every queue is read until one more message than expected could have
    // arrived, so an extra delivery fails the test.
    const received = await Promise.all(
      [...expected].map(async ([queue, types]) => {
        const messages = await receiveAll(clients.sqs, topology.queues[queue].url, {
          count: types.length + 1,
          timeoutMs: 2500,
          remove: true,
        });
        return [queue, typesOf(messages)] as const;
      }),
    );
    expect(Object.fromEntries(received)).toEqual(Object.fromEntries(expected));
  });

  it('delivers a delayed message only after its delay', async () => {
    const message = sampleMessages.VerifyJoin();
    const started = Date.now();
    await publisher.publishDelayed(message, topology.queues['join-verifier'].url, 2);
    const early = await receiveAll(clients.sqs, topology.queues['join-verifier'].url, {
      timeoutMs: 1000,
    });
    expect(early).toHaveLength(0);
    const [late] = await receiveAll(clients.sqs, topology.queues['join-verifier'].url, {
      count: 1,
      timeoutMs: 5000,
      remove: true,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(JSON.parse(late?.Body ?? '')).toEqual(message);
    expect(late?.MessageAttributes?.type?.StringValue).toBe('VerifyJoin');
    await expect(
      publisher.publishDelayed(message, topology.queues['join-verifier'].url, 901),
    ).rejects.toThrow(/0 to 900/);
  });

  it('sends EC2 interruption and health events from the default bus to the spot-listener queue', async () => {
    const entries = [
      {
        Source: 'aws.ec2',
        DetailType: 'EC2 Spot Instance Interruption Warning',
        Detail: JSON.stringify({
          'instance-id': 'i-0123456789abcdef0',
          'instance-action': 'terminate',
        }),
      },
      {
        Source: 'aws.ec2',
        DetailType: 'EC2 Instance Rebalance Recommendation',
        Detail: JSON.stringify({ 'instance-id': 'i-0123456789abcdef0' }),
      },
      {
        Source: 'aws.ec2',
        DetailType: 'EC2 Instance State-change Notification',
        Detail: JSON.stringify({ 'instance-id': 'i-0123456789abcdef0', state: 'terminated' }),
      },
      {
        Source: 'aws.health',
        DetailType: 'AWS Health Event',
        Detail: JSON.stringify({ service: 'EC2', eventTypeCategory: 'scheduledChange' }),
      },
      // Not ours to hear: another detail type and a non-EC2 health event.
      { Source: 'aws.ec2', DetailType: 'EC2 AMI State Change', Detail: '{}' },
      {
        Source: 'aws.health',
        DetailType: 'AWS Health Event',
        Detail: JSON.stringify({ service: 'RDS', eventTypeCategory: 'scheduledChange' }),
      },
    ];
    await clients.eventbridge.send(new PutEventsCommand({ Entries: entries }));
    const received = await receiveAll(clients.sqs, topology.queues['spot-listener'].url, {
      count: 7,
      timeoutMs: 2500,
      remove: true,
    });
    const detailTypes = received.map((m) => JSON.parse(m.Body ?? '{}')['detail-type']).sort();
    expect(detailTypes).toEqual([
      'AWS Health Event',
      'EC2 Instance Rebalance Recommendation',
      'EC2 Instance State-change Notification',
      'EC2 Spot Instance Interruption Warning',
    ]);
  });
});
