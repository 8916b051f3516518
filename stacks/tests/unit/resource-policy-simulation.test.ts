// The topics', the DLQs' and the topic key's resource policies
// (resource-policies.ts, exactly as messaging.ts attaches them) evaluated by
// the IAM policy simulator together with each caller's own IAM policy, all
// in one account (issue #21 items 5 and 8): each publisher may publish and
// every other role is denied even when its own IAM allows everything; only
// the rejecting consumer (and, for the spot-listener, its EventBridge rules)
// sends into a DLQ; only publishers and this stage's alarms use the key;
// nothing goes without TLS; other accounts and anonymous callers are denied.
// The publishers and senders are written out here on purpose (not read from
// topology.ts), so a grant that creeps in fails.
import {
  anonymousPrincipal,
  type EvaluationResult,
  type SimulationRequestPrincipal,
} from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { iamFor, policyDocument } from '../../iam.ts';
import { deploymentPlan } from '../../plan.ts';
import {
  alarmSourceOf,
  deadLetterQueuePolicy,
  deadLetterSendersOf,
  publisherRolesOf,
  topicKeyPolicy,
  topicPolicy,
} from '../../resource-policies.ts';
import {
  names,
  type QueueName,
  type ServiceName,
  ServiceNames,
  type TopologyTopic,
  topology,
} from '../../topology.ts';
import {
  account,
  type Context,
  prefix,
  region,
  resolver,
  roleArnOf,
  simulate,
  topicKey,
} from './simulation.ts';

const plan = deploymentPlan(prefix);
const serverRole = `arn:aws:iam::${account}:role/k3s-server`;
const PUBLISHERS: Record<TopologyTopic, ServiceName[]> = {
  samples: ['sampler'],
  commands: ['decider', 'spot-listener'],
  events: ['decider', 'provisioner', 'join-verifier', 'drainer', 'spot-listener', 'reconciler'],
  alarms: [],
};
const DLQ_SENDERS: Record<QueueName, ServiceName[]> = {
  decider: ['decider'],
  provisioner: ['provisioner'],
  'join-verifier': ['join-verifier'],
  drainer: ['drainer'],
  notifier: ['notifier'],
  'spot-listener': ['spot-listener'],
};
const topics = Object.keys(topology.topics) as TopologyTopic[];
const queues = Object.keys(topology.queues) as QueueName[];

const TLS: Context = { 'aws:SecureTransport': 'true' };
const PLAIN: Context = { 'aws:SecureTransport': 'false' };
const topicArn = (topic: TopologyTopic) =>
  `arn:aws:sns:${region}:${account}:${names.topic(prefix, topic)}`;
const dlqArn = (queue: QueueName) => resolver.arn({ kind: 'dlq', name: queue });
const ruleArn = (name: string) => `arn:aws:events:${region}:${account}:rule/${name}`;
const alarms = alarmSourceOf(region, account, prefix);
const alarmArn = (name: string, acct = account) =>
  `arn:aws:cloudwatch:${region}:${acct}:alarm:${name}`;

/** A role session of this (or another) account, as AWS describes its requests. */
function asRole(roleArn: string) {
  const [, , , , acct, resource] = roleArn.split(':');
  const name = resource?.split('/').pop();
  return {
    principal: `arn:aws:sts::${acct}:assumed-role/${name}/session`,
    context: { 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': acct ?? '' },
  };
}
/** An identity policy allowing `actions` on everything: what an administrator holds. */
const allows = (...actions: string[]) => ({
  Version: '2012-10-17' as const,
  Statement: [{ Effect: 'Allow' as const, Action: actions, Resource: ['*'] }],
});
const ownPolicy = (service: ServiceName) => policyDocument(iamFor(service, resolver));

const policyOf = (topic: TopologyTopic) =>
  topicPolicy(topicArn(topic), {
    publisherRoleArns: publisherRolesOf(topic, roleArnOf, serverRole),
    ...(topic === 'alarms' ? { alarms } : {}),
  });

async function publish(
  topic: TopologyTopic,
  caller: { principal: SimulationRequestPrincipal; context: Context },
  identity: ReturnType<typeof allows>[] = [],
  transport: Context = TLS,
): Promise<EvaluationResult> {
  return simulate({
    principal: caller.principal,
    action: 'sns:Publish',
    resource: topicArn(topic),
    context: { ...caller.context, ...transport },
    identityPolicies: identity,
    resourcePolicy: policyOf(topic),
  });
}

describe.each(topics)('the %s topic policy', (topic) => {
  it('lets each publisher publish with its own IAM policy, and denies it without TLS', async () => {
    for (const service of PUBLISHERS[topic]) {
      const caller = asRole(roleArnOf(service));
      expect(await publish(topic, caller, [ownPolicy(service)]), service).toBe('Allowed');
      expect(await publish(topic, caller, [ownPolicy(service)], PLAIN), service).toBe(
        'ExplicitlyDenied',
      );
    }
  });

  it('denies every other function role, even one whose IAM allows sns:Publish everywhere', async () => {
    for (const service of ServiceNames.filter((s) => !PUBLISHERS[topic].includes(s))) {
      const caller = asRole(roleArnOf(service));
      expect(await publish(topic, caller, [ownPolicy(service)]), service).not.toBe('Allowed');
      expect(await publish(topic, caller, [allows('sns:Publish')]), service).toBe(
        'ExplicitlyDenied',
      );
    }
  });

  it('admits the K3s server role on samples only (the watch mode), and no administrator', async () => {
    expect(await publish(topic, asRole(serverRole), [allows('sns:Publish')])).toBe(
      topic === 'samples' ? 'Allowed' : 'ExplicitlyDenied',
    );
    const admin = asRole(`arn:aws:iam::${account}:role/Administrator`);
    expect(await publish(topic, admin, [allows('*')])).toBe('ExplicitlyDenied');
    // The administrator still manages the topic, over TLS only.
    for (const [transport, result] of [
      [TLS, 'Allowed'],
      [PLAIN, 'ExplicitlyDenied'],
    ] as const)
      expect(
        await simulate({
          principal: admin.principal,
          action: 'sns:SetTopicAttributes',
          resource: topicArn(topic),
          context: { ...admin.context, ...transport },
          identityPolicies: [allows('*')],
          resourcePolicy: policyOf(topic),
        }),
      ).toBe(result);
  });

  it('denies other accounts and anonymous callers', async () => {
    const foreign = asRole(`arn:aws:iam::999999999999:role/${prefix}-sampler`);
    expect(await publish(topic, foreign, [allows('sns:Publish')])).not.toBe('Allowed');
    expect(await publish(topic, { principal: anonymousPrincipal, context: {} })).not.toBe(
      'Allowed',
    );
  });

  it("admits CloudWatch only on alarms, and only this stage's alarms of this account", async () => {
    const cloudwatch = (arn: string, acct = account) => ({
      principal: 'cloudwatch.amazonaws.com',
      context: { 'aws:SourceAccount': acct, 'aws:SourceArn': arn },
    });
    expect(await publish(topic, cloudwatch(alarmArn(`${prefix}-dlq-drainer`)))).toBe(
      topic === 'alarms' ? 'Allowed' : 'ExplicitlyDenied',
    );
    expect(await publish(topic, cloudwatch(alarmArn(`${prefix}-dlq-drainer`)), [], PLAIN)).toBe(
      'ExplicitlyDenied',
    );
    for (const other of [
      cloudwatch(alarmArn('smartscale-staging-dlq-drainer')),
      cloudwatch(alarmArn(`${prefix}-dlq-drainer`, '999999999999'), '999999999999'),
    ])
      expect(await publish(topic, other), JSON.stringify(other.context)).not.toBe('Allowed');
  });
});

describe('the topic key', () => {
  const publisherRoles = [
    ...new Set(topics.flatMap((t) => publisherRolesOf(t, roleArnOf, serverRole))),
  ];
  const keyPolicy = topicKeyPolicy({
    region,
    account,
    publisherRoleArns: publisherRoles,
    alarms,
  });
  const viaSns = { 'kms:ViaService': `sns.${region}.amazonaws.com` };
  const useKey = (
    caller: { principal: string; context: Context },
    action: string,
    identity: ReturnType<typeof allows>[],
    context: Context = viaSns,
  ) =>
    simulate({
      principal: caller.principal,
      action,
      resource: topicKey,
      context: { ...caller.context, ...TLS, ...context },
      identityPolicies: identity,
      resourcePolicy: keyPolicy,
    });
  const publishing = new Set(Object.values(PUBLISHERS).flat());

  it.each(ServiceNames)(
    '%s uses it only if it publishes, and only through SNS',
    async (service) => {
      const caller = asRole(roleArnOf(service));
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt'])
        expect(await useKey(caller, action, [ownPolicy(service)]), action).toBe(
          publishing.has(service) ? 'Allowed' : 'ImplicitlyDenied',
        );
      // Not outside SNS, and a role that may not use it is refused by the key
      // even when its own IAM allows every KMS action.
      expect(
        await useKey(caller, 'kms:Decrypt', [allows('kms:*')], {
          'kms:ViaService': `s3.${region}.amazonaws.com`,
        }),
      ).toBe('ImplicitlyDenied');
      if (!publishing.has(service))
        expect(await useKey(caller, 'kms:Decrypt', [allows('kms:*')])).toBe('ImplicitlyDenied');
    },
  );

  it('lets the K3s server role publish, and the account administer but not decrypt', async () => {
    expect(
      await useKey(asRole(serverRole), 'kms:GenerateDataKey', [allows('kms:GenerateDataKey')]),
    ).toBe('Allowed');
    const admin = asRole(`arn:aws:iam::${account}:role/Administrator`);
    for (const action of ['kms:PutKeyPolicy', 'kms:DescribeKey', 'kms:ScheduleKeyDeletion'])
      expect(await useKey(admin, action, [allows('*')], {}), action).toBe('Allowed');
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'])
      expect(await useKey(admin, action, [allows('*')]), action).toBe('ImplicitlyDenied');
  });

  it("lets this stage's CloudWatch alarms use it, and no other source", async () => {
    const cloudwatch = (arn: string, acct = account) => ({
      principal: 'cloudwatch.amazonaws.com',
      context: { 'aws:SourceAccount': acct, 'aws:SourceArn': arn },
    });
    expect(
      await useKey(cloudwatch(alarmArn(`${prefix}-errors-sampler`)), 'kms:GenerateDataKey', [], {}),
    ).toBe('Allowed');
    for (const other of [
      cloudwatch(alarmArn('smartscale-staging-errors-sampler')),
      cloudwatch(alarmArn(`${prefix}-errors-sampler`, '999999999999'), '999999999999'),
    ])
      expect(await useKey(other, 'kms:Decrypt', [], {})).toBe('ImplicitlyDenied');
    expect(
      await useKey(
        { principal: 'sns.amazonaws.com', context: { 'aws:SourceAccount': account } },
        'kms:Decrypt',
        [],
        {},
      ),
    ).toBe('ImplicitlyDenied');
  });
});

describe.each(plan.queues.map((q) => [q.key, q] as const))(
  'the %s DLQ policy',
  (queue, planned) => {
    const rules = plan.rules.filter((r) => r.targetQueue === queue).map((r) => ruleArn(r.name));
    const policy = deadLetterQueuePolicy(dlqArn(queue), {
      senderRoleArns: deadLetterSendersOf(queue).map(roleArnOf),
      ruleArns: rules,
    });
    const send = (
      caller: { principal: string; context: Context },
      identity: ReturnType<typeof allows>[] = [],
      transport: Context = TLS,
      action = 'sqs:SendMessage',
    ) =>
      simulate({
        principal: caller.principal,
        action,
        resource: dlqArn(queue),
        context: { ...caller.context, ...transport },
        identityPolicies: identity,
        resourcePolicy: policy,
      });

    it('takes messages from the consumer that rejects them, over TLS only', async () => {
      for (const service of DLQ_SENDERS[queue]) {
        const caller = asRole(roleArnOf(service));
        expect(await send(caller, [ownPolicy(service)])).toBe('Allowed');
        expect(await send(caller, [ownPolicy(service)], PLAIN)).toBe('ExplicitlyDenied');
      }
    });

    it('refuses every other role, an administrator, other accounts and anonymous callers', async () => {
      for (const service of ServiceNames.filter((s) => !DLQ_SENDERS[queue].includes(s)))
        expect(await send(asRole(roleArnOf(service)), [allows('sqs:*')]), service).toBe(
          'ExplicitlyDenied',
        );
      const admin = asRole(`arn:aws:iam::${account}:role/Administrator`);
      expect(await send(admin, [allows('*')])).toBe('ExplicitlyDenied');
      // Reading it back (smartscale dlq list, replay) stays the operator's, over TLS.
      expect(await send(admin, [allows('*')], TLS, 'sqs:ReceiveMessage')).toBe('Allowed');
      expect(await send(admin, [allows('*')], PLAIN, 'sqs:ReceiveMessage')).toBe(
        'ExplicitlyDenied',
      );
      const foreign = asRole(`arn:aws:iam::999999999999:role/${prefix}-${planned.key}`);
      expect(await send(foreign, [allows('sqs:*')])).not.toBe('Allowed');
      expect(
        await simulate({
          principal: anonymousPrincipal,
          action: 'sqs:SendMessage',
          resource: dlqArn(queue),
          context: TLS,
          resourcePolicy: policy,
        }),
      ).not.toBe('Allowed');
    });

    it('takes events only from the rules targeting its queue, and nothing from SNS', async () => {
      for (const rule of plan.rules)
        expect(
          await send({
            principal: 'events.amazonaws.com',
            context: { 'aws:SourceArn': ruleArn(rule.name), 'aws:SourceAccount': account },
          }),
          rule.name,
        ).toBe(rule.targetQueue === queue ? 'Allowed' : 'ExplicitlyDenied');
      expect(
        await send({
          principal: 'events.amazonaws.com',
          context: { 'aws:SourceArn': ruleArn('someone-elses-rule'), 'aws:SourceAccount': account },
        }),
      ).toBe('ExplicitlyDenied');
      for (const topic of topics)
        expect(
          await send({
            principal: 'sns.amazonaws.com',
            context: { 'aws:SourceArn': topicArn(topic) },
          }),
          topic,
        ).toBe('ExplicitlyDenied');
    });
  },
);

describe('who is named', () => {
  it('every topic but alarms has a publisher, and every DLQ its consumer as sender', () => {
    for (const topic of topics)
      expect(publisherRolesOf(topic, roleArnOf), topic).toEqual(PUBLISHERS[topic].map(roleArnOf));
    for (const queue of queues)
      expect(deadLetterSendersOf(queue), queue).toEqual(DLQ_SENDERS[queue]);
  });

  it('a policy with nobody to name, or a name that is not an ARN, is refused', () => {
    expect(() => topicPolicy(topicArn('events'), { publisherRoleArns: [] })).toThrow(
      /has no publisher: expected role ARNs or alarms/,
    );
    expect(() => topicPolicy(topicArn('events'), { publisherRoleArns: ['decider'] })).toThrow(
      /expected one or more ARNs, got decider/,
    );
    expect(() => topicKeyPolicy({ region, account, publisherRoleArns: [], alarms })).toThrow(
      /publishers using the topic key: expected one or more ARNs, got none/,
    );
  });
});
