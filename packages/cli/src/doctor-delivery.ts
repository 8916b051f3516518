// `smartscale doctor`: does each queue receive what the plan sends it? A
// queue that exists with its DLQ can still get nothing: a subscription
// deleted by hand, one that wraps messages in the SNS envelope (raw delivery
// off, so every message fails validation), a filter policy that drops a
// message type, or a queue policy that no longer names the topic or rule.
// SNS and EventBridge then drop or dead-letter the messages on their side,
// and nothing in SmartScale's own logs says why.

import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  type Subscription,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { AwsClients } from '@smartscale/aws';
import {
  type DeploymentPlan,
  deploymentPlan,
  type PlannedQueue,
  type PlannedSubscription,
} from '@smartscale/stacks';
import { type DoctorFinding, ok, problem, stageOf } from './doctor-finding.js';

/**
 * A topic's ARN: the resources JSON lists the topics services publish to;
 * the others share their account and region, so they are found by name.
 */
export function topicArnOf(
  topicArns: Readonly<Record<string, string>>,
  topic: { readonly key: string; readonly name: string },
): string {
  return (
    topicArns[topic.key] ??
    Object.values(topicArns)[0]?.replace(/[^:]+$/, topic.name) ??
    `arn:aws:sns:::${topic.name}`
  );
}

/** The source ARNs a queue policy lets `service` send from, by its Allow statements. */
export function allowedSources(policy: string | undefined, service: string): Set<string> {
  const sources = new Set<string>();
  if (!policy) return sources;
  let statements: unknown;
  try {
    statements = (JSON.parse(policy) as { Statement?: unknown }).Statement;
  } catch {
    return sources;
  }
  for (const s of [statements].flat() as Record<string, unknown>[]) {
    if (s?.Effect !== 'Allow') continue;
    const principal = (s.Principal as { Service?: unknown } | undefined)?.Service;
    if (![principal].flat().includes(service)) continue;
    const actions = [s.Action].flat();
    if (!actions.includes('sqs:SendMessage') && !actions.includes('sqs:*')) continue;
    const conditions = (s.Condition ?? {}) as Record<string, Record<string, unknown>>;
    for (const operator of ['ArnEquals', 'ArnLike', 'StringEquals', 'StringLike'])
      for (const arn of [conditions[operator]?.['aws:SourceArn']].flat())
        if (typeof arn === 'string') sources.add(arn);
  }
  return sources;
}

async function subscriptionsOf(clients: AwsClients, topicArn: string): Promise<Subscription[]> {
  const found: Subscription[] = [];
  let NextToken: string | undefined;
  do {
    const page = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }),
    );
    found.push(...(page.Subscriptions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** The message types of `planned` that the live filter policy `live` (JSON) drops. */
export function typesFilteredOut(
  planned: PlannedSubscription['filterPolicy'],
  live: string | undefined,
): string[] {
  if (!planned || !live) return [];
  let types: unknown;
  try {
    types = (JSON.parse(live) as { type?: unknown }).type;
  } catch {
    return [...planned.type];
  }
  const admitted = new Set([types].flat().filter((t) => typeof t === 'string'));
  return planned.type.filter((t) => !admitted.has(t));
}

/** What keeps `topicArn`'s messages from reaching the queue `queueArn`, or null. */
async function topicDeliveryProblem(
  clients: AwsClients,
  topicArn: string,
  queueArn: string,
  filterPolicy: PlannedSubscription['filterPolicy'],
): Promise<string | null> {
  let subscriptions: Subscription[];
  try {
    subscriptions = await subscriptionsOf(clients, topicArn);
  } catch {
    return null; // the topic itself is missing: its own check says so
  }
  const subscription = subscriptions.find((s) => s.Protocol === 'sqs' && s.Endpoint === queueArn);
  if (!subscription?.SubscriptionArn) return `not subscribed to ${topicArn}`;
  const attrs =
    (
      await clients.sns.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.SubscriptionArn }),
      )
    ).Attributes ?? {};
  if (attrs.RawMessageDelivery !== 'true')
    return `its subscription to ${topicArn} has raw message delivery off: every message would arrive wrapped in the SNS envelope and be rejected`;
  // A filter on another scope would match nothing on the `type` attribute.
  const scope = attrs.FilterPolicyScope ?? 'MessageAttributes';
  const dropped =
    scope === 'MessageAttributes'
      ? typesFilteredOut(filterPolicy, attrs.FilterPolicy)
      : [...(filterPolicy?.type ?? [])];
  return dropped.length === 0
    ? null
    : `its subscription to ${topicArn} filters out ${dropped.join(', ')}`;
}

async function ruleArnOf(clients: AwsClients, name: string): Promise<string | null> {
  try {
    return (await clients.eventbridge.send(new DescribeRuleCommand({ Name: name }))).Arn ?? null;
  } catch {
    return null; // the rule itself is missing: its own check says so
  }
}

async function queueDelivery(
  clients: AwsClients,
  plan: DeploymentPlan,
  queue: PlannedQueue,
  topicArns: Readonly<Record<string, string>>,
): Promise<DoctorFinding | null> {
  let url: string | undefined;
  try {
    url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queue.name }))).QueueUrl;
  } catch {
    return null; // a missing queue is reported by the resources check
  }
  const attrs =
    (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'Policy'] }),
      )
    ).Attributes ?? {};
  const queueArn = attrs.QueueArn ?? '';
  const problems: string[] = [];
  const topicsAllowed = allowedSources(attrs.Policy, 'sns.amazonaws.com');
  const sources: string[] = [];
  for (const key of queue.subscribedTopics) {
    const topic = plan.topics.find((t) => t.key === key);
    if (!topic) continue;
    const arn = topicArnOf(topicArns, topic);
    sources.push(`topic ${topic.name}`);
    const planned = plan.subscriptions.find((sub) => sub.topic === key && sub.queue === queue.key);
    const delivery = await topicDeliveryProblem(
      clients,
      arn,
      queueArn,
      planned?.filterPolicy ?? null,
    );
    if (delivery) problems.push(delivery);
    if (!topicsAllowed.has(arn)) problems.push(`its policy does not let ${arn} send`);
  }
  const rulesAllowed = allowedSources(attrs.Policy, 'events.amazonaws.com');
  for (const key of queue.targetingRules) {
    const rule = plan.rules.find((r) => r.key === key);
    if (!rule) continue;
    sources.push(`rule ${rule.name}`);
    const arn = await ruleArnOf(clients, rule.name);
    if (arn && !rulesAllowed.has(arn)) problems.push(`its policy does not let ${arn} send`);
  }
  if (sources.length === 0) return null;
  const check = `delivery to ${queue.name}`;
  if (problems.length === 0) return ok(check, `from ${sources.join(', ')}`);
  return problem(
    check,
    `${problems.join('; ')}: its messages are dropped or dead-lettered before SmartScale sees them`,
    `run 'npx sst deploy --stage ${stageOf(plan.prefix)}' again (it sets the subscriptions and the queue policy the plan declares)`,
  );
}

/**
 * For each queue the plan feeds: every subscribed topic has a raw-delivery
 * SQS subscription to it, and its policy lets each of those topics and each
 * targeting EventBridge rule send. Missing queues, topics and rules are
 * left to `checkPlannedResources`.
 */
export async function checkQueueDelivery(
  clients: AwsClients,
  prefix: string,
  topicArns: Readonly<Record<string, string>>,
): Promise<DoctorFinding[]> {
  const plan = deploymentPlan(prefix);
  const findings: DoctorFinding[] = [];
  for (const queue of plan.queues) {
    const finding = await queueDelivery(clients, plan, queue, topicArns);
    if (finding) findings.push(finding);
  }
  return findings;
}
