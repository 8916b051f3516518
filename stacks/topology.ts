// THE one declaration of SmartScale's AWS resources: topics, queues and their
// dead-letter queues, subscriptions with filter policies, tables, EventBridge
// rules, the sampler schedule, parameters and each service's permissions.
// Plain data: `sst.config.ts` maps it to SST components, and
// `packages/local/src/aws/bootstrap.ts` creates it in moto. Physical names
// are `<prefix>-<logical name>` so every stage and every test run is isolated.
import {
  InvalidConfigError,
  METRICS_NAMESPACE,
  type MessageType,
  type TopicName,
} from '@smartscale/contracts';

/** Every service, one Lambda function (or one local process) each. */
export const ServiceNames = [
  'sampler',
  'decider',
  'provisioner',
  'join-verifier',
  'drainer',
  'spot-listener',
  'notifier',
  'reconciler',
] as const;
export type ServiceName = (typeof ServiceNames)[number];

/**
 * The topics: the three that carry SmartScale envelopes, and `alarms`,
 * where CloudWatch alarms publish their state changes (not envelopes).
 */
export type TopologyTopic = TopicName | 'alarms';

export interface TopicSpec {
  readonly description: string;
}

/**
 * Which messages of a topic a queue receives: the listed `type`s (a filter
 * policy on the `type` attribute), or, without `types`, every message —
 * CloudWatch alarm notifications carry no `type` attribute to filter on.
 */
export interface SubscriptionSpec {
  readonly topic: TopologyTopic;
  readonly types?: readonly MessageType[];
}

export interface QueueSpec {
  /** The service whose handler consumes this queue. */
  readonly consumer: ServiceName;
  /**
   * At least 6x the consumer function's timeout (stacks/functions.ts
   * `sizing`, checked by a test), as AWS advises for SQS event sources: the
   * event source mapping's retries of a throttled batch count against this
   * window, and a shorter one re-delivers messages still being handled.
   * Also the delay before a failed message is retried. Compressed local runs
   * override it (packages/local ApplyOptions).
   */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to `<queue>-dlq` (3 to 5). */
  readonly maxReceiveCount: 3 | 4 | 5;
  /** Records handed to one handler call (Lambda event source `batchSize`). */
  readonly batchSize: number;
  readonly subscriptions: readonly SubscriptionSpec[];
}

export type KeyType = 'S' | 'N';

export interface TableSpec {
  readonly description: string;
  readonly partitionKey: { readonly name: string; readonly type: KeyType };
  readonly sortKey: { readonly name: string; readonly type: KeyType };
  /** Epoch-seconds attribute DynamoDB expires items by (moto stores it, never enforces it). */
  readonly ttlAttribute?: string;
  readonly globalIndexes: readonly {
    readonly name: string;
    readonly partitionKey: { readonly name: string; readonly type: KeyType };
    readonly sortKey: { readonly name: string; readonly type: KeyType };
  }[];
}

export interface RuleSpec {
  readonly description: string;
  /** EventBridge event pattern on the default bus. */
  readonly pattern: Readonly<Record<string, unknown>>;
  /** Queue (logical name) that receives matching events. */
  readonly targetQueue: QueueName;
}

export interface ScheduleSpec {
  readonly service: ServiceName;
  /** EventBridge Scheduler / rule expression. */
  readonly expression: string;
}

export interface ParameterSpec {
  readonly description: string;
  /** Path under `/<prefix>`; the full name is `/<prefix><path>`. */
  readonly path: string;
  readonly secure: boolean;
}

/**
 * An S3 bucket whose objects live under one key prefix and expire there: the
 * services only ever touch that prefix (the IAM grants name it).
 */
export interface BucketSpec {
  readonly description: string;
  /** The key prefix the services write and read, ending in `/`. */
  readonly objectPrefix: string;
  /** Days after which objects under `objectPrefix` are deleted (lifecycle rule). */
  readonly expireAfterDays: number;
}

/** What a metric dimension's value is, resolved to a physical name per stage. */
export type DimensionRef =
  | { readonly kind: 'dlq'; readonly name: QueueName }
  | { readonly kind: 'function'; readonly name: ServiceName }
  /** The `service` dimension of SmartScale's own EMF metrics. */
  | { readonly kind: 'service'; readonly name: ServiceName };

/**
 * A CloudWatch alarm; it publishes to the `alarms` topic on ALARM and OK,
 * so the notifier tells people when it fires and when it clears.
 */
export interface AlarmSpec {
  readonly description: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, DimensionRef>>;
  readonly statistic: 'Sum' | 'Maximum';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  readonly threshold: number;
}

/** A resource a permission applies to, by logical name. */
export type ResourceRef =
  | { readonly kind: 'topic'; readonly name: TopicName }
  | { readonly kind: 'queue'; readonly name: QueueName }
  | { readonly kind: 'dlq'; readonly name: QueueName }
  | { readonly kind: 'table'; readonly name: TableName }
  | { readonly kind: 'table-index'; readonly name: TableName }
  | { readonly kind: 'parameter'; readonly name: ParameterName }
  /**
   * A bucket's objects under its `objectPrefix` (s3:GetObject, s3:PutObject),
   * and listing the bucket only within that prefix (s3:ListBucket).
   */
  | { readonly kind: 'bucket'; readonly name: BucketName }
  /** EC2 instances, launch templates etc. scoped by the `smartscale:cluster` tag condition. */
  | { readonly kind: 'ec2-managed' }
  /** Actions AWS only allows on `*` (Describe*). */
  | { readonly kind: 'ec2-any' }
  /**
   * Launching workers: the deployment's launch template, AMI, subnets and
   * security groups, new instances only of the configured types and tagged
   * as this cluster's; tagging only at launch (stacks/iam.ts).
   */
  | { readonly kind: 'ec2-launch' }
  /** The workers' IAM role, which launching passes to EC2 (the launch template's instance profile). */
  | { readonly kind: 'worker-role' };

export interface PermissionSpec {
  /** Exact IAM actions, never wildcards. */
  readonly actions: readonly string[];
  readonly resource: ResourceRef;
}

const topics = {
  samples: { description: 'MetricsSampled from the sampler' },
  commands: { description: 'Work for the provisioner, join-verifier and drainer' },
  events: { description: 'Outcomes and decisions, for the decider and for people' },
  alarms: { description: 'CloudWatch alarm state changes, for the notifier (and people)' },
} as const satisfies Record<TopologyTopic, TopicSpec>;

/** Outcome events that close (or move) an action in the decider's ledger. */
export const DECIDER_OUTCOMES = [
  'InstancesLaunched',
  'NodeJoined',
  'JoinFailed',
  'NodeRemoved',
  'ActionFailed',
] as const satisfies readonly MessageType[];

/** Events people see in Slack. */
export const NOTIFIED_EVENTS = [
  'DecisionMade',
  'JoinFailed',
  'NodeRemoved',
  'ActionFailed',
  'InterruptionReceived',
  'RepairMade',
] as const satisfies readonly MessageType[];

const queues = {
  decider: {
    consumer: 'decider',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    batchSize: 10,
    subscriptions: [
      { topic: 'samples', types: ['MetricsSampled'] },
      { topic: 'events', types: DECIDER_OUTCOMES },
    ],
  },
  provisioner: {
    consumer: 'provisioner',
    // RunInstances across several zones plus fallbacks can take a while.
    visibilityTimeoutSeconds: 540,
    maxReceiveCount: 3,
    batchSize: 1,
    subscriptions: [{ topic: 'commands', types: ['ScaleUp', 'ReplaceCapacity'] }],
  },
  'join-verifier': {
    consumer: 'join-verifier',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    batchSize: 10,
    subscriptions: [{ topic: 'commands', types: ['VerifyJoin'] }],
  },
  drainer: {
    consumer: 'drainer',
    // Evictions of one node; PDB refusals are re-sent with a delay, not waited for.
    visibilityTimeoutSeconds: 720,
    maxReceiveCount: 3,
    batchSize: 1,
    subscriptions: [{ topic: 'commands', types: ['DrainNode'] }],
  },
  notifier: {
    consumer: 'notifier',
    visibilityTimeoutSeconds: 120,
    maxReceiveCount: 5,
    batchSize: 10,
    subscriptions: [{ topic: 'events', types: NOTIFIED_EVENTS }, { topic: 'alarms' }],
  },
  'spot-listener': {
    consumer: 'spot-listener',
    visibilityTimeoutSeconds: 120,
    maxReceiveCount: 3,
    batchSize: 10,
    // Fed by EventBridge rules, not by a topic.
    subscriptions: [],
  },
} as const satisfies Record<string, QueueSpec>;
export type QueueName = keyof typeof queues;

const tables = {
  // One table for the decider's coordination, keyed pk = `cluster#<id>` or
  // `action#<actionId>`, sk = `lock` | `state` | `dedup#<step>`. Dedup records
  // carry `expiresAt`; the lock and the state never do.
  state: {
    description: 'Cluster lock (with fencing number), versioned cluster state, dedup records',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expiresAt',
    globalIndexes: [],
  },
  // pk = `cluster#<id>`, sk = `<occurredAt>#<recordId>`: time range queries per
  // cluster; the `byAction` index answers "everything about action X".
  audit: {
    description: 'Decisions with snapshot and reasons, and action outcomes',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expiresAt',
    globalIndexes: [
      {
        name: 'byAction',
        partitionKey: { name: 'actionId', type: 'S' },
        sortKey: { name: 'sk', type: 'S' },
      },
    ],
  },
} as const satisfies Record<string, TableSpec>;
export type TableName = keyof typeof tables;

const buckets = {
  // Claim check (issue #17): a MetricsSampled too big for SNS is stored here
  // and the message carries its key and digest. The decider reads it within
  // seconds; a day leaves room for redeliveries, DLQ replays and `explain`.
  samples: {
    description: 'Samples too big for SNS (claim check) and snapshots too big for the audit log',
    objectPrefix: 'samples/',
    expireAfterDays: 1,
  },
} as const satisfies Record<string, BucketSpec>;
export type BucketName = keyof typeof buckets;

const rules = {
  'spot-interruption': {
    description: 'EC2 Spot Instance Interruption Warning (two minutes notice)',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
    targetQueue: 'spot-listener',
  },
  rebalance: {
    description: 'EC2 Instance Rebalance Recommendation',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
    targetQueue: 'spot-listener',
  },
  'state-change': {
    description: 'EC2 Instance State-change Notification (stopping, terminated, ...)',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
    targetQueue: 'spot-listener',
  },
  'scheduled-change': {
    description: 'AWS Health scheduled change for EC2 (retirement, maintenance)',
    pattern: {
      source: ['aws.health'],
      'detail-type': ['AWS Health Event'],
      detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
    },
    targetQueue: 'spot-listener',
  },
} as const satisfies Record<string, RuleSpec>;

const schedules = {
  sampler: { service: 'sampler', expression: 'rate(1 minute)' },
  // The net under the message flows: often enough that a stuck state ends
  // within minutes, rarely enough to cost nothing.
  reconciler: { service: 'reconciler', expression: 'rate(2 minutes)' },
} as const satisfies Record<string, ScheduleSpec>;

const parameters = {
  joinToken: {
    description:
      'K3s agent-only join token (--agent-token; joins workers, never servers), written by k3s/server-install.sh',
    path: '/k3s/join-token',
    secure: true,
  },
  slackWebhook: {
    description: 'Slack incoming webhook URL for the notifier',
    path: '/slack/webhook-url',
    secure: true,
  },
  // One token per Kubernetes identity (kubeIdentities), so a service reads
  // only its own: the sampler never holds the token that cordons and evicts.
  kubeTokenReader: {
    description:
      'Token of the K3s ServiceAccount smartscale-system/smartscale-reader (sampler, spot-listener: read only)',
    path: '/k3s/reader-token',
    secure: true,
  },
  kubeTokenJoinVerifier: {
    description:
      'Token of the K3s ServiceAccount smartscale-system/smartscale-join-verifier (read Nodes, delete a Node that never joined)',
    path: '/k3s/join-verifier-token',
    secure: true,
  },
  // The path of the former single token, which was this ServiceAccount's:
  // an existing deployment keeps working for the drainer and reconciler.
  kubeTokenWriter: {
    description:
      'Token of the K3s ServiceAccount smartscale-system/smartscale (drainer, reconciler: cordon, evict, delete Nodes)',
    path: '/k3s/autoscaler-token',
    secure: true,
  },
  kubeCa: {
    description:
      "The K3s server's CA certificate, to verify the API server (TLS verification stays on)",
    path: '/k3s/ca',
    secure: false,
  },
} as const satisfies Record<string, ParameterSpec>;
export type ParameterName = keyof typeof parameters;

/**
 * The Kubernetes identities (ServiceAccounts in smartscale-system, RBAC in
 * k3s/manifests/rbac-autoscaler.yaml), the parameter holding each one's
 * token, and the services that use it. A service not listed here does not
 * talk to the Kubernetes API.
 */
export const kubeIdentities = {
  reader: {
    serviceAccount: 'smartscale-reader',
    parameter: 'kubeTokenReader',
    services: ['sampler', 'spot-listener'],
  },
  'join-verifier': {
    serviceAccount: 'smartscale-join-verifier',
    parameter: 'kubeTokenJoinVerifier',
    services: ['join-verifier'],
  },
  writer: {
    serviceAccount: 'smartscale',
    parameter: 'kubeTokenWriter',
    services: ['drainer', 'reconciler'],
  },
} as const satisfies Record<
  string,
  {
    readonly serviceAccount: string;
    readonly parameter: ParameterName;
    readonly services: readonly ServiceName[];
  }
>;
export type KubeIdentity = keyof typeof kubeIdentities;
export const KubeIdentities = Object.keys(kubeIdentities) as KubeIdentity[];

/** The Kubernetes identity `service` uses, or undefined when it does not call the API. */
export function kubeIdentityOf(service: ServiceName): KubeIdentity | undefined {
  return KubeIdentities.find((id) =>
    (kubeIdentities[id].services as readonly ServiceName[]).includes(service),
  );
}

/**
 * Alarms: any message in a DLQ (it needs a person: `smartscale dlq`), any
 * handler invocation that crashed or timed out (record failures inside a
 * batch are retried and end in a DLQ, so they are covered there), and joins
 * slower than ten minutes (workers are failing to boot or to join).
 */
const alarms: Record<string, AlarmSpec> = {
  ...Object.fromEntries(
    (Object.keys(queues) as QueueName[]).map((queue) => [
      `dlq-${queue}`,
      {
        description: `Messages are waiting in the ${queue} dead-letter queue: inspect and replay them with smartscale dlq`,
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: { kind: 'dlq', name: queue } },
        statistic: 'Maximum',
        periodSeconds: 60,
        evaluationPeriods: 1,
        comparison: 'GreaterThanThreshold',
        threshold: 0,
      } satisfies AlarmSpec,
    ]),
  ),
  ...Object.fromEntries(
    ServiceNames.map((service) => [
      `errors-${service}`,
      {
        description: `The ${service} function failed (an uncaught error or a timeout): see its log group`,
        namespace: 'AWS/Lambda',
        metric: 'Errors',
        dimensions: { FunctionName: { kind: 'function', name: service } },
        statistic: 'Sum',
        periodSeconds: 300,
        evaluationPeriods: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
      } satisfies AlarmSpec,
    ]),
  ),
  'join-latency': {
    description: 'A worker took more than 10 minutes from launch to Ready: check boot and K3s join',
    namespace: METRICS_NAMESPACE,
    metric: 'JoinLatency',
    dimensions: { service: { kind: 'service', name: 'join-verifier' } },
    statistic: 'Maximum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    comparison: 'GreaterThanThreshold',
    threshold: 600,
  },
};

const consume = (name: QueueName): PermissionSpec => ({
  actions: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:ChangeMessageVisibility',
    'sqs:GetQueueAttributes',
  ],
  resource: { kind: 'queue', name },
});
// Malformed messages are sent straight to the DLQ with their reason.
const deadLetter = (name: QueueName): PermissionSpec => ({
  actions: ['sqs:SendMessage'],
  resource: { kind: 'dlq', name },
});
const publishTo = (name: TopicName): PermissionSpec => ({
  actions: ['sns:Publish'],
  resource: { kind: 'topic', name },
});
// Delayed re-delivery (backoff) goes straight to a queue with DelaySeconds.
const sendTo = (name: QueueName): PermissionSpec => ({
  actions: ['sqs:SendMessage'],
  resource: { kind: 'queue', name },
});
// At-most-once steps (DedupStore: claim, complete, abandon) on the state table.
const dedupSteps: PermissionSpec = {
  actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  resource: { kind: 'table', name: 'state' },
};
// Services that talk to the K3s API read its CA and their own identity's
// token, never another identity's.
const kubeAccess = (identity: KubeIdentity): PermissionSpec[] => [
  {
    actions: ['ssm:GetParameter', 'kms:Decrypt'],
    resource: { kind: 'parameter', name: kubeIdentities[identity].parameter },
  },
  { actions: ['ssm:GetParameter'], resource: { kind: 'parameter', name: 'kubeCa' } },
];
const describeEc2: PermissionSpec = {
  actions: ['ec2:DescribeInstances'],
  resource: { kind: 'ec2-any' },
};

// The decider and the provisioner resolve the configured instance types
// (capacity, architecture) against EC2 at start-up.
const describeInstanceTypes: PermissionSpec = {
  actions: ['ec2:DescribeInstanceTypes'],
  resource: { kind: 'ec2-any' },
};

/** Least privilege per service: exact actions on named resources. */
const permissions = {
  sampler: [
    publishTo('samples'),
    // The claim check: a sample too big for SNS is put in the bucket.
    { actions: ['s3:PutObject'], resource: { kind: 'bucket', name: 'samples' } },
    ...kubeAccess('reader'),
  ],
  decider: [
    consume('decider'),
    deadLetter('decider'),
    {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
      ],
      resource: { kind: 'table', name: 'state' },
    },
    // Appends decisions and outcomes; reading the log (Query, byAction) is
    // the operator CLI's, with the operator's own credentials.
    { actions: ['dynamodb:PutItem'], resource: { kind: 'table', name: 'audit' } },
    publishTo('commands'),
    publishTo('events'),
    // Reads claimed samples back. ListBucket (within the prefix) makes a
    // missing object answer NoSuchKey, which the decider holds on, instead
    // of AccessDenied, which it would retry into the DLQ.
    {
      actions: ['s3:GetObject', 's3:ListBucket'],
      resource: { kind: 'bucket', name: 'samples' },
    },
    describeInstanceTypes,
    // With several instance types the decision weighs their current Spot
    // prices (SpotPriceCache); only the decider reads them.
    { actions: ['ec2:DescribeSpotPriceHistory'], resource: { kind: 'ec2-any' } },
    // Which Nodes are ours to remove: their instances' EC2 tags, read here
    // rather than by the sampler, whose watch mode runs on the K3s server's
    // role (issue #21 item 9).
    describeEc2,
  ],
  provisioner: [
    consume('provisioner'),
    deadLetter('provisioner'),
    dedupSteps,
    describeEc2,
    describeInstanceTypes,
    // Launches from the workers' template only (instant fleets of the
    // resolved types, RunInstances beneath), tags only what it launches.
    {
      actions: ['ec2:CreateFleet', 'ec2:RunInstances', 'ec2:CreateTags'],
      resource: { kind: 'ec2-launch' },
    },
    // The launch template names the workers' instance profile; launching
    // with it passes that role to EC2, and only that role.
    { actions: ['iam:PassRole'], resource: { kind: 'worker-role' } },
    publishTo('events'),
    sendTo('join-verifier'),
  ],
  'join-verifier': [
    ...kubeAccess('join-verifier'),
    consume('join-verifier'),
    deadLetter('join-verifier'),
    dedupSteps,
    describeEc2,
    { actions: ['ec2:TerminateInstances'], resource: { kind: 'ec2-managed' } },
    publishTo('events'),
    sendTo('join-verifier'),
  ],
  drainer: [
    ...kubeAccess('writer'),
    consume('drainer'),
    deadLetter('drainer'),
    dedupSteps,
    describeEc2,
    { actions: ['ec2:TerminateInstances'], resource: { kind: 'ec2-managed' } },
    publishTo('events'),
    sendTo('drainer'),
  ],
  'spot-listener': [
    ...kubeAccess('reader'),
    consume('spot-listener'),
    deadLetter('spot-listener'),
    describeEc2,
    publishTo('commands'),
    publishTo('events'),
  ],
  // Compares EC2, Kubernetes and the ledger and repairs: terminates orphan
  // workers, deletes ghost Nodes and lifts stale cordons (Kubernetes, with
  // the writer token), closes or expires actions under the cluster lock.
  reconciler: [
    ...kubeAccess('writer'),
    // Dedup steps, the lock and the versioned state all live in the state table.
    {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      ],
      resource: { kind: 'table', name: 'state' },
    },
    { actions: ['dynamodb:PutItem'], resource: { kind: 'table', name: 'audit' } },
    describeEc2,
    { actions: ['ec2:TerminateInstances'], resource: { kind: 'ec2-managed' } },
    publishTo('events'),
  ],
  notifier: [
    consume('notifier'),
    deadLetter('notifier'),
    {
      actions: ['ssm:GetParameter', 'kms:Decrypt'],
      resource: { kind: 'parameter', name: 'slackWebhook' },
    },
  ],
} as const satisfies Record<ServiceName, readonly PermissionSpec[]>;

/** The whole topology. */
export const topology = {
  topics,
  queues,
  tables,
  buckets,
  rules,
  schedules,
  parameters,
  alarms,
  permissions,
} as const;
export type Topology = typeof topology;

/** Physical names of a resource for one stage or test run. */
export const names = {
  topic: (prefix: string, name: TopologyTopic) => `${prefix}-${name}`,
  queue: (prefix: string, name: QueueName) => `${prefix}-${name}`,
  dlq: (prefix: string, name: QueueName) => `${prefix}-${name}-dlq`,
  table: (prefix: string, name: TableName) => `${prefix}-${name}`,
  /**
   * S3 bucket names allow only lower-case letters, digits, `-` and `.`; the
   * prefix may hold upper case and `_` (assertPrefix), so they are mapped.
   */
  bucket: (prefix: string, name: BucketName) =>
    `${prefix}-${name}`.toLowerCase().replaceAll('_', '-'),
  rule: (prefix: string, name: keyof typeof rules) => `${prefix}-${name}`,
  parameter: (prefix: string, name: ParameterName) => `/${prefix}${parameters[name].path}`,
  alarm: (prefix: string, name: string) => `${prefix}-${name}`,
  /** Lambda function names are set, so alarms and dashboards can name them. */
  function: (prefix: string, service: ServiceName) => `${prefix}-${service}`,
} as const;

/**
 * Checks a stage/test prefix: it becomes part of queue names (80 characters,
 * letters, digits, `-`, `_`), so keep it short.
 *
 * @example
 * assertPrefix('smartscale-dev');
 */
export function assertPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(prefix)) {
    throw new InvalidConfigError(
      'prefix',
      `resource prefix '${prefix}' is invalid: use 1-40 letters, digits, '-' or '_', starting with a letter or digit`,
    );
  }
  return prefix;
}
