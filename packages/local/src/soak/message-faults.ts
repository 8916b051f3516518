// Faults of the messaging the services live on, made with the same SQS and
// EventBridge calls AWS's own at-least-once delivery amounts to: a message
// taken off its queue and put back 2-3 times (delivered more than once) or
// held back (delivered late), and EC2 state-change events sent 2-3 times.

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Message } from '@aws-sdk/client-sqs';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { sendableAttributes } from '@smartscale/cli';
import type { LocalStack } from '../stack.ts';

export const QUEUES = [
  'decider',
  'provisioner',
  'join-verifier',
  'drainer',
  'notifier',
  'spot-listener',
] as const;
export type QueueName = (typeof QUEUES)[number];

export interface TakenMessage {
  readonly queue: QueueName;
  readonly message: Message;
  /** The message's type (attribute or body), for the report. */
  readonly type: string;
}

/**
 * Takes one message off a queue, as a consumer would (it is invisible to
 * the services until deleted or its visibility times out). Queues are tried
 * from the one `pick` names on, since most are empty most of the time.
 */
export async function takeOneMessage(
  stack: LocalStack,
  pick: number,
): Promise<TakenMessage | null> {
  const start = Math.floor(pick * QUEUES.length);
  for (let i = 0; i < QUEUES.length; i++) {
    const queue = QUEUES[(start + i) % QUEUES.length] as QueueName;
    const res = await stack.aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.applied.queues[queue].url,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const message = res.Messages?.[0];
    if (!message) continue;
    const type =
      message.MessageAttributes?.type?.StringValue ??
      /"type":"(\w+)"/.exec(message.Body ?? '')?.[1] ??
      'a message';
    return { queue, message, type };
  }
  return null;
}

/** Sends `taken` to `queueUrl` `copies` times, `delaySeconds` late, then deletes the original. */
export async function resend(
  stack: LocalStack,
  taken: TakenMessage,
  queueUrl: string,
  copies: number,
  delaySeconds = 0,
): Promise<void> {
  for (let i = 0; i < copies; i++)
    await stack.aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: taken.message.Body ?? '',
        MessageAttributes: sendableAttributes(taken.message.MessageAttributes),
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
      }),
    );
  await stack.aws.sqs.send(
    new DeleteMessageCommand({
      QueueUrl: stack.applied.queues[taken.queue].url,
      ReceiptHandle: taken.message.ReceiptHandle,
    }),
  );
}

/** An EC2 event for `instanceId` on the default bus, `copies` identical entries (EventBridge delivers at least once). */
export async function ec2Event(
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
  await stack.aws.eventbridge.send(
    new PutEventsCommand({ Entries: Array.from({ length: copies }, () => entry) }),
  );
}
