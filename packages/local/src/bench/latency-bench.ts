// One mode of `npm run bench:latency` (issue #18): the whole local stack at
// real speed (the 1-minute sampling schedule, with or without the sampler's
// pending-pod watch), a few bursts of pods that do not fit, and every
// timestamp of each scale-up read back from where the system left it: the
// API's pending time, the audit log's decision (and its sample's takenAt),
// the provisioner's structured log and the InstancesLaunched event.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { AuditLog } from '@smartscale/aws';
import { parseConfig } from '@smartscale/core';
import { ClusterClient } from '@smartscale/k8s';
import { LIVE_POLICY, mergePolicy } from '../live/live-config.ts';
import { type LocalStack, startLocalStack } from '../stack.ts';
import { webDeployment } from '../workload.ts';
import {
  type DecisionStamp,
  decisionStampOf,
  firstLogTimes,
  freeSlots,
  type JoinedHops,
  joinHops,
  type LatencyMode,
  launchOutcomes,
  type PendingPodStamp,
} from './latency-hops.ts';

/** The AWS schedule: the sampler runs every minute in both modes. */
export const SAMPLE_INTERVAL_MS = 60_000;
const NAMESPACE = 'latency';
const DEPLOYMENT = 'burst';
/** webDeployment's requests: 500m CPU, 512 MiB. */
const POD = { cpuMillis: 500, memoryBytes: 512 * 2 ** 20 } as const;
/** Pods of 500m per t3.medium worker (1900m allocatable, as the join agent reports). */
const PODS_PER_WORKER = 3;

export interface LatencyModeOptions {
  readonly mode: LatencyMode;
  readonly bursts: number;
  readonly burstPods: number;
  readonly log: (line: string) => void;
  /** Called with the running stack, so a signal handler can stop it. */
  readonly onStack?: (stack: LocalStack) => void;
}

export interface LatencyModeResult {
  readonly joined: JoinedHops;
  readonly graceSeconds: number;
  readonly logDir: string;
}

/**
 * The policy of `npm start` with a 5 s boot (the boot is after the launch
 * call, outside what is measured) and no scale-down during the run, so
 * every burst lands on a fleet the bench has filled; room for every burst.
 */
export function latencyPolicy(bursts: number, burstPods: number) {
  const live = mergePolicy({}, LIVE_POLICY as unknown as Record<string, unknown>);
  return parseConfig(
    mergePolicy(live, {
      workers: { min: 2, max: 2 + bursts * Math.ceil(burstPods / PODS_PER_WORKER) + 2 },
      instance: { bootSeconds: 5 },
      scaleDown: { sustainSeconds: 3600, minNodeAgeSeconds: 3600 },
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A queue of the bench's own on the real events topic, for InstancesLaunched
 * and ActionFailed: the decider's and the notifier's queues stay theirs.
 */
async function subscribeLaunchEvents(stack: LocalStack): Promise<string> {
  const { sqs, sns } = stack.aws;
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `${stack.applied.prefix}-bench-launches` }),
  );
  const url = created.QueueUrl;
  if (!url) throw new Error('CreateQueue for the bench-launches queue returned no URL');
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no QueueArn`);
  await sns.send(
    new SubscribeCommand({
      TopicArn: stack.applied.topics.events.arn,
      Protocol: 'sqs',
      Endpoint: arn,
      Attributes: {
        RawMessageDelivery: 'true',
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: JSON.stringify({ type: ['InstancesLaunched', 'ActionFailed'] }),
      },
    }),
  );
  return url;
}

/** Every body on the queue, received until a second empty answer, and deleted. */
async function drainQueue(sqs: SQSClient, url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) {
      empty += 1;
      continue;
    }
    bodies.push(...messages.map((m) => m.Body ?? ''));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return bodies;
}

/**
 * Waits until `share` of the sampling minute has passed since the last
 * scheduled sample (the sampler's `sample published` log line), so the
 * bursts of a schedule-only run fall at phases spread over the minute: a
 * pod's wait for the schedule depends on nothing else, and back-to-back
 * bursts would otherwise keep one phase.
 */
async function sleepUntilPhase(logDir: string, share: number): Promise<void> {
  const lines = readFileSync(join(logDir, 'sampler.log'), 'utf8').split('\n');
  // Each sample has its own action id, so this is every sample, in log order.
  const last = [...firstLogTimes(lines, 'sample published').values()].at(-1);
  if (last === undefined) throw new Error(`no 'sample published' in ${logDir}/sampler.log yet`);
  let at = Date.parse(last) + share * SAMPLE_INTERVAL_MS;
  while (at < Date.now()) at += SAMPLE_INTERVAL_MS;
  await sleep(at - Date.now());
}

/** The pod as the sampler would date it, while the scheduler reports it unschedulable. */
function pendingStamp(pod: V1Pod): PendingPodStamp | null {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return null;
  const since = scheduled.lastTransitionTime ?? pod.metadata?.creationTimestamp;
  if (!since) return null;
  const refs = pod.metadata?.ownerReferences ?? [];
  const owner = refs.find((r) => r.controller) ?? refs[0];
  return {
    namespace: pod.metadata?.namespace ?? NAMESPACE,
    name: pod.metadata?.name ?? '',
    ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
    pendingAt: new Date(since).toISOString(),
  };
}

/**
 * Runs one mode on a fresh local stack: warm up to min workers, then each
 * burst fills the free slots and adds `burstPods` pods that cannot fit,
 * records each pod's pending time while the API shows it unschedulable, and
 * waits until every pod runs before the next. Then reads the audit log, the
 * provisioner's log and the launch events, and joins them by action id.
 */
export async function runLatencyMode(options: LatencyModeOptions): Promise<LatencyModeResult> {
  const { mode, bursts, burstPods, log } = options;
  const policy = latencyPolicy(bursts, burstPods);
  const graceSeconds = policy.scaleUp.pendingGraceSeconds;
  const name = `lat${mode[0]}${Date.now().toString(36).slice(-5)}`;
  log(`${mode}: starting the local stack '${name}' (moto, control plane, Prometheus, services)...`);
  const startedAt = new Date();
  const stack = await startLocalStack({
    name,
    config: policy,
    bootSeconds: policy.instance.bootSeconds,
    cpuUsage: () => 0.5,
    sampleIntervalMs: SAMPLE_INTERVAL_MS,
    watchGraceMs: graceSeconds * 1000,
    sampleWatch: mode === 'watch',
    log: () => {},
  });
  options.onStack?.(stack);
  try {
    const launchesQueue = await subscribeLaunchEvents(stack);
    const core = stack.admin.makeApiClient(CoreV1Api);
    const apps = stack.admin.makeApiClient(AppsV1Api);
    const cluster = new ClusterClient(stack.admin);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: webDeployment(DEPLOYMENT, 0),
    });
    const warmBy = Date.now() + 180_000;
    while ((await cluster.listWorkerNodes()).filter((n) => n.ready).length < policy.workers.min) {
      if (Date.now() > warmBy)
        throw new Error(
          `${policy.workers.min} Ready workers not reached in 180 s; see the service logs in ${stack.logDir}`,
        );
      await sleep(1000);
    }
    log(`${mode}: ${policy.workers.min} workers Ready; ${bursts} burst(s) of ${burstPods} pods`);

    const stamps = new Map<string, PendingPodStamp>();
    let replicas = 0;
    for (let burst = 1; burst <= bursts; burst += 1) {
      if (mode === 'schedule') await sleepUntilPhase(stack.logDir, (burst - 0.5) / bursts);
      const free = freeSlots(await cluster.listWorkerNodes(), POD);
      replicas += free + burstPods;
      const began = Date.now();
      await apps.patchNamespacedDeploymentScale(
        { name: DEPLOYMENT, namespace: NAMESPACE, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      // The schedule alone may wait a minute, and a second one when the
      // first sample fell within the grace; then the boot and the join.
      const deadline = began + 2 * SAMPLE_INTERVAL_MS + 120_000;
      let pendingHere = 0;
      for (;;) {
        const pods = (
          await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `app=${DEPLOYMENT}` })
        ).items;
        for (const pod of pods) {
          const stamp = pendingStamp(pod);
          if (stamp && !stamps.has(stamp.name)) {
            stamps.set(stamp.name, stamp);
            pendingHere += 1;
          }
        }
        if (pods.length === replicas && pods.every((p) => p.status?.phase === 'Running')) break;
        if (Date.now() > deadline)
          throw new Error(
            `${mode} burst ${burst}: ${replicas} pods not all Running after ${Math.round((Date.now() - began) / 1000)} s; see the service logs in ${stack.logDir}`,
          );
        await sleep(500);
      }
      log(
        `${mode}: burst ${burst}/${bursts}: ${pendingHere} of ${free + burstPods} new pods went pending; all ${replicas} Running after ${((Date.now() - began) / 1000).toFixed(1)} s`,
      );
      await sleep(3000);
    }

    const audit = new AuditLog({
      documents: stack.aws.documents,
      tableName: stack.applied.tables.audit.name,
    });
    const entries = await audit.between(
      stack.clusterId,
      new Date(startedAt.getTime() - 60_000),
      new Date(Date.now() + 60_000),
    );
    const decisions = entries.map(decisionStampOf).filter((d): d is DecisionStamp => d !== null);
    const receipts = firstLogTimes(
      readFileSync(join(stack.logDir, 'provisioner.log'), 'utf8').split('\n'),
      'command received',
    );
    const launches = launchOutcomes(await drainQueue(stack.aws.sqs, launchesQueue));
    const joined = joinHops({
      pods: [...stamps.values()],
      decisions,
      receipts,
      launches,
      graceSeconds,
    });
    for (const u of joined.unmatched) log(`${mode}: ${u.pod}: ${u.why}`);
    return { joined, graceSeconds, logDir: stack.logDir };
  } finally {
    await stack.stop();
  }
}
