import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AnyEnvelope,
  createMessage,
  LockBusyError,
  RedeliverLater,
} from '@smartscale/contracts';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepInProgressError } from '../../src/dedup.js';
import { createMessageHandler, createServiceMetrics } from '../../src/index.js';

const NOW = new Date('2026-01-01T00:10:00.000Z');
const ctx = { clusterId: 'prod' };

function record(message: AnyEnvelope, id: string): SQSRecord {
  return {
    messageId: id,
    receiptHandle: id,
    body: JSON.stringify(message),
    attributes: { ApproximateReceiveCount: '1' } as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
    awsRegion: 'us-east-1',
  };
}

/** The EMF lines Powertools writes to stdout while `run` runs. */
async function emf(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return written
    .flatMap((w) => w.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => vi.restoreAllMocks());

describe('createMessageHandler and RedeliverLater', () => {
  const outcome = createMessage(
    'NodeCordoned',
    { nodeName: 'n', instanceId: 'i-0123456789abcdef0' },
    ctx,
    NOW,
  );
  const other = createMessage('ScaleUp', { count: 1, reason: 'x' }, ctx, NOW);

  function build(thrown: (message: AnyEnvelope) => Error | undefined) {
    const logger = new Logger({ serviceName: 'decider', logLevel: 'SILENT' });
    const info = vi.spyOn(logger, 'info');
    const warn = vi.spyOn(logger, 'warn');
    const send = vi.fn();
    const handler = createMessageHandler({
      // A send would mean the message was dead-lettered by the handler.
      sqs: { send } as never,
      deadLetterQueueUrl: 'http://dlq',
      logger,
      metrics: createServiceMetrics('decider'),
      handle: async (message: AnyEnvelope) => {
        const error = thrown(message);
        if (error) throw error;
      },
    });
    return { handler, info, warn, send };
  }

  it('defers a lock-busy message: its record fails (SQS redelivers it), counted as MessagesDeferred, logged at info', async () => {
    const { handler, info, warn, send } = build((m) =>
      m.type === 'NodeCordoned' ? new LockBusyError('prod', m.type) : undefined,
    );
    let response: unknown;
    const lines = await emf(async () => {
      response = await handler({ Records: [record(outcome, '1'), record(other, '2')] }, {
        functionName: 'decider',
      } as Context);
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(send).not.toHaveBeenCalled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ MessagesDeferred: 1, MessagesHandled: 1 });
    expect(lines[0]).not.toHaveProperty('MessagesFailed');
    expect(info).toHaveBeenCalledWith(
      'message deferred; it will be redelivered',
      expect.objectContaining({ reason: expect.stringContaining('cluster lock of prod busy') }),
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('defers every RedeliverLater, such as a dedup step held by another delivery', async () => {
    const { handler } = build(() => new StepInProgressError('a-1', 'launch', NOW.toISOString()));
    const lines = await emf(async () => {
      const response = await handler({ Records: [record(other, '7')] } as SQSEvent, {} as Context);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
    });
    expect(lines[0]).toMatchObject({ MessagesDeferred: 1 });
    expect(lines[0]).not.toHaveProperty('MessagesFailed');
  });

  it('still counts any other error as MessagesFailed, warned', async () => {
    const { handler, warn } = build(() => new Error('boom'));
    const lines = await emf(async () => {
      const response = await handler({ Records: [record(other, '3')] } as SQSEvent, {} as Context);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
    });
    expect(lines[0]).toMatchObject({ MessagesFailed: 1 });
    expect(lines[0]).not.toHaveProperty('MessagesDeferred');
    expect(warn).toHaveBeenCalledWith(
      'message failed; it will be redelivered',
      expect.objectContaining({ error: 'boom' }),
    );
  });

  it('recognises a RedeliverLater by its code, so a copy of the class from another bundle still defers', async () => {
    const foreign = Object.assign(new Error('held elsewhere'), { code: 'redeliver-later' });
    const { handler } = build(() => foreign);
    const lines = await emf(async () => {
      await handler({ Records: [record(other, '4')] } as SQSEvent, {} as Context);
    });
    expect(lines[0]).toMatchObject({ MessagesDeferred: 1 });
    expect(new RedeliverLater('x').code).toBe('redeliver-later');
  });
});
