import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { AwsClients } from '@smartscale/aws';
import {
  assertPrefix,
  type BucketName,
  deploymentPlan,
  type ParameterName,
  type PlannedAlarm,
  type PlannedBucket,
  type PlannedQueue,
  type PlannedTable,
  type QueueName,
  queueSendPolicy,
  type TableName,
  type TopologyTopic,
} from '@smartscale/stacks';

/** Physical identity of one queue and its dead-letter queue. */
export interface AppliedQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqName: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

/** What `applyTopology` created (or found), by logical name. */
export interface AppliedTopology {
  readonly prefix: string;
  readonly topics: Record<TopologyTopic, { readonly name: string; readonly arn: string }>;
  readonly queues: Record<QueueName, AppliedQueue>;
  readonly subscriptions: readonly {
    readonly topic: TopologyTopic;
    readonly queue: QueueName;
    readonly arn: string;
    /** The filter policy JSON; null when the queue gets every message of the topic. */
    readonly filterPolicy: string | null;
  }[];
  readonly tables: Record<TableName, { readonly name: string }>;
  readonly buckets: Record<BucketName, { readonly name: string }>;
  readonly rules: Record<
    string,
    { readonly name: string; readonly arn: string; readonly targetQueue: QueueName }
  >;
  readonly alarms: Record<string, { readonly name: string }>;
  readonly parameters: Record<ParameterName, string>;
}

async function queueArn(clients: AwsClients, url: string): Promise<string> {
  const res = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no QueueArn attribute`);
  return arn;
}

async function ensureQueue(
  clients: AwsClients,
  name: string,
): Promise<{ url: string; arn: string }> {
  // CreateQueue returns the existing queue when the name is taken with the
  // same attributes, so attributes are set afterwards, never at creation.
  const res = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!res.QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return { url: res.QueueUrl, arn: await queueArn(clients, res.QueueUrl) };
}

async function ensureTable(clients: AwsClients, name: string, spec: PlannedTable['spec']) {
  let exists = true;
  try {
    await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    exists = false;
  }
  if (!exists) {
    const attributes = new Map<string, 'S' | 'N'>();
    const keys = [
      spec.partitionKey,
      spec.sortKey,
      ...spec.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ];
    for (const key of keys) attributes.set(key.name, key.type);
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
        ],
        ...(spec.globalIndexes.length > 0
          ? {
              GlobalSecondaryIndexes: spec.globalIndexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
  }
  if (spec.ttlAttribute) {
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
      await clients.dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
}

/**
 * The bucket as the SST mapping declares it (stacks/storage.ts): private
 * (every public access block on), encrypted at rest (SSE-S3), objects under
 * the prefix expiring after the planned days. Safe to run again.
 */
async function ensureBucket(clients: AwsClients, bucket: PlannedBucket): Promise<void> {
  let exists = true;
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket.name }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'NotFound') throw error;
    exists = false;
  }
  if (!exists) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
  await clients.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket.name,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  await clients.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket.name,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }),
  );
  await clients.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket.name,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: `expire-${bucket.spec.objectPrefix.replace(/\/$/, '')}`,
            Status: 'Enabled',
            Filter: { Prefix: bucket.spec.objectPrefix },
            Expiration: { Days: bucket.spec.expireAfterDays },
          },
        ],
      },
    }),
  );
}

export interface ApplyOptions {
  /**
   * Overrides every queue's visibility timeout: compressed local runs shorten
   * time, and a failed message would otherwise hide for the full timeout.
   */
  readonly visibilityTimeoutSeconds?: number | undefined;
}

/**
 * Creates the declared topology (stacks/topology.ts, through the stage's
 * deployment plan) under `prefix`, or brings an existing one in line: safe
 * to run again. DLQs are created before the RedrivePolicy that names them;
 * SNS->SQS subscriptions use raw delivery and, where the topology lists
 * types, a filter policy on the `type` message attribute. Buckets are
 * private, encrypted and expire their objects, as in AWS. Alarms publish to
 * the `alarms` topic as they would in AWS (moto stores them, never fires
 * them). The sampler schedule is not created (locally the sampler runs on its
 * own timer), nor are the functions or parameter values (their owners write
 * them); parameter names are returned.
 *
 * @example
 * const applied = await applyTopology(createAwsClients(localAwsOptions(moto.endpoint)), 'dev');
 * applied.queues.decider.url;
 */
export async function applyTopology(
  clients: AwsClients,
  prefix: string,
  options: ApplyOptions = {},
): Promise<AppliedTopology> {
  const plan = deploymentPlan(assertPrefix(prefix));
  const visibility = (queue: PlannedQueue) =>
    options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds;
  const topics = {} as Record<TopologyTopic, { name: string; arn: string }>;
  for (const topic of plan.topics) {
    const res = await clients.sns.send(new CreateTopicCommand({ Name: topic.name }));
    if (!res.TopicArn) throw new Error(`CreateTopic ${topic.name} returned no ARN`);
    topics[topic.key] = { name: topic.name, arn: res.TopicArn };
  }

  const queues = {} as Record<QueueName, AppliedQueue>;
  for (const queue of plan.queues) {
    const dlq = await ensureQueue(clients, queue.dlqName);
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: dlq.url,
        Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
      }),
    );
    const main = await ensureQueue(clients, queue.name);
    queues[queue.key] = {
      name: queue.name,
      url: main.url,
      arn: main.arn,
      dlqName: queue.dlqName,
      dlqUrl: dlq.url,
      dlqArn: dlq.arn,
      visibilityTimeoutSeconds: visibility(queue),
      maxReceiveCount: queue.maxReceiveCount,
    };
  }

  const rules = {} as Record<string, { name: string; arn: string; targetQueue: QueueName }>;
  for (const rule of plan.rules) {
    const res = await clients.eventbridge.send(
      new PutRuleCommand({
        Name: rule.name,
        Description: rule.description,
        EventPattern: JSON.stringify(rule.pattern),
        State: 'ENABLED',
      }),
    );
    if (!res.RuleArn) throw new Error(`PutRule ${rule.name} returned no ARN`);
    await clients.eventbridge.send(
      new PutTargetsCommand({
        Rule: rule.name,
        Targets: [{ Id: 'queue', Arn: queues[rule.targetQueue].arn }],
      }),
    );
    rules[rule.key] = { name: rule.name, arn: res.RuleArn, targetQueue: rule.targetQueue };
  }

  for (const queue of plan.queues) {
    const applied = queues[queue.key];
    const policy = queueSendPolicy(applied.arn, {
      topicArns: queue.subscribedTopics.map((t) => topics[t].arn),
      ruleArns: queue.targetingRules.map((r) => {
        const arn = rules[r]?.arn;
        if (!arn) throw new Error(`rule ${r} targets ${queue.name} but was not created`);
        return arn;
      }),
    });
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: applied.url,
        Attributes: {
          VisibilityTimeout: String(visibility(queue)),
          ReceiveMessageWaitTimeSeconds: '20',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: applied.dlqArn,
            maxReceiveCount: queue.maxReceiveCount,
          }),
          Policy: policy,
        },
      }),
    );
  }

  const subscriptions: AppliedTopology['subscriptions'][number][] = [];
  for (const subscription of plan.subscriptions) {
    const topicArn = topics[subscription.topic].arn;
    const endpoint = queues[subscription.queue].arn;
    const filterPolicy = subscription.filterPolicy && JSON.stringify(subscription.filterPolicy);
    const existing = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
    );
    const found = existing.Subscriptions?.find(
      (s) => s.Protocol === 'sqs' && s.Endpoint === endpoint,
    )?.SubscriptionArn;
    const attributes: [string, string][] = [
      ['RawMessageDelivery', 'true'],
      ...(filterPolicy
        ? ([
            ['FilterPolicyScope', 'MessageAttributes'],
            ['FilterPolicy', filterPolicy],
          ] as [string, string][])
        : []),
    ];
    let arn = found;
    if (found) {
      for (const [AttributeName, AttributeValue] of attributes) {
        await clients.sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: found,
            AttributeName,
            AttributeValue,
          }),
        );
      }
    } else {
      const res = await clients.sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: endpoint,
          ReturnSubscriptionArn: true,
          Attributes: Object.fromEntries(attributes),
        }),
      );
      arn = res.SubscriptionArn;
    }
    if (!arn)
      throw new Error(`subscription of ${subscription.queue} to ${subscription.topic} has no ARN`);
    subscriptions.push({
      topic: subscription.topic,
      queue: subscription.queue,
      arn,
      filterPolicy: filterPolicy ?? null,
    });
  }

  const tables = {} as Record<TableName, { name: string }>;
  for (const table of plan.tables) {
    await ensureTable(clients, table.name, table.spec);
    tables[table.key] = { name: table.name };
  }

  const buckets = {} as Record<BucketName, { name: string }>;
  for (const bucket of plan.buckets) {
    await ensureBucket(clients, bucket);
    buckets[bucket.key] = { name: bucket.name };
  }

  const alarms: Record<string, { name: string }> = {};
  for (const alarm of plan.alarms) {
    // PutMetricAlarm replaces an alarm of the same name: idempotent.
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand(metricAlarmInput(alarm, topics.alarms.arn)),
    );
    alarms[alarm.key] = { name: alarm.name };
  }

  const parameters = Object.fromEntries(plan.parameters.map((p) => [p.key, p.name])) as Record<
    ParameterName,
    string
  >;

  return { prefix, topics, queues, subscriptions, tables, buckets, rules, alarms, parameters };
}

/** The PutMetricAlarm request of a planned alarm, notifying `topicArn` on ALARM and on OK. */
export function metricAlarmInput(alarm: PlannedAlarm, topicArn: string) {
  return {
    AlarmName: alarm.name,
    AlarmDescription: alarm.spec.description,
    Namespace: alarm.spec.namespace,
    MetricName: alarm.spec.metric,
    Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: alarm.spec.statistic,
    Period: alarm.spec.periodSeconds,
    EvaluationPeriods: alarm.spec.evaluationPeriods,
    ComparisonOperator: alarm.spec.comparison,
    Threshold: alarm.spec.threshold,
    TreatMissingData: alarm.treatMissingData,
    AlarmActions: [topicArn],
    OKActions: [topicArn],
  };
}
