/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the plan's topics, queues (+DLQs), subscriptions and
// EventBridge rules: one component per plan entry, named as in the plan so
// AWS matches the local setup (the parity tests hold the plan to both).
import { type DeploymentPlan, queueSendPolicy } from './plan.ts';
import type { QueueName, TopologyTopic } from './topology.ts';

export interface Messaging {
  topics: Record<TopologyTopic, sst.aws.SnsTopic>;
  queues: Record<QueueName, sst.aws.Queue>;
  dlqs: Record<QueueName, sst.aws.Queue>;
}

export function createMessaging(plan: DeploymentPlan): Messaging {
  const topics = {} as Messaging['topics'];
  for (const topic of plan.topics) {
    topics[topic.key] = new sst.aws.SnsTopic(`Topic-${topic.key}`, {
      transform: { topic: { name: topic.name } },
    });
  }

  const queues = {} as Messaging['queues'];
  const dlqs = {} as Messaging['dlqs'];
  for (const spec of plan.queues) {
    // Encrypted at rest with SQS-managed keys (SSE-SQS), stated rather than
    // left to the account default: SNS and EventBridge deliver to such queues
    // with no key policy to maintain, which a customer key (SSE-KMS) would
    // need for both services. DLQs keep 14 days (the most SQS allows), so a
    // person has time to look; commands older than commands.maxAgeSeconds are
    // refused on replay anyway.
    const dlq = new sst.aws.Queue(`Dlq-${spec.key}`, {
      transform: {
        queue: {
          name: spec.dlqName,
          messageRetentionSeconds: 14 * 86400,
          sqsManagedSseEnabled: true,
        },
      },
    });
    queues[spec.key] = new sst.aws.Queue(`Queue-${spec.key}`, {
      visibilityTimeout: `${spec.visibilityTimeoutSeconds} seconds`,
      dlq: { queue: dlq.arn, retry: spec.maxReceiveCount },
      transform: { queue: { name: spec.name, sqsManagedSseEnabled: true } },
    });
    dlqs[spec.key] = dlq;
  }

  // Plain Pulumi resources rather than SST's subscribe helpers: those add a
  // queue policy per subscriber that lets any SNS topic or EventBridge rule
  // send; here each queue gets one policy naming exactly its senders.
  for (const sub of plan.subscriptions) {
    new aws.sns.TopicSubscription(`Sub-${sub.queue}-${sub.topic}`, {
      topic: topics[sub.topic].arn,
      protocol: 'sqs',
      endpoint: queues[sub.queue].arn,
      // The message arrives as the SQS body, exactly as locally.
      rawMessageDelivery: true,
      ...(sub.filterPolicy
        ? { filterPolicy: JSON.stringify(sub.filterPolicy), filterPolicyScope: 'MessageAttributes' }
        : {}),
    });
  }

  const ruleArns: Record<string, $util.Output<string>> = {};
  for (const rule of plan.rules) {
    const created = new aws.cloudwatch.EventRule(`Rule-${rule.key}`, {
      name: rule.name,
      description: rule.description,
      eventBusName: 'default',
      eventPattern: JSON.stringify(rule.pattern),
    });
    new aws.cloudwatch.EventTarget(`Rule-${rule.key}-target`, {
      rule: created.name,
      eventBusName: 'default',
      targetId: 'queue',
      arn: queues[rule.targetQueue].arn,
    });
    ruleArns[rule.key] = created.arn;
  }

  for (const queue of plan.queues) {
    const senders = [
      $resolve(queue.subscribedTopics.map((t) => topics[t].arn)),
      $resolve(queue.targetingRules.map((r) => ruleArns[r] as $util.Output<string>)),
    ];
    new aws.sqs.QueuePolicy(`QueuePolicy-${queue.key}`, {
      queueUrl: queues[queue.key].url,
      policy: $resolve([queues[queue.key].arn, ...senders]).apply((resolved) => {
        const [arn, topicList, ruleList] = resolved as [string, string[], string[]];
        return queueSendPolicy(arn, { topicArns: topicList, ruleArns: ruleList });
      }),
    });
  }
  return { topics, queues, dlqs };
}
