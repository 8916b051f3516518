/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the topology's topics, queues (+DLQs), subscriptions and
// EventBridge rules. Names come from `names` so AWS matches the local setup.
import { names, type QueueName, topology } from './topology.ts';

export interface Messaging {
  topics: Record<keyof typeof topology.topics, sst.aws.SnsTopic>;
  queues: Record<QueueName, sst.aws.Queue>;
  dlqs: Record<QueueName, sst.aws.Queue>;
}

export function createMessaging(prefix: string): Messaging {
  const topics = Object.fromEntries(
    Object.keys(topology.topics).map((name) => [
      name,
      new sst.aws.SnsTopic(`Topic-${name}`, {
        transform: { topic: { name: names.topic(prefix, name as keyof typeof topology.topics) } },
      }),
    ]),
  ) as Messaging['topics'];

  const queues = {} as Messaging['queues'];
  const dlqs = {} as Messaging['dlqs'];
  for (const [name, spec] of Object.entries(topology.queues) as [
    QueueName,
    (typeof topology.queues)[QueueName],
  ][]) {
    const dlq = new sst.aws.Queue(`Dlq-${name}`, {
      transform: { queue: { name: names.dlq(prefix, name), messageRetentionSeconds: 14 * 86400 } },
    });
    const queue = new sst.aws.Queue(`Queue-${name}`, {
      visibilityTimeout: `${spec.visibilityTimeoutSeconds} seconds`,
      dlq: { queue: dlq.arn, retry: spec.maxReceiveCount },
      transform: { queue: { name: names.queue(prefix, name) } },
    });
    for (const sub of spec.subscriptions) {
      topics[sub.topic].subscribeQueue(`Sub-${name}-${sub.topic}`, queue.arn, {
        filter: { type: [...sub.types] },
        // The envelope arrives as the SQS body, exactly as locally.
        transform: { subscription: { rawMessageDelivery: true } },
      });
    }
    queues[name] = queue;
    dlqs[name] = dlq;
  }

  const region = aws.getRegionOutput().name;
  const account = aws.getCallerIdentityOutput().accountId;
  const defaultBus = $interpolate`arn:aws:events:${region}:${account}:event-bus/default`;
  for (const [name, rule] of Object.entries(topology.rules)) {
    const p = rule.pattern as {
      readonly source?: readonly string[];
      readonly 'detail-type'?: readonly string[];
      readonly detail?: Record<string, unknown>;
    };
    sst.aws.Bus.subscribeQueue(`Rule-${name}`, defaultBus, queues[rule.targetQueue].arn, {
      pattern: {
        ...(p.source ? { source: [...p.source] } : {}),
        ...(p['detail-type'] ? { detailType: [...p['detail-type']] } : {}),
        ...(p.detail ? { detail: p.detail } : {}),
      },
    });
  }
  return { topics, queues, dlqs };
}
