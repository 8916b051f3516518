// Fires one scheduled fault through the real parts: a signal to a service
// process, EC2 calls on moto behind SmartScale's back, a message moved to
// its DLQ with SQS calls, duplicated EC2 events on EventBridge's default
// bus, and the operator's own `smartscale pause`/`resume`. Nothing is mocked.
import {
  DescribeInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { FleetTag } from '@smartscale/aws';
import { sendableAttributes, main as smartscale } from '@smartscale/cli';
import type { LocalStack } from '../stack.ts';
import type { ScheduledFault } from './schedule.ts';

/** A local service restarted this often is left down by the runtime; the soak stops killing it one short of that. */
const MAX_KILLS_PER_SERVICE = 4;

/** What a fault did, for the report. */
export interface FiredFault {
  readonly kind: ScheduledFault['kind'];
  readonly at: string;
  /** What it hit (an instance, a service, a queue's message), or null when nothing was there to hit. */
  readonly target: string | null;
  readonly detail: string;
  /** The second half of a fault (a pause's resume): listed, not counted as a fault. */
  readonly followUp?: boolean;
}

export interface InjectorContext {
  readonly stack: LocalStack;
  /** `--resources FILE` for the in-process `smartscale` CLI. */
  readonly resourcesFile: string;
}

/** Live (pending or running) workers of the cluster, oldest launch first so `pick` is stable for a given state. */
export async function liveWorkers(stack: LocalStack): Promise<string[]> {
  const res = await stack.aws.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${FleetTag.Cluster}`, Values: [stack.clusterId] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return (res.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .sort((a, b) => (a.InstanceId ?? '').localeCompare(b.InstanceId ?? ''))
    .map((i) => i.InstanceId ?? '');
}

function choose<T>(items: readonly T[], pick: number): T | undefined {
  return items[Math.floor(pick * items.length)];
}

/** Runs `smartscale ...args` in this process, as an operator would on a terminal. */
export async function runCli(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await smartscale(args, { out: (t) => lines.push(t), err: (t) => lines.push(t) });
  return { code, output: lines.join('\n') };
}

const QUEUES = [
  'decider',
  'provisioner',
  'join-verifier',
  'drainer',
  'notifier',
  'spot-listener',
] as const;

/**
 * Takes one message from a queue, as a consumer would, and puts it in the
 * queue's DLQ with its body and every attribute, then deletes the original:
 * what SQS's redrive does after maxReceiveCount failed receives. Queues are
 * tried from the one `pick` names on, since most are empty most of the time.
 */
async function deadLetterOne(stack: LocalStack, pick: number): Promise<FiredFault> {
  const start = Math.floor(pick * QUEUES.length);
  for (let i = 0; i < QUEUES.length; i++) {
    const name = QUEUES[(start + i) % QUEUES.length] as (typeof QUEUES)[number];
    const queue = stack.applied.queues[name];
    const res = await stack.aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const message = res.Messages?.[0];
    if (!message) continue;
    await stack.aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.dlqUrl,
        MessageBody: message.Body ?? '',
        MessageAttributes: sendableAttributes(message.MessageAttributes),
      }),
    );
    await stack.aws.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
    );
    const type =
      message.MessageAttributes?.type?.StringValue ??
      /"type":"(\w+)"/.exec(message.Body ?? '')?.[1];
    return {
      kind: 'dead-letter',
      at: new Date().toISOString(),
      target: `${name}:${message.MessageId}`,
      detail: `${type ?? 'a message'} moved to the ${name} DLQ`,
    };
  }
  return {
    kind: 'dead-letter',
    at: new Date().toISOString(),
    target: null,
    detail: 'every queue was empty when looked at',
  };
}

async function ec2Event(
  stack: LocalStack,
  instanceId: string,
  detailType: string,
  detail: Record<string, string>,
  copies: number,
): Promise<void> {
  const entry = {
    Source: 'aws.ec2',
    DetailType: detailType,
    Detail: JSON.stringify({ 'instance-id': instanceId, ...detail }),
    Resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
  };
  // EventBridge delivers at least once: the same event 2-3 times.
  await stack.aws.eventbridge.send(
    new PutEventsCommand({ Entries: Array.from({ length: copies }, () => entry) }),
  );
}

/** Fires `fault`; `later` schedules the follow-up of a pause (its resume). */
export async function fire(
  context: InjectorContext,
  fault: ScheduledFault,
  later: (ms: number, work: () => Promise<FiredFault>) => void,
): Promise<FiredFault> {
  const { stack } = context;
  const at = new Date().toISOString();
  const done = (target: string | null, detail: string): FiredFault => ({
    kind: fault.kind,
    at,
    target,
    detail,
  });
  switch (fault.kind) {
    case 'kill-service': {
      const service = fault.service ?? 'decider';
      if ((stack.services.restarts[service] ?? 0) >= MAX_KILLS_PER_SERVICE)
        return done(
          null,
          `${service} already restarted ${MAX_KILLS_PER_SERVICE} times; not killed`,
        );
      const pid = stack.services.pids[service];
      if (pid === undefined || pid < 0) return done(null, `${service} has no process`);
      // A crash, not a stop: the runtime sees SIGKILL and starts it again.
      process.kill(pid, 'SIGKILL');
      return done(service, `SIGKILL to pid ${pid}`);
    }
    case 'terminate-worker':
    case 'stop-worker': {
      const victim = choose(await liveWorkers(stack), fault.pick);
      if (!victim) return done(null, 'no live worker');
      await stack.aws.ec2.send(
        fault.kind === 'terminate-worker'
          ? new TerminateInstancesCommand({ InstanceIds: [victim] })
          : new StopInstancesCommand({ InstanceIds: [victim] }),
      );
      return done(
        victim,
        `${fault.kind === 'terminate-worker' ? 'TerminateInstances' : 'StopInstances'} behind SmartScale's back`,
      );
    }
    case 'dead-letter':
      return deadLetterOne(stack, fault.pick);
    case 'spot-warning':
    case 'rebalance': {
      const victim = choose(await liveWorkers(stack), fault.pick);
      if (!victim) return done(null, 'no live worker');
      const copies = fault.copies ?? 2;
      if (fault.kind === 'spot-warning')
        await ec2Event(
          stack,
          victim,
          'EC2 Spot Instance Interruption Warning',
          { 'instance-action': 'terminate' },
          copies,
        );
      else await ec2Event(stack, victim, 'EC2 Instance Rebalance Recommendation', {}, copies);
      return done(victim, `${copies} identical events on the default bus`);
    }
    case 'pause': {
      const paused = await runCli([
        'pause',
        '--reason',
        'soak: operator pause',
        '--by',
        'soak',
        '--resources',
        context.resourcesFile,
      ]);
      const pauseMs = fault.pauseMs ?? 5000;
      later(pauseMs, async () => {
        const resumed = await runCli([
          'resume',
          '--by',
          'soak',
          '--resources',
          context.resourcesFile,
        ]);
        return {
          kind: 'pause',
          at: new Date().toISOString(),
          target: 'cluster',
          followUp: true,
          detail: `resume (exit ${resumed.code}): ${resumed.output.split('\n')[0]}`,
        };
      });
      return done(
        'cluster',
        `pause for ${pauseMs} ms (exit ${paused.code}): ${paused.output.split('\n')[0]}`,
      );
    }
  }
}
