/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the plan's topics, queues (+DLQs), subscriptions and
// EventBridge rules: one component per plan entry, named as in the plan so
// AWS matches the local setup (the parity tests hold the plan to both).
import type { DeploymentPlan } from './plan.ts';
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
    const dlq = new sst.aws.Queue(`Dlq-${spec.key}`, {
      transform: { queue: { name: spec.dlqName, messageRetentionSeconds: 14 * 86400 } },
    });
    queues[spec.key] = new sst.aws.Queue(`Queue-${spec.key}`, {
      visibilityTimeout: `${spec.visibilityTimeoutSeconds} seconds`,
      dlq: { queue: dlq.arn, retry: spec.maxReceiveCount },
      transform: { queue: { name: spec.name } },
    });
    dlqs[spec.key] = dlq;
  }

  for (const sub of plan.subscriptions) {
    topics[sub.topic].subscribeQueue(`Sub-${sub.queue}-${sub.topic}`, queues[sub.queue].arn, {
      ...(sub.filterPolicy ? { filter: { type: [...sub.filterPolicy.type] } } : {}),
      // The message arrives as the SQS body, exactly as locally.
      transform: { subscription: { rawMessageDelivery: true } },
    });
  }

  const region = aws.getRegionOutput().name;
  const account = aws.getCallerIdentityOutput().accountId;
  const defaultBus = $interpolate`arn:aws:events:${region}:${account}:event-bus/default`;
  for (const rule of plan.rules) {
    const p = rule.pattern as {
      readonly source?: readonly string[];
      readonly 'detail-type'?: readonly string[];
      readonly detail?: Record<string, unknown>;
    };
    sst.aws.Bus.subscribeQueue(`Rule-${rule.key}`, defaultBus, queues[rule.targetQueue].arn, {
      pattern: {
        ...(p.source ? { source: [...p.source] } : {}),
        ...(p['detail-type'] ? { detailType: [...p['detail-type']] } : {}),
        ...(p.detail ? { detail: p.detail } : {}),
      },
      transform: { rule: { name: rule.name, description: rule.description } },
    });
  }
  return { topics, queues, dlqs };
}
