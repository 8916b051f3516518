import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type AnyEnvelope,
  isRedeliverLater,
  type Parsed,
  parseMessageJson,
} from '@smartscale/contracts';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type MessageAgeLimit, messageAgeProblem } from './message-age.js';
import { flushMetrics } from './service-metrics.js';

/** Message attribute that says why a message was sent to a DLQ. */
export const REJECTION_REASON_ATTRIBUTE = 'reason';
/** Message attribute naming the queue a rejected message came from. */
export const REJECTION_SOURCE_ATTRIBUTE = 'sourceQueue';

export interface MessageHandlerOptions<T = AnyEnvelope> {
  readonly sqs: SQSClient;
  /** The consumed queue's DLQ: where messages that fail validation go. */
  readonly deadLetterQueueUrl: string;
  readonly logger?: Logger;
  /**
   * The service's metrics (`ctx.metrics`): counts handled, failed, deferred
   * and rejected messages and is flushed at the end of every invocation.
   */
  readonly metrics?: Metrics;
  /**
   * Parses a record body; the default reads a SmartScale envelope. The
   * spot listener passes its EventBridge event parser instead.
   */
  readonly parse?: (body: string) => Parsed<T>;
  /**
   * This deployment's cluster id. An envelope for another cluster (replayed
   * from another stage's DLQ, or injected) is rejected to the DLQ with its
   * reason, never acted on here. Bodies without a clusterId (EventBridge
   * events, alarm notifications) are not affected.
   */
  readonly clusterId?: string;
  /**
   * Commands are refused when older than this (`commands.maxAgeSeconds`):
   * rejected to the DLQ with their age as the reason, never acted on, so a
   * replay days later cannot launch or drain. A message without a time (an
   * alarm notification) is not affected.
   */
  readonly maxAge?: MessageAgeLimit;
  /**
   * When a parsed message happened; the default reads an envelope's
   * `occurredAt`. The spot listener passes the EventBridge event's `time`.
   */
  readonly occurredAtOf?: (message: T) => string | undefined;
  /**
   * Handles one valid message; a throw fails only this record (it is
   * redelivered). Throw a `RedeliverLater` (lock busy, step in progress
   * elsewhere) when the message is expected to succeed later: it is counted
   * as MessagesDeferred and logged at info rather than as a failure.
   */
  handle(message: T, record: SQSRecord): Promise<void>;
}

// SQS attribute values are limited in size; the full reason is in the log.
const MAX_REASON_LENGTH = 4000;

/**
 * Builds a Lambda handler for an SQS queue of SmartScale messages, on
 * Powertools batch processing (partial batch responses).
 *
 * Each record is parsed with `parseMessageJson`. A record that fails
 * validation is logged (JSON, with the validation error), sent straight to
 * the queue's DLQ with a `reason` attribute and then acknowledged: retrying
 * it could never succeed, this keeps the reason next to the message, and it
 * reaches the DLQ at once instead of after maxReceiveCount visibility
 * timeouts. If that send fails the record fails too, so SQS redrive still
 * moves it to the DLQ. A handler that throws `RedeliverLater` fails its
 * record without counting a failure (MessagesDeferred instead). Other
 * records of the batch are unaffected.
 *
 * @example
 * export const handler = createMessageHandler({ sqs, deadLetterQueueUrl, logger,
 *   handle: async (message) => { ... } });
 */
export function createMessageHandler<T = AnyEnvelope>(
  options: MessageHandlerOptions<T>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const parse = options.parse ?? (parseMessageJson as unknown as (body: string) => Parsed<T>);
  const logger = options.logger ?? new Logger({ serviceName: 'smartscale' });
  const occurredAtOf =
    options.occurredAtOf ??
    ((message: T) => {
      const at = (message as { occurredAt?: unknown }).occurredAt;
      return typeof at === 'string' ? at : undefined;
    });

  const reject = async (record: SQSRecord, reason: string): Promise<void> => {
    logger.error('message rejected (invalid, for another cluster or too old), sent to the DLQ', {
      messageId: record.messageId,
      eventSourceARN: record.eventSourceARN,
      reason,
      type: record.messageAttributes.type?.stringValue,
      actionId: record.messageAttributes.actionId?.stringValue,
    });
    const attributes: Record<string, MessageAttributeValue> = {
      [REJECTION_REASON_ATTRIBUTE]: {
        DataType: 'String',
        StringValue: reason.slice(0, MAX_REASON_LENGTH),
      },
      [REJECTION_SOURCE_ATTRIBUTE]: { DataType: 'String', StringValue: record.eventSourceARN },
    };
    for (const [name, value] of Object.entries(record.messageAttributes)) {
      if (name in attributes || value.stringValue === undefined) continue;
      attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    }
    await options.sqs.send(
      new SendMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        // SQS refuses an empty body; keep something that shows it was empty.
        MessageBody: record.body === '' ? '(empty body)' : record.body,
        MessageAttributes: attributes,
      }),
    );
  };

  const metrics = options.metrics;
  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const parsed = parse(record.body);
    if (!parsed.ok) {
      await reject(record, parsed.error.message);
      metrics?.addMetric('MessagesRejected', MetricUnit.Count, 1);
      return;
    }
    const { actionId, type, clusterId } = parsed.value as {
      actionId?: unknown;
      type?: unknown;
      clusterId?: unknown;
    };
    if (
      options.clusterId !== undefined &&
      typeof clusterId === 'string' &&
      clusterId !== options.clusterId
    ) {
      await reject(
        record,
        `for cluster '${clusterId}', but this deployment runs cluster '${options.clusterId}'`,
      );
      metrics?.addMetric('MessagesRejected', MetricUnit.Count, 1);
      return;
    }
    if (options.maxAge) {
      const occurredAt = occurredAtOf(parsed.value);
      const now = options.maxAge.now?.() ?? new Date();
      const problem =
        occurredAt === undefined
          ? null
          : messageAgeProblem(occurredAt, now, options.maxAge.maxAgeSeconds);
      if (problem) {
        await reject(record, problem);
        metrics?.addMetric('MessagesRejected', MetricUnit.Count, 1);
        return;
      }
    }
    // Every log line while handling a message names its action.
    if (typeof actionId === 'string') logger.appendKeys({ actionId, messageType: String(type) });
    try {
      await options.handle(parsed.value, record);
      metrics?.addMetric('MessagesHandled', MetricUnit.Count, 1);
    } catch (error) {
      if (isRedeliverLater(error)) {
        // Expected (another invocation holds the lock or the step): not a
        // failure to alarm on. The record still fails, so SQS keeps the
        // message and delivers it again after the visibility timeout.
        metrics?.addMetric('MessagesDeferred', MetricUnit.Count, 1);
        logger.info('message deferred; it will be redelivered', {
          reason: error.message,
          receiveCount: record.attributes?.ApproximateReceiveCount,
        });
        throw error;
      }
      metrics?.addMetric('MessagesFailed', MetricUnit.Count, 1);
      // Logged here, with the action, or a failure is only a metric until the DLQ.
      logger.warn('message failed; it will be redelivered', {
        error: error instanceof Error ? error.message : String(error),
        receiveCount: record.attributes?.ApproximateReceiveCount,
      });
      throw error;
    } finally {
      logger.removeKeys(['actionId', 'messageType']);
    }
  };

  return async (event, context) => {
    // A processor keeps per-batch state, so each invocation gets its own:
    // the local queue runner may run several batches at once.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(event, recordHandler, processor, {
        context,
        throwOnFullBatchFailure: false,
        // One record at a time: the logger's actionId key is per record, and
        // parallel records would overwrite each other's (the decider
        // serializes on the cluster lock anyway).
        processInParallel: false,
      });
    } finally {
      if (metrics) flushMetrics(metrics);
    }
  };
}
