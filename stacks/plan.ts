// The physical resources of one stage, derived from stacks/topology.ts. Both
// sides build from this list and nothing else: the SST mapping
// (messaging.ts, data.ts, functions.ts, alarms.ts) declares one component per
// entry, and the local bootstrap creates one moto resource per entry. The
// parity test holds the plan against the topology, and against what the
// bootstrap really created in moto.
import {
  type AlarmSpec,
  type BucketName,
  type BucketSpec,
  type DimensionRef,
  names,
  type ParameterName,
  type QueueName,
  type RuleSpec,
  type ServiceName,
  ServiceNames,
  type TableName,
  type TableSpec,
  type TopologyTopic,
  topology,
} from './topology.ts';

export interface PlannedTopic {
  readonly key: TopologyTopic;
  readonly name: string;
}

export interface PlannedQueue {
  readonly key: QueueName;
  readonly name: string;
  readonly dlqName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  /** Topics subscribed to this queue: SNS may deliver from these only. */
  readonly subscribedTopics: readonly TopologyTopic[];
  /** Rules (keys) targeting this queue: EventBridge may deliver from these only. */
  readonly targetingRules: readonly string[];
}

export interface PlannedSubscription {
  readonly topic: TopologyTopic;
  readonly queue: QueueName;
  /** SNS filter policy on message attributes; null delivers every message. */
  readonly filterPolicy: { readonly type: readonly string[] } | null;
}

export interface PlannedRule {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly pattern: RuleSpec['pattern'];
  readonly targetQueue: QueueName;
}

export interface PlannedTable {
  readonly key: TableName;
  readonly name: string;
  readonly spec: TableSpec;
}

export interface PlannedBucket {
  readonly key: BucketName;
  readonly name: string;
  readonly spec: BucketSpec;
}

export interface PlannedAlarm {
  readonly key: string;
  readonly name: string;
  readonly spec: AlarmSpec;
  /** Dimensions with their physical values for this stage. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** No data means nothing is failing (an idle queue, a function not invoked). */
  readonly treatMissingData: 'notBreaching';
}

export interface PlannedFunction {
  readonly service: ServiceName;
  readonly name: string;
  /** The queue it consumes (none for the scheduled sampler and reconciler). */
  readonly queue: QueueName | null;
}

export interface DeploymentPlan {
  readonly prefix: string;
  readonly topics: readonly PlannedTopic[];
  readonly queues: readonly PlannedQueue[];
  readonly subscriptions: readonly PlannedSubscription[];
  readonly rules: readonly PlannedRule[];
  readonly tables: readonly PlannedTable[];
  /** Private, encrypted, objects expiring under their prefix. */
  readonly buckets: readonly PlannedBucket[];
  readonly alarms: readonly PlannedAlarm[];
  readonly functions: readonly PlannedFunction[];
  readonly parameters: readonly { readonly key: ParameterName; readonly name: string }[];
}

function dimensionValue(prefix: string, ref: DimensionRef): string {
  switch (ref.kind) {
    case 'dlq':
      return names.dlq(prefix, ref.name);
    case 'function':
      return names.function(prefix, ref.name);
    case 'service':
      // EMF metrics carry the service name itself (createServiceMetrics).
      return ref.name;
  }
}

const keys = <T extends object>(o: T) => Object.keys(o) as (keyof T & string)[];

/**
 * Every physical resource of a stage, by kind, named as AWS and moto will
 * name it.
 *
 * @example
 * deploymentPlan('smartscale-prod').alarms.map((a) => a.name);
 */
export function deploymentPlan(prefix: string): DeploymentPlan {
  const queueKeys = keys(topology.queues);
  return {
    prefix,
    topics: keys(topology.topics).map((key) => ({ key, name: names.topic(prefix, key) })),
    queues: queueKeys.map((key) => {
      const spec = topology.queues[key];
      return {
        key,
        name: names.queue(prefix, key),
        dlqName: names.dlq(prefix, key),
        visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
        maxReceiveCount: spec.maxReceiveCount,
        batchSize: spec.batchSize,
        subscribedTopics: spec.subscriptions.map((s) => s.topic),
        targetingRules: keys(topology.rules).filter((r) => topology.rules[r].targetQueue === key),
      };
    }),
    subscriptions: queueKeys.flatMap((queue) =>
      topology.queues[queue].subscriptions.map((s) => ({
        topic: s.topic,
        queue,
        filterPolicy: 'types' in s && s.types ? { type: [...s.types] } : null,
      })),
    ),
    rules: keys(topology.rules).map((key) => {
      const rule = topology.rules[key];
      return {
        key,
        name: names.rule(prefix, key),
        description: rule.description,
        pattern: rule.pattern,
        targetQueue: rule.targetQueue,
      };
    }),
    tables: keys(topology.tables).map((key) => ({
      key,
      name: names.table(prefix, key),
      spec: topology.tables[key],
    })),
    buckets: keys(topology.buckets).map((key) => ({
      key,
      name: names.bucket(prefix, key),
      spec: topology.buckets[key],
    })),
    alarms: Object.entries(topology.alarms).map(([key, spec]) => ({
      key,
      name: names.alarm(prefix, key),
      spec,
      dimensions: Object.fromEntries(
        Object.entries(spec.dimensions).map(([d, ref]) => [d, dimensionValue(prefix, ref)]),
      ),
      treatMissingData: 'notBreaching' as const,
    })),
    functions: ServiceNames.map((service) => ({
      service,
      name: names.function(prefix, service),
      queue: queueKeys.find((q) => topology.queues[q].consumer === service) ?? null,
    })),
    parameters: keys(topology.parameters).map((key) => ({
      key,
      name: names.parameter(prefix, key),
    })),
  };
}

/** Who may send to a queue: the topics subscribed to it and the rules that target it. */
export interface QueueSenders {
  readonly topicArns: readonly string[];
  readonly ruleArns: readonly string[];
}

/**
 * The one resource policy of a queue: SNS may deliver only from the topics
 * subscribed to it, EventBridge only from the rules targeting it (the
 * source ARN condition keeps any other topic or rule out), and nobody -
 * these services, the functions, an administrator - reaches it without TLS
 * (issue #21 item 8: an explicit Deny on aws:SecureTransport false, which no
 * Allow anywhere overrides). Services send with their own IAM permissions,
 * not through this policy. Used by the SST mapping and the local bootstrap
 * alike; stacks/tests/unit/queue-policy-simulation.test.ts evaluates it.
 *
 * @example
 * queueSendPolicy(queueArn, { topicArns: [samplesArn], ruleArns: [] });
 */
export function queueSendPolicy(queueArn: string, senders: QueueSenders): string {
  const statement = (sid: string, service: string, sources: readonly string[]) => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    Condition: { ArnEquals: { 'aws:SourceArn': [...sources] } },
  });
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      ...(senders.topicArns.length > 0
        ? [statement('subscribed-topics', 'sns.amazonaws.com', senders.topicArns)]
        : []),
      ...(senders.ruleArns.length > 0
        ? [statement('targeting-rules', 'events.amazonaws.com', senders.ruleArns)]
        : []),
      {
        Sid: 'tls-only',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}
