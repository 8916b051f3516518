// The resource policies of the messaging resources, besides each queue's own
// (plan.ts queueSendPolicy): who may publish to each topic, who may send into
// each dead-letter queue, and who may use the key the topics are encrypted
// with (issue #21 items 5 and 8). Pure, so the simulation tests evaluate
// exactly what the SST mapping attaches. Who the senders are is derived from
// the topology's permissions, the same source as the functions' IAM.
import {
  type QueueName,
  type ServiceName,
  ServiceNames,
  type TopologyTopic,
  topology,
} from './topology.ts';

/** A policy document as the resource policies here are written. */
export interface ResourcePolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Record<string, unknown>[];
}

/** The services whose functions publish to `topic` (topology.permissions). */
export function publishersOf(topic: TopologyTopic): ServiceName[] {
  return ServiceNames.filter((service) =>
    topology.permissions[service].some(
      (p) =>
        p.resource.kind === 'topic' &&
        p.resource.name === topic &&
        (p.actions as readonly string[]).includes('sns:Publish'),
    ),
  );
}

/**
 * Topics the K3s server's instance role publishes to: the sampler's watch
 * mode (k3s/manifests/sampler-watch.yaml) runs there, when it is deployed.
 */
export const SERVER_PUBLISHES: readonly TopologyTopic[] = ['samples'];

/**
 * The role ARNs that publish to `topic`: its functions' roles and, when the
 * deployment names it (the watch mode), the K3s server's role.
 *
 * @example
 * publisherRolesOf('samples', (s) => roles[s], settings.serverRoleArn);
 */
export function publisherRolesOf(
  topic: TopologyTopic,
  roleOf: (service: ServiceName) => string,
  serverRoleArn?: string,
): string[] {
  return [
    ...publishersOf(topic).map(roleOf),
    ...(serverRoleArn && SERVER_PUBLISHES.includes(topic) ? [serverRoleArn] : []),
  ];
}

/**
 * The services that send into `queue`'s DLQ themselves: a consumer rejects a
 * malformed, foreign or stale message straight to its DLQ. SQS's own redrive
 * needs no sender permission.
 */
export function deadLetterSendersOf(queue: QueueName): ServiceName[] {
  return ServiceNames.filter((service) =>
    topology.permissions[service].some(
      (p) =>
        p.resource.kind === 'dlq' &&
        p.resource.name === queue &&
        (p.actions as readonly string[]).includes('sqs:SendMessage'),
    ),
  );
}

/** Every action a topic policy may name: the TLS deny covers them all. */
const TOPIC_ACTIONS = [
  'sns:Publish',
  'sns:Subscribe',
  'sns:GetTopicAttributes',
  'sns:SetTopicAttributes',
  'sns:ListSubscriptionsByTopic',
  'sns:AddPermission',
  'sns:RemovePermission',
  'sns:DeleteTopic',
];

/** CloudWatch alarms of one stage, as the `alarms` topic and the key admit them. */
export interface AlarmSource {
  readonly account: string;
  /** `arn:aws:cloudwatch:<region>:<account>:alarm:<prefix>-*`: this stage's alarms only. */
  readonly alarmArnPattern: string;
}

/**
 * The stage's alarm ARNs as a pattern (alarm names are `<prefix>-<key>`,
 * topology `names.alarm`).
 *
 * @example
 * alarmSourceOf('eu-west-1', '123456789012', 'smartscale-prod');
 */
export function alarmSourceOf(region: string, account: string, prefix: string): AlarmSource {
  return { account, alarmArnPattern: `arn:aws:cloudwatch:${region}:${account}:alarm:${prefix}-*` };
}

const tlsOnly = (actions: string | readonly string[], resource: string) => ({
  Sid: 'tls-only',
  Effect: 'Deny',
  Principal: '*',
  Action: typeof actions === 'string' ? actions : [...actions],
  Resource: resource,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

function requireSome(what: string, values: readonly string[]): void {
  if (values.length === 0 || values.some((v) => !v.startsWith('arn:')))
    throw new Error(
      `${what}: expected one or more ARNs, got ${values.length === 0 ? 'none' : values.join(', ')}`,
    );
}

/**
 * A topic's policy: its publishers (IAM role ARNs) and, for `alarms`, this
 * stage's CloudWatch alarms (service principal with aws:SourceAccount and
 * aws:SourceArn) may publish; everyone else is denied sns:Publish, even a
 * role of this account whose IAM allows it (an explicit Deny, unlike the
 * account-wide default policy this replaces); nothing without TLS.
 *
 * @example
 * topicPolicy(commandsArn, { publisherRoleArns: [deciderRole, spotListenerRole] });
 */
export function topicPolicy(
  topicArn: string,
  publishers: { readonly publisherRoleArns: readonly string[]; readonly alarms?: AlarmSource },
): ResourcePolicy {
  const roles = [...publishers.publisherRoleArns];
  if (roles.length === 0 && !publishers.alarms)
    throw new Error(`topic ${topicArn} has no publisher: expected role ARNs or alarms`);
  if (roles.length > 0) requireSome(`publishers of ${topicArn}`, roles);
  const alarms = publishers.alarms;
  return {
    Version: '2012-10-17',
    Statement: [
      ...(roles.length > 0
        ? [
            {
              Sid: 'publishers',
              Effect: 'Allow',
              Principal: { AWS: roles },
              Action: 'sns:Publish',
              Resource: topicArn,
            },
          ]
        : []),
      ...(alarms
        ? [
            {
              Sid: 'cloudwatch-alarms',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: topicArn,
              Condition: {
                StringEquals: { 'aws:SourceAccount': alarms.account },
                ArnLike: { 'aws:SourceArn': alarms.alarmArnPattern },
              },
            },
          ]
        : []),
      // Both conditions must hold to deny: a caller that is not one of the
      // roles (a service principal has no aws:PrincipalArn, so it never is)
      // and, on `alarms`, not one of this stage's alarms.
      {
        Sid: 'nobody-else-publishes',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: {
          ...(roles.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': roles } } : {}),
          ...(alarms ? { ArnNotLike: { 'aws:SourceArn': alarms.alarmArnPattern } } : {}),
        },
      },
      tlsOnly(TOPIC_ACTIONS, topicArn),
    ],
  };
}

/**
 * A DLQ's policy: only the roles that reject messages into it and, for a
 * queue EventBridge targets, those rules (when a delivery to the queue
 * fails, the target's dead-letter config sends the event here) may send to
 * it; SQS's redrive from the source queue needs no permission. Nothing
 * without TLS.
 *
 * @example
 * deadLetterQueuePolicy(dlqArn, { senderRoleArns: [spotListenerRole], ruleArns: [ruleArn] });
 */
export function deadLetterQueuePolicy(
  dlqArn: string,
  senders: { readonly senderRoleArns: readonly string[]; readonly ruleArns: readonly string[] },
): ResourcePolicy {
  const roles = [...senders.senderRoleArns];
  const rules = [...senders.ruleArns];
  if (roles.length > 0) requireSome(`senders into ${dlqArn}`, roles);
  if (rules.length > 0) requireSome(`rules dead-lettering into ${dlqArn}`, rules);
  // Denied unless the caller is one of the roles or (a service principal,
  // which has no aws:PrincipalArn) one of the rules: both must miss.
  const notASender: Record<string, string[]> = {
    ...(roles.length > 0 ? { 'aws:PrincipalArn': roles } : {}),
    ...(rules.length > 0 ? { 'aws:SourceArn': rules } : {}),
  };
  return {
    Version: '2012-10-17',
    Statement: [
      ...(rules.length > 0
        ? [
            {
              Sid: 'targeting-rules',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: dlqArn,
              Condition: { ArnEquals: { 'aws:SourceArn': rules } },
            },
          ]
        : []),
      {
        Sid: 'nobody-else-sends',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: dlqArn,
        // With no role or rule to spare, every sender is denied.
        ...(Object.keys(notASender).length > 0 ? { Condition: { ArnNotEquals: notASender } } : {}),
      },
      tlsOnly('sqs:*', dlqArn),
    ],
  };
}

/** The key's administrators may manage it but not encrypt or decrypt with it. */
const KEY_ADMINISTRATION = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/** What publishing to an SSE topic needs of its key (SNS calls KMS as the publisher). */
export const TOPIC_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'];

/**
 * The policy of the key the topics are encrypted with: the account
 * administers it (IAM policies decide who; without this the key could not
 * be managed at all) but only the publishers use it, and only through SNS
 * in this region, and this stage's CloudWatch alarms, which publish with
 * the service principal. Queues use SQS-managed keys, so SNS needs nothing
 * here to deliver to them.
 *
 * @example
 * topicKeyPolicy({ region, account, publisherRoleArns, alarms: alarmSourceOf(region, account, prefix) });
 */
export function topicKeyPolicy(input: {
  readonly region: string;
  readonly account: string;
  readonly publisherRoleArns: readonly string[];
  readonly alarms: AlarmSource;
}): ResourcePolicy {
  requireSome('publishers using the topic key', input.publisherRoleArns);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'administration',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${input.account}:root` },
        Action: KEY_ADMINISTRATION,
        Resource: '*',
      },
      {
        Sid: 'publishers-through-sns',
        Effect: 'Allow',
        Principal: { AWS: [...input.publisherRoleArns] },
        Action: TOPIC_KEY_ACTIONS,
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `sns.${input.region}.amazonaws.com` } },
      },
      {
        Sid: 'cloudwatch-alarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: TOPIC_KEY_ACTIONS,
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': input.alarms.account },
          ArnLike: { 'aws:SourceArn': input.alarms.alarmArnPattern },
        },
      },
    ],
  };
}
