import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { MessageAttribute, REJECTION_REASON_ATTRIBUTE } from '@smartscale/aws';
import { CloudCallError } from '@smartscale/contracts';

/** A dead-lettered message as an operator sees it. */
export interface DeadLetter {
  readonly messageId: string;
  /** The envelope's type and actionId (attributes, else the body), when it has them. */
  readonly type: string | null;
  readonly actionId: string | null;
  /** Why it was rejected, when the handler said so; null for redrive after failed receives. */
  readonly reason: string | null;
  readonly sentAt: string | null;
  /**
   * When the message itself happened: an envelope's occurredAt or an EC2
   * event's time, else when it was sent to the queue. Consumers refuse
   * commands by this age (commands.maxAgeSeconds).
   */
  readonly occurredAt: string | null;
  readonly body: string;
}

function fromBody(body: string): {
  type: string | null;
  actionId: string | null;
  occurredAt: string | null;
} {
  try {
    const value = JSON.parse(body) as {
      type?: unknown;
      actionId?: unknown;
      occurredAt?: unknown;
      time?: unknown;
    };
    const at = [value.occurredAt, value.time].find(
      (t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t)),
    );
    return {
      type: typeof value.type === 'string' ? value.type : null,
      actionId: typeof value.actionId === 'string' ? value.actionId : null,
      occurredAt: at ?? null,
    };
  } catch {
    return { type: null, actionId: null, occurredAt: null };
  }
}

/** What an operator needs to know of one received message. */
export function describeDeadLetter(message: Message): DeadLetter {
  const attrs = message.MessageAttributes ?? {};
  const body = message.Body ?? '';
  const parsed = fromBody(body);
  const sent = Number(message.Attributes?.SentTimestamp);
  const sentAt = Number.isFinite(sent) ? new Date(sent).toISOString() : null;
  return {
    messageId: message.MessageId ?? '',
    type: attrs[MessageAttribute.Type]?.StringValue ?? parsed.type,
    actionId: attrs[MessageAttribute.ActionId]?.StringValue ?? parsed.actionId,
    reason: attrs[REJECTION_REASON_ATTRIBUTE]?.StringValue ?? null,
    sentAt,
    occurredAt: parsed.occurredAt ?? sentAt,
    body,
  };
}

/** The attributes of a received message in the shape SendMessage takes, all of them. */
export function sendableAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      DataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return out;
}

const RECEIVE: Pick<
  ReceiveMessageCommandInput,
  'MessageAttributeNames' | 'MessageSystemAttributeNames'
> = { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] };

/**
 * Up to `max` messages of a DLQ without taking them: received with a zero
 * visibility timeout, so they stay available to a replay.
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  max: number,
): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  // A receive samples the queue; stop once two in a row bring nothing new.
  let idle = 0;
  while (seen.size < max && idle < 2) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        ...RECEIVE,
      }),
    );
    const before = seen.size;
    for (const m of res.Messages ?? []) {
      if (m.MessageId && !seen.has(m.MessageId) && seen.size < max)
        seen.set(m.MessageId, describeDeadLetter(m));
    }
    idle = seen.size === before ? idle + 1 : 0;
  }
  return [...seen.values()];
}

/** How a replay moved (or would move) messages. */
export type ReplayMethod = 'move-task' | 'one-by-one' | 'dry-run';

export interface ReplayResult {
  readonly method: ReplayMethod;
  /** Messages moved one by one (or that a dry run would move); empty for a move task. */
  readonly moved: readonly DeadLetter[];
  /** How many moved (the move task's own count for `move-task`). */
  readonly movedCount: number;
  /**
   * Messages dead-lettered again while the replay ran (they failed once
   * more: the cause is not fixed); left in the DLQ, not moved again.
   */
  readonly cameBack: readonly DeadLetter[];
  /** Messages older than `maxAgeSeconds`: left in the DLQ, not moved. */
  readonly tooOld: readonly DeadLetter[];
  /** Why the move task was not used, when it was not. */
  readonly fallbackReason: string | null;
}

export interface ReplayOptions {
  readonly sqs: SQSClient;
  /** The source queue the DLQ belongs to. */
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  /** Move at most this many (one by one: SQS's move task cannot stop at a count). */
  readonly max?: number;
  /** List what would move; move nothing. */
  readonly dryRun?: boolean;
  /**
   * Leave in the DLQ every message that happened longer ago than this
   * (`occurredAt`): its consumer would refuse it anyway (commands.maxAgeSeconds),
   * and the world it was meant for has moved on.
   */
  readonly maxAgeSeconds?: number;
  /** The clock `maxAgeSeconds` is measured on. */
  readonly now?: () => Date;
  /** Stops between two messages; what moved stays moved and the rest stays in the DLQ. */
  readonly signal?: AbortSignal;
  /**
   * How long a message being moved stays hidden in the DLQ; if the replay
   * dies between send and delete it reappears after this and moves again.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Called after each message moved one by one. */
  readonly onMoved?: (letter: DeadLetter) => void;
  /** How often to check a move task's progress. */
  readonly pollMs?: number;
}

const UNSUPPORTED = new Set([
  'UnsupportedOperation',
  'InvalidAction',
  'UnknownOperation',
  'UnknownOperationException',
  'NotImplemented',
]);

/**
 * True when StartMessageMoveTask failed because the endpoint does not offer
 * it (moto answers 500 with an HTML page), not because of the request.
 */
export function isMoveTaskUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return UNSUPPORTED.has(error.name) || (status !== undefined && status >= 500);
}

async function queueArnOf(sqs: SQSClient, url: string): Promise<string> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new CloudCallError(`queue ${url} reported no QueueArn`);
  return arn;
}

async function runMoveTask(options: ReplayOptions, dlqArn: string): Promise<number> {
  const { sqs } = options;
  const started = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: options.queueArn }),
  );
  for (;;) {
    const res = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }),
    );
    const task = (res.Results ?? []).find((t) => t.TaskHandle === started.TaskHandle);
    if (task && task.Status !== 'RUNNING') {
      if (task.Status !== 'COMPLETED')
        throw new CloudCallError(
          `move task ${started.TaskHandle} ended ${task.Status}: ${task.FailureReason ?? 'no reason given'} (${task.ApproximateNumberOfMessagesMoved ?? 0} moved)`,
        );
      return task.ApproximateNumberOfMessagesMoved ?? 0;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}

/**
 * Moves one message: send a copy (body and every attribute) to the source
 * queue, then delete it from the DLQ. Dying between the two leaves it in
 * the DLQ to move again: a duplicate, which dedup by actionId makes harmless,
 * never a loss. A message dead-lettered after `since` (one this replay moved
 * that failed again: its cause is not fixed) is left hidden in the DLQ, so
 * a replay never chases its own messages round and round. Null when the DLQ
 * had nothing visible.
 */
async function moveOne(
  options: ReplayOptions,
  since: number,
): Promise<{ moved: DeadLetter } | { cameBack: DeadLetter } | { tooOld: DeadLetter } | null> {
  const { sqs } = options;
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.dlqUrl,
      MaxNumberOfMessages: 1,
      VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
      WaitTimeSeconds: 1,
      ...RECEIVE,
    }),
  );
  const message = res.Messages?.[0];
  if (!message) return null;
  const letter = describeDeadLetter(message);
  if (Number(message.Attributes?.SentTimestamp) >= since) return { cameBack: letter };
  // Left hidden for the visibility timeout, so this replay does not see it again.
  if (isTooOld(letter, options)) return { tooOld: letter };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: options.queueUrl,
      MessageBody: message.Body ?? '',
      MessageAttributes: sendableAttributes(message.MessageAttributes),
    }),
  );
  await sqs.send(
    new DeleteMessageCommand({ QueueUrl: options.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
  );
  return { moved: letter };
}

/**
 * Moves dead-lettered messages back to their source queue: with SQS's
 * StartMessageMoveTask where the endpoint has it and no `max` is asked,
 * otherwise one message at a time (receive, send with all attributes,
 * delete). Returns what moved.
 *
 * @example
 * const result = await replayDeadLetters({ sqs, queueUrl, queueArn, dlqUrl, max: 10 });
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (options.dryRun) {
    const letters = await peekDeadLetters(options.sqs, options.dlqUrl, Math.min(max, 1000));
    const moved = letters.filter((l) => !isTooOld(l, options));
    return {
      method: 'dry-run',
      moved,
      movedCount: moved.length,
      cameBack: [],
      tooOld: letters.filter((l) => isTooOld(l, options)),
      fallbackReason: null,
    };
  }
  let fallbackReason =
    options.maxAgeSeconds !== undefined
      ? 'a maximum age was given, and the move task cannot tell messages apart'
      : 'a maximum was given, and the move task cannot stop at a count';
  if (options.max === undefined && options.maxAgeSeconds === undefined) {
    try {
      const count = await runMoveTask(options, await queueArnOf(options.sqs, options.dlqUrl));
      return {
        method: 'move-task',
        moved: [],
        movedCount: count,
        cameBack: [],
        tooOld: [],
        fallbackReason: null,
      };
    } catch (error) {
      if (!isMoveTaskUnavailable(error)) throw error;
      fallbackReason = `StartMessageMoveTask is not available at this endpoint (${(error as Error).name})`;
    }
  }
  const since = Date.now();
  const moved: DeadLetter[] = [];
  const cameBack: DeadLetter[] = [];
  const tooOld: DeadLetter[] = [];
  while (moved.length < max && !options.signal?.aborted) {
    const step = await moveOne(options, since);
    if (!step) break;
    if ('cameBack' in step) {
      cameBack.push(step.cameBack);
      continue;
    }
    if ('tooOld' in step) {
      tooOld.push(step.tooOld);
      continue;
    }
    moved.push(step.moved);
    options.onMoved?.(step.moved);
  }
  return {
    method: 'one-by-one',
    moved,
    movedCount: moved.length,
    cameBack,
    tooOld,
    fallbackReason,
  };
}

/** Whether a dead letter happened longer ago than the replay's maxAgeSeconds. */
function isTooOld(
  letter: DeadLetter,
  options: Pick<ReplayOptions, 'maxAgeSeconds' | 'now'>,
): boolean {
  if (options.maxAgeSeconds === undefined || letter.occurredAt === null) return false;
  const now = options.now?.() ?? new Date();
  return now.getTime() - Date.parse(letter.occurredAt) > options.maxAgeSeconds * 1000;
}
