import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** A Lambda handler for an SQS event source. */
export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined> | Promise<void>;

/** Where the runner reports what happens; a Powertools Logger fits. */
export interface RunnerLogger {
  info(message: string, ...extra: object[]): void;
  warn(message: string, ...extra: object[]): void;
  error(message: string, ...extra: object[]): void;
}

export interface QueueRunnerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** ARN of the queue, reported as `eventSourceARN`. */
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** Name of the function this runner plays, for the context object. */
  readonly functionName: string;
  /** Records per handler call, 1 to 10. */
  readonly batchSize?: number;
  /** Long-poll wait, 0 to 20 s. Shorter means a faster stop(). */
  readonly waitTimeSeconds?: number;
  /** The queue's visibility timeout; the heartbeat extends by this much. */
  readonly visibilityTimeoutSeconds: number;
  /** Batches handled at once (each has its own poller). */
  readonly maxConcurrentBatches?: number;
  /** Handler time limit reported by `context.getRemainingTimeInMillis()`. */
  readonly timeoutSeconds?: number;
  readonly region?: string;
  readonly logger?: RunnerLogger;
}

const consoleLogger: RunnerLogger = {
  info: () => {},
  warn: (message, ...extra) => console.warn(message, ...extra),
  error: (message, ...extra) => console.error(message, ...extra),
};

/** Converts a received SQS message into the record shape Lambda delivers. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
        : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) =>
        Buffer.from(b).toString('base64'),
      ),
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp:
        attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.AWSTraceHeader ? { AWSTraceHeader: attributes.AWSTraceHeader } : {}),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes
      ? { md5OfMessageAttributes: message.MD5OfMessageAttributes }
      : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Plays Lambda's SQS event source mapping for a local process: long-polls a
 * queue, calls the handler with the event Lambda would deliver, deletes the
 * records that succeeded and leaves `batchItemFailures` (or the whole batch
 * when the handler throws) for redelivery, so the queue's redrive policy
 * moves them to the DLQ after maxReceiveCount. Slow batches get their
 * visibility extended while the handler runs.
 *
 * @example
 * const runner = new QueueRunner({ sqs, queueUrl, queueArn, handler, functionName: 'decider',
 *   visibilityTimeoutSeconds: 60 });
 * runner.start();
 * await runner.stop();
 */
export class QueueRunner {
  readonly #options: QueueRunnerOptions;
  readonly #logger: RunnerLogger;
  #abort = new AbortController();
  #pollers: Promise<void>[] = [];
  #running = false;

  constructor(options: QueueRunnerOptions) {
    const batchSize = options.batchSize ?? 10;
    if (batchSize < 1 || batchSize > 10) {
      throw new RangeError(`batchSize must be 1 to 10 (SQS receive limit), got ${batchSize}`);
    }
    if (options.visibilityTimeoutSeconds < 1) {
      throw new RangeError(
        `visibilityTimeoutSeconds must be at least 1, got ${options.visibilityTimeoutSeconds}`,
      );
    }
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.#running;
  }

  /** Starts polling; returns at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    const pollers = this.#options.maxConcurrentBatches ?? 2;
    this.#pollers = Array.from({ length: pollers }, () => this.#poll());
  }

  /** Stops polling and resolves once every in-flight batch has finished. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort();
    await Promise.all(this.#pollers);
    this.#pollers = [];
  }

  async #poll(): Promise<void> {
    const { sqs, queueUrl } = this.#options;
    while (this.#running) {
      let messages: Message[];
      try {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: this.#options.batchSize ?? 10,
            WaitTimeSeconds: this.#options.waitTimeSeconds ?? 20,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: this.#abort.signal },
        );
        messages = res.Messages ?? [];
      } catch (error) {
        if (!this.#running) return;
        this.#logger.error('receive failed; retrying in 1s', {
          queueUrl,
          error: (error as Error).message,
        });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      // A batch already received is always handled, even during stop().
      if (messages.length > 0) await this.#handleBatch(messages);
    }
  }

  async #handleBatch(messages: Message[]): Promise<void> {
    const { sqs, queueUrl, queueArn, functionName } = this.#options;
    const region = this.#options.region ?? 'us-east-1';
    const records = messages.map((m) => toSqsRecord(m, queueArn, region));
    const visibility = this.#options.visibilityTimeoutSeconds;
    const pending = new Map(records.map((r) => [r.messageId, r.receiptHandle]));
    const heartbeat = setInterval(
      () => {
        const entries = [...pending].map(([id, handle]) => ({
          Id: id.replace(/[^A-Za-z0-9_-]/g, '_'),
          ReceiptHandle: handle,
          VisibilityTimeout: visibility,
        }));
        for (const batch of chunks(entries, 10)) {
          sqs
            .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: batch }))
            .catch((error: Error) =>
              this.#logger.warn('visibility heartbeat failed', { queueUrl, error: error.message }),
            );
        }
      },
      Math.max(500, (visibility * 1000) / 2),
    );
    let failed: Set<string>;
    try {
      const context = lambdaContext(
        functionName,
        region,
        (this.#options.timeoutSeconds ?? visibility) * 1000,
      );
      const response = (await this.#options.handler({ Records: records }, context)) as
        | SQSBatchResponse
        | undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      const unknown = [...failed].filter((id) => !pending.has(id));
      if (unknown.length > 0) {
        // Lambda fails the whole batch when an identifier is not in it.
        this.#logger.error('batchItemFailures names unknown messages; failing the whole batch', {
          unknown,
        });
        failed = new Set(pending.keys());
      }
    } catch (error) {
      this.#logger.error('handler threw; the whole batch will be redelivered', {
        functionName,
        error: (error as Error).message,
      });
      failed = new Set(pending.keys());
    } finally {
      clearInterval(heartbeat);
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    for (const batch of chunks(done, 10)) {
      try {
        const res = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        );
        if (res.Failed && res.Failed.length > 0) {
          this.#logger.warn('some deletes failed; those messages will be redelivered', {
            failed: res.Failed.map((f) => f.Message),
          });
        }
      } catch (error) {
        this.#logger.error('delete failed; the messages will be redelivered', {
          error: (error as Error).message,
        });
      }
    }
  }
}
