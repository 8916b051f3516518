/// <reference path="../.sst/platform/config.d.ts" />
// One Lambda function per service, each with only its own permissions,
// subscribed to its queue with partial batch responses; the sampler and the
// reconciler on their schedules. No function reserves concurrency unless
// SMARTSCALE_RESERVED_CONCURRENCY says so: a new account's quota is often 10
// and every reservation must leave 10 unreserved. The decider's queue is
// polled with the lowest maximum concurrency SQS allows (2) instead of a
// reservation of 1, which throttled the event source mapping's batches back
// into the queue until they dead-lettered; the cluster lock serialises
// decisions anyway.
import type { Tables } from './data.ts';
import { type ArnResolver, iamFor, launchScopeOf } from './iam.ts';
import type { Messaging } from './messaging.ts';
import type { DeploymentPlan } from './plan.ts';
import {
  type DeploySettings,
  environmentProblem,
  functionEnvironment,
  launchTemplateVersionProblem,
  workerSubnetProblems,
} from './settings.ts';
import type { Buckets } from './storage.ts';
import { names, type QueueName, type ServiceName, topology } from './topology.ts';

interface FunctionSizing {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Takes SMARTSCALE_RESERVED_CONCURRENCY when that is set; none by default. */
  readonly reservable?: boolean;
  /** SQS event source mapping's MaximumConcurrency (2 to 1000). */
  readonly maximumConcurrency?: number;
}

/** A queue's visibility timeout is at least 6x its consumer's timeout (stacks/tests/unit/queue-timeouts.test.ts). */
export const sizing: Record<ServiceName, FunctionSizing> = {
  sampler: { timeoutSeconds: 30, memoryMb: 512 },
  decider: { timeoutSeconds: 30, memoryMb: 512, maximumConcurrency: 2 },
  provisioner: { timeoutSeconds: 90, memoryMb: 512, reservable: true },
  'join-verifier': { timeoutSeconds: 30, memoryMb: 256 },
  drainer: { timeoutSeconds: 120, memoryMb: 512, reservable: true },
  'spot-listener': { timeoutSeconds: 20, memoryMb: 256 },
  notifier: { timeoutSeconds: 20, memoryMb: 256 },
  reconciler: { timeoutSeconds: 60, memoryMb: 512 },
};

export function createFunctions(
  plan: DeploymentPlan,
  settings: DeploySettings,
  messaging: Messaging,
  tables: Tables,
  buckets: Buckets,
) {
  const { prefix } = plan;
  const region = aws.getRegionOutput().name;
  const account = aws.getCallerIdentityOutput().accountId;
  // The provisioner may launch only what the workers' template names (stacks/iam.ts).
  const template = aws.ec2.getLaunchTemplateOutput({ id: settings.launchTemplateId });
  // The same JSON the local environment hands its service processes.
  const queueRefs = Object.fromEntries(
    (Object.keys(topology.queues) as QueueName[]).map((q) => [
      q,
      { url: messaging.queues[q].url, arn: messaging.queues[q].arn, dlqUrl: messaging.dlqs[q].url },
    ]),
  );
  const resourcesJson = $jsonStringify({
    prefix,
    clusterId: settings.clusterId,
    topics: {
      samples: messaging.topics.samples.arn,
      commands: messaging.topics.commands.arn,
      events: messaging.topics.events.arn,
    },
    queues: queueRefs,
    tables: { state: tables.state.name, audit: tables.audit.name },
    buckets: { samples: buckets.samples.name },
    parameters: {
      joinToken: names.parameter(prefix, 'joinToken'),
      slackWebhook: names.parameter(prefix, 'slackWebhook'),
    },
  });
  // Lambda's 4 KB environment limit, checked with the real values before
  // any function is created, for every function.
  const resources = resourcesJson.apply((json: string) => {
    for (const { service, name } of plan.functions) {
      const problem = environmentProblem(
        name,
        functionEnvironment(prefix, settings, json, service),
      );
      if (problem) throw new Error(`SmartScale deploy settings are wrong:\n  - ${problem}`);
    }
    return json;
  });
  // The subnets are checked in the account before anything uses them.
  const subnetIds = $resolve(settings.subnetIds.map((id) => aws.ec2.getSubnetOutput({ id }))).apply(
    (found) => {
      const problems = workerSubnetProblems(
        settings,
        found.map((s) => ({
          id: s.id,
          availabilityZone: s.availabilityZone,
          mapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
        })),
      );
      if (problems.length > 0)
        throw new Error(`SmartScale deploy settings are wrong:\n  - ${problems.join('\n  - ')}`);
      return settings.subnetIds;
    },
  );
  const vpc = { privateSubnets: subnetIds, securityGroups: settings.securityGroupIds };

  const functions = {} as Record<ServiceName, sst.aws.Function>;
  // Each function's role, which the topics', the topic key's and the DLQs'
  // policies name (messaging.ts createMessagingPolicies).
  const roles = {} as Record<ServiceName, $util.Output<string>>;
  const batchSizes = Object.fromEntries(plan.queues.map((q) => [q.key, q.batchSize]));
  for (const { service, name, queue } of plan.functions) {
    const size = sizing[service];
    // The object form keeps each value's own type (the array form widens them to a union).
    const permissions = $resolve({
      r: region,
      a: account,
      imageId: template.imageId,
      groups: template.vpcSecurityGroupIds,
      defaultVersion: template.defaultVersion,
      topicKeyArn: messaging.topicKey.arn,
    }).apply(({ r, a, imageId, groups, defaultVersion, topicKeyArn }) => {
      // The scope below is the default version's; launches use the pinned one.
      const versionProblem = launchTemplateVersionProblem(settings, defaultVersion);
      if (versionProblem)
        throw new Error(`SmartScale deploy settings are wrong:\n  - ${versionProblem}`);
      const resolver: ArnResolver = {
        region: r,
        account: a,
        clusterId: settings.clusterId,
        workerRoleName: settings.workerRoleName,
        launch: launchScopeOf(settings, { imageId, vpcSecurityGroupIds: groups }),
        topicKeyArn,
        ...(settings.parameterKeyArn ? { parameterKeyArn: settings.parameterKeyArn } : {}),
        arn(ref) {
          switch (ref.kind) {
            case 'topic':
              return `arn:aws:sns:${r}:${a}:${names.topic(prefix, ref.name)}`;
            case 'queue':
              return `arn:aws:sqs:${r}:${a}:${names.queue(prefix, ref.name)}`;
            case 'dlq':
              return `arn:aws:sqs:${r}:${a}:${names.dlq(prefix, ref.name)}`;
            case 'table':
            case 'table-index':
              return `arn:aws:dynamodb:${r}:${a}:table/${names.table(prefix, ref.name)}`;
            case 'parameter':
              return `arn:aws:ssm:${r}:${a}:parameter${names.parameter(prefix, ref.name)}`;
            case 'bucket':
              // S3 ARNs carry neither region nor account.
              return `arn:aws:s3:::${names.bucket(prefix, ref.name)}`;
          }
        },
      };
      return iamFor(service, resolver);
    });
    const args = {
      // A fixed name, so alarms and the dashboard can name the function.
      name,
      handler: `services/${service}/handler.handler`,
      // Node.js 20 is deprecated on Lambda (no security patches since
      // 2026-04-30; no new functions from 2027-02-01); docs/deploy.md states
      // the runtime policy. The syntax target stays Node 20, the Node the
      // tests here run the same bundles on, so they still prove the code.
      runtime: 'nodejs24.x' as const,
      nodejs: { esbuild: { target: 'node20' } },
      timeout: `${size.timeoutSeconds} seconds` as const,
      memory: `${size.memoryMb} MB` as const,
      environment: resources.apply((json: string) =>
        functionEnvironment(prefix, settings, json, service),
      ),
      permissions,
      vpc,
      ...(size.reservable && settings.reservedConcurrency
        ? { concurrency: { reserved: settings.reservedConcurrency } }
        : {}),
    };
    const schedule = Object.values(topology.schedules).find((sc) => sc.service === service);
    if (schedule) {
      const cron = new sst.aws.CronV2(`Schedule-${service}`, {
        schedule: schedule.expression as `rate(${string})`,
        function: args,
      });
      functions[service] = cron.nodes.function as unknown as sst.aws.Function;
      roles[service] = cron.nodes.function.apply((f: sst.aws.Function) => f.nodes.role.arn);
      continue;
    }
    if (queue === null) throw new Error(`service ${service} has neither a queue nor a schedule`);
    const fn = new sst.aws.Function(`Fn-${service}`, args);
    messaging.queues[queue].subscribe(fn.arn, {
      batch: { size: batchSizes[queue] ?? 1, partialResponses: true },
      ...(size.maximumConcurrency
        ? {
            transform: {
              eventSourceMapping: {
                scalingConfig: { maximumConcurrency: size.maximumConcurrency },
              },
            },
          }
        : {}),
    });
    functions[service] = fn;
    roles[service] = fn.nodes.role.arn;
  }
  // `resources` is also a deploy output: the sampler watch Deployment's ConfigMap takes it.
  return { functions, resources, roles };
}
