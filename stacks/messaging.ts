/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the plan's topics, queues (+DLQs), subscriptions and
// EventBridge rules: one component per plan entry, named as in the plan so
// AWS matches the local setup (the parity tests hold the plan to both).
// The topics' key and the topics' and DLQs' resource policies name the
// functions' roles, so createMessagingPolicies runs once those exist.
import { type DeploymentPlan, queueSendPolicy } from './plan.ts';
import {
  alarmSourceOf,
  deadLetterQueuePolicy,
  deadLetterSendersOf,
  publisherRolesOf,
  topicKeyPolicy,
  topicPolicy,
} from './resource-policies.ts';
import { type QueueName, type ServiceName, ServiceNames, type TopologyTopic } from './topology.ts';

export interface Messaging {
  topics: Record<TopologyTopic, sst.aws.SnsTopic>;
  queues: Record<QueueName, sst.aws.Queue>;
  dlqs: Record<QueueName, sst.aws.Queue>;
  /** The customer-managed key every topic is encrypted with. */
  topicKey: aws.kms.Key;
  /** EventBridge rule ARNs by rule key. */
  ruleArns: Record<string, $util.Output<string>>;
}

export function createMessaging(plan: DeploymentPlan): Messaging {
  // A key of the stack's own rather than aws/sns: CloudWatch alarms cannot
  // publish to a topic under the AWS managed key, whose policy cannot be
  // changed. Its policy is set by createMessagingPolicies (aws.kms.KeyPolicy).
  const topicKey = new aws.kms.Key('TopicKey', {
    description: `${plan.prefix}: encrypts the SmartScale SNS topics at rest`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
  });
  new aws.kms.Alias('TopicKeyAlias', {
    name: `alias/${plan.prefix}-topics`,
    targetKeyId: topicKey.keyId,
  });
  const topics = {} as Messaging['topics'];
  for (const topic of plan.topics) {
    topics[topic.key] = new sst.aws.SnsTopic(`Topic-${topic.key}`, {
      transform: { topic: { name: topic.name, kmsMasterKeyId: topicKey.arn } },
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
    // Only its own source queue may name this DLQ in a redrive policy.
    new aws.sqs.RedriveAllowPolicy(`Dlq-${spec.key}-RedriveAllow`, {
      queueUrl: dlq.url,
      redriveAllowPolicy: $jsonStringify({
        redrivePermission: 'byQueue',
        sourceQueueArns: [queues[spec.key].arn],
      }),
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
      // An event EventBridge cannot deliver (after its retries) is kept in
      // the queue's DLQ rather than dropped; its policy admits these rules.
      deadLetterConfig: { arn: dlqs[rule.targetQueue].arn },
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
  return { topics, queues, dlqs, topicKey, ruleArns };
}

interface DeployedRoles {
  readonly region: string;
  readonly account: string;
  readonly roles: Record<ServiceName, string>;
}

/**
 * The resource policies that name the functions' roles: each topic's
 * publishers (and, with `serverRoleArn`, the K3s server's role on samples),
 * the topic key's users, and who may send into each DLQ
 * (resource-policies.ts, evaluated by resource-policy-simulation.test.ts).
 */
export function createMessagingPolicies(
  plan: DeploymentPlan,
  messaging: Messaging,
  roles: Record<ServiceName, $util.Input<string>>,
  serverRoleArn: string | undefined,
): void {
  const region = aws.getRegionOutput().name;
  const account = aws.getCallerIdentityOutput().accountId;
  const roleArns = $resolve(ServiceNames.map((s) => roles[s])).apply(
    (arns) =>
      Object.fromEntries(ServiceNames.map((s, i) => [s, arns[i] as string])) as Record<
        ServiceName,
        string
      >,
  );
  const context = $resolve([region, account, roleArns]).apply((resolved) => {
    const [r, a, arns] = resolved as [string, string, Record<ServiceName, string>];
    return { region: r, account: a, roles: arns };
  }) as $util.Output<DeployedRoles>;

  for (const topic of plan.topics) {
    new aws.sns.TopicPolicy(`TopicPolicy-${topic.key}`, {
      arn: messaging.topics[topic.key].arn,
      policy: $resolve([context, messaging.topics[topic.key].arn]).apply((resolved) => {
        const [c, arn] = resolved as [DeployedRoles, string];
        return JSON.stringify(
          topicPolicy(arn, {
            publisherRoleArns: publisherRolesOf(topic.key, (s) => c.roles[s], serverRoleArn),
            ...(topic.key === 'alarms'
              ? { alarms: alarmSourceOf(c.region, c.account, plan.prefix) }
              : {}),
          }),
        );
      }),
    });
  }

  new aws.kms.KeyPolicy('TopicKeyPolicy', {
    keyId: messaging.topicKey.keyId,
    policy: context.apply((c) =>
      JSON.stringify(
        topicKeyPolicy({
          region: c.region,
          account: c.account,
          publisherRoleArns: [
            ...new Set(
              plan.topics.flatMap((t) => publisherRolesOf(t.key, (s) => c.roles[s], serverRoleArn)),
            ),
          ],
          alarms: alarmSourceOf(c.region, c.account, plan.prefix),
        }),
      ),
    ),
  });

  for (const queue of plan.queues) {
    const dlq = messaging.dlqs[queue.key];
    const rules = $resolve(
      queue.targetingRules.map((r) => messaging.ruleArns[r] as $util.Output<string>),
    );
    new aws.sqs.QueuePolicy(`DlqPolicy-${queue.key}`, {
      queueUrl: dlq.url,
      policy: $resolve([context, dlq.arn, rules]).apply((resolved) => {
        const [c, arn, ruleList] = resolved as [DeployedRoles, string, string[]];
        return JSON.stringify(
          deadLetterQueuePolicy(arn, {
            senderRoleArns: deadLetterSendersOf(queue.key).map((s) => c.roles[s]),
            ruleArns: ruleList,
          }),
        );
      }),
    });
  }
}
