import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { assertPrefix, topology as declared } from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../../../local/src/aws/bootstrap.js';
import type { AwsClients } from '../../src/index.js';
import { motoClients } from './support.js';

let clients: AwsClients;
beforeAll(() => {
  clients = motoClients();
});
afterAll(() => clients.destroy());

describe('applyTopology', () => {
  it('creates the declared topology and is idempotent', async () => {
    const prefix = `t-topo-${randomBytes(3).toString('hex')}`;
    const first = await applyTopology(clients, prefix);
    const second = await applyTopology(clients, prefix);
    expect(second).toEqual(first);

    for (const topic of Object.values(first.topics)) {
      const subs = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topic.arn }),
      );
      const expected = first.subscriptions.filter((s) => first.topics[s.topic].arn === topic.arn);
      expect(subs.Subscriptions ?? []).toHaveLength(expected.length);
    }

    for (const [name, queue] of Object.entries(first.queues)) {
      const attrs = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }),
      );
      const redrive = JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}');
      const spec = declared.queues[name as keyof typeof declared.queues];
      expect(redrive.deadLetterTargetArn).toBe(queue.dlqArn);
      expect(Number(redrive.maxReceiveCount)).toBe(spec.maxReceiveCount);
      expect(spec.maxReceiveCount).toBeGreaterThanOrEqual(3);
      expect(spec.maxReceiveCount).toBeLessThanOrEqual(5);
      expect(attrs.Attributes?.VisibilityTimeout).toBe(String(spec.visibilityTimeoutSeconds));
    }

    const audit = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: first.tables.audit.name }),
    );
    expect(audit.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['byAction']);
    const ttl = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: first.tables.state.name }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expiresAt',
    });
  });

  it('declares least-privilege permissions: exact actions, no wildcards', () => {
    for (const [service, permissions] of Object.entries(declared.permissions)) {
      for (const permission of permissions) {
        for (const action of permission.actions) {
          expect(action, service).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
        }
      }
    }
    expect(() => assertPrefix('bad prefix!')).toThrow(/invalid/);
  });
});
