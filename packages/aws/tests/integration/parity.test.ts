import { randomBytes } from 'node:crypto';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
} from '@aws-sdk/client-s3';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { deploymentPlan } from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppliedTopology, applyTopology } from '../../../local/src/aws/bootstrap.js';
import type { AwsClients } from '../../src/index.js';
import { motoClients } from './support.js';

const sorted = (xs: Iterable<string>) => [...xs].sort();

// Parity, local side: what the bootstrap really created in moto under a
// stage prefix is exactly the deployment plan the SST mapping builds from —
// every topic, queue, DLQ, subscription, table, bucket, rule and alarm,
// nothing else.
describe('local bootstrap = deployment plan', () => {
  let clients: AwsClients;
  let prefix: string;
  let applied: AppliedTopology;
  const plan = () => deploymentPlan(prefix);
  const ours = (name: string | undefined) => name?.startsWith(`${prefix}-`) ?? false;

  beforeAll(async () => {
    clients = motoClients();
    prefix = `t-par-${randomBytes(3).toString('hex')}`;
    applied = await applyTopology(clients, prefix);
  });
  afterAll(() => clients.destroy());

  it('has the planned topics and queues (with their DLQs), nothing else', async () => {
    const topics = await clients.sns.send(new ListTopicsCommand({}));
    const topicNames = (topics.Topics ?? []).map((t) => t.TopicArn?.split(':').pop()).filter(ours);
    expect(sorted(topicNames as string[])).toEqual(sorted(plan().topics.map((t) => t.name)));

    const queues = await clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: `${prefix}-`, MaxResults: 1000 }),
    );
    const queueNames = (queues.QueueUrls ?? []).map((u) => u.split('/').pop() ?? '');
    expect(sorted(queueNames)).toEqual(sorted(plan().queues.flatMap((q) => [q.name, q.dlqName])));
  });

  it('has the planned subscriptions with their filter policies, nothing else', async () => {
    const topicArns = new Set(Object.values(applied.topics).map((t) => t.arn));
    const all = await clients.sns.send(new ListSubscriptionsCommand({}));
    const found = [];
    for (const sub of (all.Subscriptions ?? []).filter((s) => topicArns.has(s.TopicArn ?? ''))) {
      const attrs = await clients.sns.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }),
      );
      const filter = attrs.Attributes?.FilterPolicy;
      expect(attrs.Attributes?.RawMessageDelivery, sub.SubscriptionArn).toBe('true');
      found.push(
        JSON.stringify({
          topic: sub.TopicArn?.split(':').pop(),
          queue: sub.Endpoint?.split(':').pop(),
          filter: filter ? JSON.parse(filter) : null,
        }),
      );
    }
    const expected = plan().subscriptions.map((s) =>
      JSON.stringify({
        topic: `${prefix}-${s.topic}`,
        queue: `${prefix}-${s.queue}`,
        filter: s.filterPolicy,
      }),
    );
    expect(sorted(found)).toEqual(sorted(expected));
  });

  it('lets only the subscribed topics and the targeting rules send to each queue', async () => {
    for (const q of plan().queues) {
      const attrs = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: applied.queues[q.key].url,
          AttributeNames: ['Policy'],
        }),
      );
      const all = JSON.parse(attrs.Attributes?.Policy ?? '{}').Statement as {
        Effect: 'Allow' | 'Deny';
        Principal: { Service: string };
        Condition: { ArnEquals: { 'aws:SourceArn': string[] } };
      }[];
      // Besides the senders, one Deny: no request without TLS (issue #21).
      expect(
        all.filter((st) => st.Effect === 'Deny').map((st) => st.Condition),
        q.name,
      ).toEqual([{ Bool: { 'aws:SecureTransport': 'false' } }]);
      const statements = all.filter((st) => st.Effect === 'Allow');
      const allowed = statements.flatMap((st) =>
        st.Condition.ArnEquals['aws:SourceArn'].map(
          (arn) => `${st.Principal.Service} ${arn.split(/[:/]/).pop()}`,
        ),
      );
      expect(sorted(allowed), q.name).toEqual(
        sorted([
          ...plan()
            .subscriptions.filter((s) => s.queue === q.key)
            .map((s) => `sns.amazonaws.com ${prefix}-${s.topic}`),
          ...plan()
            .rules.filter((r) => r.targetQueue === q.key)
            .map((r) => `events.amazonaws.com ${r.name}`),
        ]),
      );
    }
  });

  it('has the planned tables and EventBridge rules (each into its queue), nothing else', async () => {
    const tables = await clients.dynamodb.send(new ListTablesCommand({}));
    expect(sorted((tables.TableNames ?? []).filter(ours))).toEqual(
      sorted(plan().tables.map((t) => t.name)),
    );

    const rules = await clients.eventbridge.send(
      new ListRulesCommand({ NamePrefix: `${prefix}-` }),
    );
    const found = [];
    for (const rule of rules.Rules ?? []) {
      const targets = await clients.eventbridge.send(
        new ListTargetsByRuleCommand({ Rule: rule.Name }),
      );
      found.push(
        JSON.stringify({
          name: rule.Name,
          pattern: JSON.parse(rule.EventPattern ?? '{}'),
          targets: (targets.Targets ?? []).map((t) => t.Arn?.split(':').pop()),
        }),
      );
    }
    const expected = plan().rules.map((r) =>
      JSON.stringify({ name: r.name, pattern: r.pattern, targets: [`${prefix}-${r.targetQueue}`] }),
    );
    expect(sorted(found)).toEqual(sorted(expected));
  });

  it('has the planned buckets, private, encrypted, expiring their prefix, nothing else', async () => {
    const listed = await clients.s3.send(new ListBucketsCommand({}));
    expect(sorted((listed.Buckets ?? []).map((b) => b.Name ?? '').filter(ours))).toEqual(
      sorted(plan().buckets.map((b) => b.name)),
    );
    expect(plan().buckets.map((b) => b.key)).toContain('samples');
    for (const planned of plan().buckets) {
      expect(applied.buckets[planned.key].name).toBe(planned.name);
      const lifecycle = await clients.s3.send(
        new GetBucketLifecycleConfigurationCommand({ Bucket: planned.name }),
      );
      expect(
        (lifecycle.Rules ?? []).map((r) => ({
          status: r.Status,
          prefix: r.Filter?.Prefix,
          days: r.Expiration?.Days,
        })),
        planned.name,
      ).toEqual([
        {
          status: 'Enabled',
          prefix: planned.spec.objectPrefix,
          days: planned.spec.expireAfterDays,
        },
      ]);
      const block = await clients.s3.send(
        new GetPublicAccessBlockCommand({ Bucket: planned.name }),
      );
      expect(block.PublicAccessBlockConfiguration, planned.name).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const encryption = await clients.s3.send(
        new GetBucketEncryptionCommand({ Bucket: planned.name }),
      );
      expect(
        encryption.ServerSideEncryptionConfiguration?.Rules?.map(
          (r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
        ),
        planned.name,
      ).toEqual(['AES256']);
    }
    // A second run finds the bucket and changes nothing (the bootstrap is re-run on every start).
    const again = await applyTopology(clients, prefix);
    expect(again.buckets).toEqual(applied.buckets);
  });

  it('has the planned alarms, each notifying the alarms topic on ALARM and OK, nothing else', async () => {
    const res = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${prefix}-`, MaxRecords: 100 }),
    );
    const alarms = res.MetricAlarms ?? [];
    expect(sorted(alarms.map((a) => a.AlarmName ?? ''))).toEqual(
      sorted(plan().alarms.map((a) => a.name)),
    );
    for (const planned of plan().alarms) {
      const alarm = alarms.find((a) => a.AlarmName === planned.name);
      expect(alarm?.AlarmActions, planned.name).toEqual([applied.topics.alarms.arn]);
      expect(alarm?.OKActions, planned.name).toEqual([applied.topics.alarms.arn]);
      expect(alarm?.Namespace).toBe(planned.spec.namespace);
      expect(alarm?.MetricName).toBe(planned.spec.metric);
      expect(Object.fromEntries((alarm?.Dimensions ?? []).map((d) => [d.Name, d.Value]))).toEqual(
        planned.dimensions,
      );
    }
    // Every DLQ is watched.
    const watched = new Set(alarms.flatMap((a) => a.Dimensions?.map((d) => d.Value) ?? []));
    for (const q of Object.values(applied.queues))
      expect(watched.has(q.dlqName), q.dlqName).toBe(true);
  });
});
