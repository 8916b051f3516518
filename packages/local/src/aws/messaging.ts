// The plan's topics, queues (+DLQs), EventBridge rules, queue policies and
// subscriptions in moto: the local side of stacks/messaging.ts, one function
// per resource kind, each safe to run again.
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
import { CloudCallError } from '@smartscale/contracts';
import {
  type DeploymentPlan,
  type PlannedQueue,
  type QueueName,
  queueSendPolicy,
  type TopologyTopic,
} from '@smartscale/stacks';

export type AppliedTopics = Record<TopologyTopic, { readonly name: string; readonly arn: string }>;

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

export type AppliedQueues = Record<QueueName, AppliedQueue>;

export type AppliedRules = Record<
  string,
  { readonly name: string; readonly arn: string; readonly targetQueue: QueueName }
>;

export interface AppliedSubscription {
  readonly topic: TopologyTopic;
  readonly queue: QueueName;
  readonly arn: string;
  /** The filter policy JSON; null when the queue gets every message of the topic. */
  readonly filterPolicy: string | null;
}

/** A queue's visibility timeout: the plan's, unless the local run overrides it. */
export type VisibilityOf = (queue: PlannedQueue) => number;

/** One SNS topic per planned topic (CreateTopic returns an existing one). */
export async function applyTopics(
  clients: AwsClients,
  plan: DeploymentPlan,
): Promise<AppliedTopics> {
  const topics = {} as Record<TopologyTopic, { name: string; arn: string }>;
  for (const topic of plan.topics) {
    const res = await clients.sns.send(new CreateTopicCommand({ Name: topic.name }));
    if (!res.TopicArn) throw new CloudCallError(`CreateTopic ${topic.name} returned no ARN`);
    topics[topic.key] = { name: topic.name, arn: res.TopicArn };
  }
  return topics;
}

async function queueArn(clients: AwsClients, url: string): Promise<string> {
  const res = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new CloudCallError(`queue ${url} has no QueueArn attribute`);
  return arn;
}

async function ensureQueue(
  clients: AwsClients,
  name: string,
): Promise<{ url: string; arn: string }> {
  // CreateQueue returns the existing queue when the name is taken with the
  // same attributes, so attributes are set afterwards, never at creation.
  const res = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!res.QueueUrl) throw new CloudCallError(`CreateQueue ${name} returned no URL`);
  return { url: res.QueueUrl, arn: await queueArn(clients, res.QueueUrl) };
}

/**
 * Each planned queue and its DLQ (kept 14 days, as in AWS). The main queue's
 * redrive, visibility and send policy come later, from `applyQueueAccess`,
 * once the topics and rules that may send to it exist.
 */
export async function applyQueues(
  clients: AwsClients,
  plan: DeploymentPlan,
  visibility: VisibilityOf,
): Promise<AppliedQueues> {
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
  return queues;
}

/** Each EventBridge rule on the default bus, targeting its queue (PutRule replaces). */
export async function applyRules(
  clients: AwsClients,
  plan: DeploymentPlan,
  queues: AppliedQueues,
): Promise<AppliedRules> {
  const rules: Record<string, { name: string; arn: string; targetQueue: QueueName }> = {};
  for (const rule of plan.rules) {
    const res = await clients.eventbridge.send(
      new PutRuleCommand({
        Name: rule.name,
        Description: rule.description,
        EventPattern: JSON.stringify(rule.pattern),
        State: 'ENABLED',
      }),
    );
    if (!res.RuleArn) throw new CloudCallError(`PutRule ${rule.name} returned no ARN`);
    await clients.eventbridge.send(
      new PutTargetsCommand({
        Rule: rule.name,
        Targets: [{ Id: 'queue', Arn: queues[rule.targetQueue].arn }],
      }),
    );
    rules[rule.key] = { name: rule.name, arn: res.RuleArn, targetQueue: rule.targetQueue };
  }
  return rules;
}

/**
 * Each queue's visibility, long polling, redrive to its DLQ and one send
 * policy naming exactly its subscribed topics and targeting rules.
 */
export async function applyQueueAccess(
  clients: AwsClients,
  plan: DeploymentPlan,
  applied: { topics: AppliedTopics; queues: AppliedQueues; rules: AppliedRules },
  visibility: VisibilityOf,
): Promise<void> {
  for (const queue of plan.queues) {
    const { arn, url, dlqArn } = applied.queues[queue.key];
    const policy = queueSendPolicy(arn, {
      topicArns: queue.subscribedTopics.map((t) => applied.topics[t].arn),
      ruleArns: queue.targetingRules.map((r) => {
        const ruleArn = applied.rules[r]?.arn;
        // An internal assertion: applyRules creates every planned rule first.
        if (!ruleArn) throw new Error(`rule ${r} targets ${queue.name} but was not created`);
        return ruleArn;
      }),
    });
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          VisibilityTimeout: String(visibility(queue)),
          ReceiveMessageWaitTimeSeconds: '20',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: queue.maxReceiveCount,
          }),
          Policy: policy,
        },
      }),
    );
  }
}

/**
 * Each SNS->SQS subscription, raw delivery, with the planned filter policy
 * on the `type` message attribute or none; an existing subscription gets
 * its attributes set again rather than a second subscription.
 */
export async function applySubscriptions(
  clients: AwsClients,
  plan: DeploymentPlan,
  applied: { topics: AppliedTopics; queues: AppliedQueues },
): Promise<AppliedSubscription[]> {
  const subscriptions: AppliedSubscription[] = [];
  for (const subscription of plan.subscriptions) {
    const topicArn = applied.topics[subscription.topic].arn;
    const endpoint = applied.queues[subscription.queue].arn;
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
      throw new CloudCallError(
        `subscription of ${subscription.queue} to ${subscription.topic} has no ARN`,
      );
    subscriptions.push({
      topic: subscription.topic,
      queue: subscription.queue,
      arn,
      filterPolicy: filterPolicy ?? null,
    });
  }
  return subscriptions;
}
