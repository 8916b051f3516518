import { randomBytes } from 'node:crypto';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { type AppliedTopology, applyTopology } from '../../../local/src/aws/bootstrap.js';
import { type AwsClients, createAwsClients, localAwsOptions } from '../../src/index.js';

/** Clients for the moto server the global setup started. */
export function motoClients(): AwsClients {
  return createAwsClients(localAwsOptions(inject('motoEndpoint')));
}

/** The declared topology under a fresh prefix, so test files never share resources. */
export async function freshTopology(clients: AwsClients, name: string): Promise<AppliedTopology> {
  return applyTopology(clients, `t-${name}-${randomBytes(3).toString('hex')}`);
}

/**
 * Receives from `queueUrl` until `count` messages arrived or `timeoutMs`
 * passed; deletes nothing (pass `remove` to delete what was received).
 */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  options: { count?: number; timeoutMs?: number; remove?: boolean } = {},
): Promise<Message[]> {
  const { DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
  const got: Message[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  while (Date.now() < deadline && (options.count === undefined || got.length < options.count)) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 30,
      }),
    );
    for (const m of res.Messages ?? []) {
      got.push(m);
      if (options.remove) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
  }
  return got;
}

/** Polls `check` until it returns true or the timeout passes. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
