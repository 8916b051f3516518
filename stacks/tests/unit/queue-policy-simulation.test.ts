// Each queue's resource policy (plan.ts queueSendPolicy, exactly as SST and
// the local bootstrap attach it) evaluated by the IAM policy simulator
// (issue #21 item 8): SNS may deliver only from the topics subscribed to
// the queue and EventBridge only from the rules targeting it, and no
// request without TLS is allowed, whoever makes it and whatever its own
// policy grants. The simulator (@cloud-copilot/iam-simulate, AGPL-3.0, a
// test-only devDependency) evaluates resource policies with service
// principals and aws:SourceArn / aws:SecureTransport.
import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { deploymentPlan, queueSendPolicy } from '../../plan.ts';
import { topology } from '../../topology.ts';

const region = 'eu-west-1';
const account = '123456789012';
const prefix = 'smartscale-prod';
const plan = deploymentPlan(prefix);
const topicArn = (name: string) => `arn:aws:sns:${region}:${account}:${prefix}-${name}`;
const ruleArn = (name: string) => `arn:aws:events:${region}:${account}:rule/${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${region}:${account}:${name}`;

async function evaluate(
  queue: (typeof plan.queues)[number],
  request: {
    principal: string;
    action: string;
    context: Record<string, string>;
    /** The caller's own IAM policy (a role of this account). */
    identityAllows?: string[];
  },
): Promise<EvaluationResult> {
  const arn = queueArn(queue.name);
  const policy = JSON.parse(
    queueSendPolicy(arn, {
      topicArns: queue.subscribedTopics.map(topicArn),
      ruleArns: plan.rules.filter((r) => r.targetQueue === queue.key).map((r) => ruleArn(r.name)),
    }),
  );
  const response = await runSimulation(
    {
      identityPolicies: request.identityAllows
        ? [
            {
              name: 'role',
              policy: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: request.identityAllows, Resource: [arn] }],
              },
            },
          ]
        : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: arn, accountId: account },
        contextVariables: request.context,
      },
    },
    {},
  );
  if (response.resultType === 'error')
    throw new Error(`the simulator refused the request: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

const TLS = { 'aws:SecureTransport': 'true' };
const PLAIN = { 'aws:SecureTransport': 'false' };
const topics = Object.keys(topology.topics);

describe.each(plan.queues.map((q) => [q.key, q] as const))('the %s queue policy', (_key, queue) => {
  it('lets SNS deliver from each subscribed topic, and from no other topic', async () => {
    for (const topic of topics) {
      const subscribed = (queue.subscribedTopics as readonly string[]).includes(topic);
      expect(
        await evaluate(queue, {
          principal: 'sns.amazonaws.com',
          action: 'sqs:SendMessage',
          context: { ...TLS, 'aws:SourceArn': topicArn(topic) },
        }),
        topic,
      ).toBe(subscribed ? 'Allowed' : 'ImplicitlyDenied');
    }
    // Another account's topic of the same name.
    expect(
      await evaluate(queue, {
        principal: 'sns.amazonaws.com',
        action: 'sqs:SendMessage',
        context: {
          ...TLS,
          'aws:SourceArn': `arn:aws:sns:${region}:999999999999:${prefix}-commands`,
        },
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('lets EventBridge deliver only from the rules that target it', async () => {
    for (const rule of plan.rules)
      expect(
        await evaluate(queue, {
          principal: 'events.amazonaws.com',
          action: 'sqs:SendMessage',
          context: { ...TLS, 'aws:SourceArn': ruleArn(rule.name) },
        }),
        rule.name,
      ).toBe(rule.targetQueue === queue.key ? 'Allowed' : 'ImplicitlyDenied');
  });

  it('denies every request without TLS, even a sender it admits and a role allowed everything', async () => {
    for (const topic of queue.subscribedTopics)
      expect(
        await evaluate(queue, {
          principal: 'sns.amazonaws.com',
          action: 'sqs:SendMessage',
          context: { ...PLAIN, 'aws:SourceArn': topicArn(topic) },
        }),
      ).toBe('ExplicitlyDenied');
    const consumer = `arn:aws:sts::${account}:assumed-role/${prefix}-${queue.key}/fn`;
    for (const action of ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']) {
      const asRole = { principal: consumer, action, identityAllows: ['sqs:*'] };
      expect(await evaluate(queue, { ...asRole, context: TLS }), `${action} over TLS`).toBe(
        'Allowed',
      );
      expect(await evaluate(queue, { ...asRole, context: PLAIN }), `${action} without`).toBe(
        'ExplicitlyDenied',
      );
    }
  });
});
