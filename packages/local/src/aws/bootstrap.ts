// The declared topology (stacks/topology.ts, through the stage's deployment
// plan) applied to moto: one function per resource kind, mirroring the SST
// mapping in stacks/ (messaging.ts, data.ts, storage.ts, alarms.ts), combined
// here in the order their references need.
import type { AwsClients } from '@smartscale/aws';
import {
  assertPrefix,
  deploymentPlan,
  type ParameterName,
  type PlannedQueue,
} from '@smartscale/stacks';
import { type AppliedAlarms, applyAlarms } from './alarms.ts';
import { type AppliedTables, applyTables } from './data.ts';
import {
  type AppliedQueues,
  type AppliedRules,
  type AppliedSubscription,
  type AppliedTopics,
  applyQueueAccess,
  applyQueues,
  applyRules,
  applySubscriptions,
  applyTopics,
} from './messaging.ts';
import { type AppliedBuckets, applyBuckets } from './storage.ts';

export type { AppliedQueue } from './messaging.ts';

/** What `applyTopology` created (or found), by logical name. */
export interface AppliedTopology {
  readonly prefix: string;
  readonly topics: AppliedTopics;
  readonly queues: AppliedQueues;
  readonly subscriptions: readonly AppliedSubscription[];
  readonly tables: AppliedTables;
  readonly buckets: AppliedBuckets;
  readonly rules: AppliedRules;
  readonly alarms: AppliedAlarms;
  readonly parameters: Record<ParameterName, string>;
}

export interface ApplyOptions {
  /**
   * Overrides every queue's visibility timeout: compressed local runs shorten
   * time, and a failed message would otherwise hide for the full timeout.
   */
  readonly visibilityTimeoutSeconds?: number | undefined;
}

/**
 * Creates the declared topology (stacks/topology.ts, through the stage's
 * deployment plan) under `prefix`, or brings an existing one in line: safe
 * to run again. DLQs are created before the RedrivePolicy that names them;
 * SNS->SQS subscriptions use raw delivery and, where the topology lists
 * types, a filter policy on the `type` message attribute. Buckets are
 * private, encrypted and expire their objects, as in AWS. Alarms publish to
 * the `alarms` topic as they would in AWS (moto stores them, never fires
 * them). The sampler schedule is not created (locally the sampler runs on its
 * own timer), nor are the functions or parameter values (their owners write
 * them); parameter names are returned.
 *
 * @example
 * const applied = await applyTopology(createAwsClients(localAwsOptions(moto.endpoint)), 'dev');
 * applied.queues.decider.url;
 */
export async function applyTopology(
  clients: AwsClients,
  prefix: string,
  options: ApplyOptions = {},
): Promise<AppliedTopology> {
  const plan = deploymentPlan(assertPrefix(prefix));
  const visibility = (queue: PlannedQueue) =>
    options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds;
  const topics = await applyTopics(clients, plan);
  // DLQs exist before the redrive policies that name them; the queue policies
  // name the topics and rules, so they come after both.
  const queues = await applyQueues(clients, plan, visibility);
  const rules = await applyRules(clients, plan, queues);
  await applyQueueAccess(clients, plan, { topics, queues, rules }, visibility);
  const subscriptions = await applySubscriptions(clients, plan, { topics, queues });
  const tables = await applyTables(clients, plan);
  const buckets = await applyBuckets(clients, plan);
  const alarms = await applyAlarms(clients, plan, topics.alarms.arn);
  // Names only: their owners write the values.
  const parameters = Object.fromEntries(plan.parameters.map((p) => [p.key, p.name])) as Record<
    ParameterName,
    string
  >;
  return { prefix, topics, queues, subscriptions, tables, buckets, rules, alarms, parameters };
}
