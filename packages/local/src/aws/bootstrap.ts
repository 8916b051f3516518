import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
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
import type { TopicName } from '@smartscale/contracts';
import {
  assertPrefix,
  topology as declared,
  names,
  type QueueName,
  type TableName,
  type Topology,
} from '../../../../stacks/topology.js';

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
  readonly topics: Record<TopicName, { readonly name: string; readonly arn: string }>;
  readonly queues: Record<QueueName, AppliedQueue>;
  readonly subscriptions: readonly {
    readonly topic: TopicName;
    readonly queue: QueueName;
    readonly arn: string;
    readonly filterPolicy: string;
  }[];
  readonly tables: Record<TableName, { readonly name: string }>;
  readonly rules: Record<
    keyof Topology['rules'],
    { readonly name: string; readonly arn: string; readonly targetQueue: QueueName }
  >;
  readonly parameters: Record<keyof Topology['parameters'], string>;
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

function sendPolicy(
  queueArnValue: string,
  sourceArns: readonly string[],
  principal: string,
): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'topics-and-rules',
        Effect: 'Allow',
        Principal: { Service: principal },
        Action: 'sqs:SendMessage',
        Resource: queueArnValue,
        Condition: { ArnEquals: { 'aws:SourceArn': sourceArns } },
      },
    ],
  });
}

async function ensureTable(clients: AwsClients, name: string, spec: Topology['tables'][TableName]) {
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
 * Creates the declared topology (stacks/topology.ts) under `prefix`, or
 * brings an existing one in line: safe to run again. DLQs are created before
 * the RedrivePolicy that names them; SNS->SQS subscriptions use raw delivery
 * and a filter policy on the `type` message attribute. The sampler schedule
 * is not created (locally the sampler runs on its own timer), nor are
 * parameter values (their owners write them); their names are returned.
 *
 * @example
 * const applied = await applyTopology(createAwsClients(localAwsOptions(moto.endpoint)), 'dev');
 * applied.queues.decider.url;
 */
export async function applyTopology(
  clients: AwsClients,
  prefix: string,
  topology: Topology = declared,
): Promise<AppliedTopology> {
  assertPrefix(prefix);
  const topics = {} as Record<TopicName, { name: string; arn: string }>;
  for (const topic of Object.keys(topology.topics) as TopicName[]) {
    const name = names.topic(prefix, topic);
    const res = await clients.sns.send(new CreateTopicCommand({ Name: name }));
    if (!res.TopicArn) throw new Error(`CreateTopic ${name} returned no ARN`);
    topics[topic] = { name, arn: res.TopicArn };
  }

  const rules = {} as Record<
    keyof Topology['rules'],
    { name: string; arn: string; targetQueue: QueueName }
  >;
  const queues = {} as Record<QueueName, AppliedQueue>;
  for (const [queue, spec] of Object.entries(topology.queues) as [
    QueueName,
    Topology['queues'][QueueName],
  ][]) {
    const dlqName = names.dlq(prefix, queue);
    const dlq = await ensureQueue(clients, dlqName);
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: dlq.url,
        Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
      }),
    );
    const name = names.queue(prefix, queue);
    const main = await ensureQueue(clients, name);
    queues[queue] = {
      name,
      url: main.url,
      arn: main.arn,
      dlqName,
      dlqUrl: dlq.url,
      dlqArn: dlq.arn,
      visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
      maxReceiveCount: spec.maxReceiveCount,
    };
  }

  const ruleNames = Object.keys(topology.rules) as (keyof Topology['rules'])[];
  for (const rule of ruleNames) {
    const spec = topology.rules[rule];
    const name = names.rule(prefix, rule);
    const res = await clients.eventbridge.send(
      new PutRuleCommand({
        Name: name,
        Description: spec.description,
        EventPattern: JSON.stringify(spec.pattern),
        State: 'ENABLED',
      }),
    );
    if (!res.RuleArn) throw new Error(`PutRule ${name} returned no ARN`);
    await clients.eventbridge.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [{ Id: 'queue', Arn: queues[spec.targetQueue].arn }],
      }),
    );
    rules[rule] = { name, arn: res.RuleArn, targetQueue: spec.targetQueue };
  }

  for (const [queue, spec] of Object.entries(topology.queues) as [
    QueueName,
    Topology['queues'][QueueName],
  ][]) {
    const applied = queues[queue];
    const topicArns = spec.subscriptions.map((s) => topics[s.topic].arn);
    const ruleArns = ruleNames
      .filter((r) => rules[r].targetQueue === queue)
      .map((r) => rules[r].arn);
    const policy =
      ruleArns.length > 0
        ? sendPolicy(applied.arn, ruleArns, 'events.amazonaws.com')
        : sendPolicy(applied.arn, topicArns, 'sns.amazonaws.com');
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: applied.url,
        Attributes: {
          VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
          ReceiveMessageWaitTimeSeconds: '20',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: applied.dlqArn,
            maxReceiveCount: spec.maxReceiveCount,
          }),
          Policy: policy,
        },
      }),
    );
  }

  const subscriptions: {
    topic: TopicName;
    queue: QueueName;
    arn: string;
    filterPolicy: string;
  }[] = [];
  for (const [queue, spec] of Object.entries(topology.queues) as [
    QueueName,
    Topology['queues'][QueueName],
  ][]) {
    for (const subscription of spec.subscriptions) {
      const topicArn = topics[subscription.topic].arn;
      const endpoint = queues[queue].arn;
      const filterPolicy = JSON.stringify({ type: [...subscription.types] });
      const existing = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
      );
      const found = existing.Subscriptions?.find(
        (s) => s.Protocol === 'sqs' && s.Endpoint === endpoint,
      )?.SubscriptionArn;
      let arn = found;
      if (found) {
        for (const [AttributeName, AttributeValue] of [
          ['FilterPolicyScope', 'MessageAttributes'],
          ['FilterPolicy', filterPolicy],
          ['RawMessageDelivery', 'true'],
        ] as const) {
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
            Attributes: {
              FilterPolicyScope: 'MessageAttributes',
              FilterPolicy: filterPolicy,
              RawMessageDelivery: 'true',
            },
          }),
        );
        arn = res.SubscriptionArn;
      }
      if (!arn) throw new Error(`subscription of ${queue} to ${subscription.topic} has no ARN`);
      subscriptions.push({ topic: subscription.topic, queue, arn, filterPolicy });
    }
  }

  const tables = {} as Record<TableName, { name: string }>;
  for (const table of Object.keys(topology.tables) as TableName[]) {
    const name = names.table(prefix, table);
    await ensureTable(clients, name, topology.tables[table]);
    tables[table] = { name };
  }

  const parameters = {} as Record<keyof Topology['parameters'], string>;
  for (const parameter of Object.keys(topology.parameters) as (keyof Topology['parameters'])[]) {
    parameters[parameter] = names.parameter(prefix, parameter);
  }

  return { prefix, topics, queues, subscriptions, tables, rules, parameters };
}
