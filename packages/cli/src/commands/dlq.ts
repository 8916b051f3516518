import { numberArg, parseCommandArgs } from '../args.js';
import { type Command, ExitCode, type Io, UsageError } from '../command.js';
import { type DeadLetter, peekDeadLetters, replayDeadLetters } from '../dead-letters.js';
import { type Deployment, deploymentArgs, deploymentUsage, withDeployment } from '../deployment.js';
import { allQueueDepths, isQueueName, QUEUE_NAMES, type QueueName, queueDepth } from '../queues.js';
import { formatTable } from '../table.js';

const DEFAULT_LIST_MAX = 20;

const usage = `usage: smartscale dlq list [QUEUE] [options]
       smartscale dlq replay QUEUE [--dry-run] [--max N] [--max-age SECONDS] [options]

list     without QUEUE, the dead-letter depth of every queue; with QUEUE, its
         dead-lettered messages (type, action, why) without taking them
replay   moves QUEUE's dead-lettered messages back to QUEUE: with SQS's
         StartMessageMoveTask where available and no --max is given, else one
         at a time (receive, send with every attribute, delete), so an
         interrupted replay loses nothing; a message moved twice is harmless
         (handlers dedup by actionId). Fix the cause first.

QUEUE is a service's queue: decider, provisioner, join-verifier, drainer,
notifier or spot-listener.

options:
  --dry-run             replay: list what would move, move nothing
  --max N               list: show at most N messages (default ${DEFAULT_LIST_MAX});
                        replay: move at most N messages
  --max-age SECONDS     replay: leave in the DLQ every message that happened
                        longer ago than this (its consumer would refuse it
                        anyway past commands.maxAgeSeconds, 3600 by default)
${deploymentUsage}`;

function queueArg(raw: string): QueueName {
  if (!isQueueName(raw))
    throw new UsageError(`QUEUE: expected one of ${QUEUE_NAMES.join(', ')}, got '${raw}'`);
  return raw;
}

/** Dead letters as a table (reasons cut to one line). */
export function formatDeadLetters(letters: readonly DeadLetter[]): string {
  return formatTable(
    ['message', 'type', 'action', 'sent', 'reason'],
    letters.map((l) => [
      l.messageId,
      l.type ?? '?',
      l.actionId ?? '?',
      l.sentAt ?? '?',
      (l.reason ?? 'failed processing (redrive)').split('\n')[0]?.slice(0, 120) ?? '',
    ]),
  );
}

async function list(d: Deployment, queue: QueueName | undefined, max: number, json: boolean) {
  if (queue === undefined) {
    const depths = await allQueueDepths(d.clients.sqs, d.resources);
    const rows = depths.map((q) => ({
      queue: q.queue,
      deadLetters: q.deadLetters.visible + q.deadLetters.inFlight,
      dlqUrl: d.resources.queues[q.queue].dlqUrl,
    }));
    return json
      ? JSON.stringify(rows, null, 2)
      : formatTable(
          ['queue', 'dead letters', 'dlq'],
          rows.map((r) => [r.queue, String(r.deadLetters), r.dlqUrl]),
        );
  }
  const name = queue;
  const letters = await peekDeadLetters(d.clients.sqs, d.resources.queues[name].dlqUrl, max);
  if (json) return JSON.stringify(letters, null, 2);
  return letters.length === 0
    ? `${name}: no dead-lettered messages`
    : `${name}: ${letters.length} dead-lettered message(s)${letters.length === max ? ` (first ${max}; --max for more)` : ''}\n${formatDeadLetters(letters)}`;
}

async function replay(
  d: Deployment,
  name: QueueName,
  options: { max?: number; maxAgeSeconds?: number; dryRun: boolean; json: boolean },
  io: Io,
) {
  const { url, arn, dlqUrl } = d.resources.queues[name];
  // Ctrl-C stops between two messages; what moved stays moved.
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const result = await replayDeadLetters({
      sqs: d.clients.sqs,
      queueUrl: url,
      queueArn: arn,
      dlqUrl,
      dryRun: options.dryRun,
      signal: abort.signal,
      ...(options.max === undefined ? {} : { max: options.max }),
      ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
      ...(options.json
        ? {}
        : {
            onMoved: (l: DeadLetter) =>
              io.err(`moved ${l.messageId} ${l.type ?? '?'} ${l.actionId ?? ''}`),
          }),
    });
    const left = await queueDepth(d.clients.sqs, dlqUrl);
    const report = { queue: name, ...result, leftInDlq: left.visible + left.inFlight };
    if (options.json) return JSON.stringify(report, null, 2);
    const verb = result.method === 'dry-run' ? 'would move' : 'moved';
    const how =
      result.method === 'move-task'
        ? 'with StartMessageMoveTask'
        : result.method === 'one-by-one'
          ? `one at a time: ${result.fallbackReason}`
          : '(dry run: nothing moved)';
    const lines = [`${name}: ${verb} ${result.movedCount} message(s) back to ${name} ${how}`];
    if (result.moved.length > 0) lines.push(formatDeadLetters(result.moved));
    if (result.cameBack.length > 0)
      lines.push(
        `${result.cameBack.length} message(s) failed again and came back to the DLQ during the replay; they stay there (is the cause fixed?):\n${formatDeadLetters(result.cameBack)}`,
      );
    if (result.tooOld.length > 0)
      lines.push(
        `${result.tooOld.length} message(s) older than --max-age ${options.maxAgeSeconds} s ${result.method === 'dry-run' ? 'would stay' : 'stay'} in the DLQ:\n${formatDeadLetters(result.tooOld)}`,
      );
    lines.push(
      `${report.leftInDlq} left in the DLQ${left.inFlight > 0 ? ` (${left.inFlight} hidden by a receive for now, visible again after the visibility timeout)` : ''}${abort.signal.aborted ? '; stopped by Ctrl-C' : ''}`,
    );
    return lines.join('\n');
  } finally {
    process.off('SIGINT', stop);
  }
}

/**
 * `smartscale dlq`: inspect dead-lettered messages and move them back.
 *
 * @example
 * smartscale dlq replay notifier --dry-run
 */
export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list dead-lettered messages; replay them to their queue (list | replay)',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        ...deploymentArgs,
        'dry-run': { type: 'boolean', default: false },
        max: { type: 'string' },
        'max-age': { type: 'string' },
      },
      2,
    );
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    const [action, rawQueue] = positionals;
    const queue = rawQueue === undefined ? undefined : queueArg(rawQueue);
    const max = numberArg(
      'max',
      values.max,
      (n) => Number.isInteger(n) && n > 0,
      'a whole number > 0',
    );
    const maxAgeSeconds = numberArg(
      'max-age',
      values['max-age'],
      (n) => Number.isInteger(n) && n > 0,
      'a whole number of seconds > 0',
    );
    if (action === 'list') {
      if (values['dry-run']) throw new UsageError('--dry-run: only replay takes it');
      if (maxAgeSeconds !== undefined) throw new UsageError('--max-age: only replay takes it');
      io.out(
        await withDeployment(values, (d) => list(d, queue, max ?? DEFAULT_LIST_MAX, values.json)),
      );
      return ExitCode.Ok;
    }
    if (action === 'replay') {
      if (queue === undefined)
        throw new UsageError(
          `QUEUE: expected the queue to replay, one of ${QUEUE_NAMES.join(', ')}`,
        );
      const out = await withDeployment(values, (d) =>
        replay(
          d,
          queue,
          {
            ...(max === undefined ? {} : { max }),
            ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
            dryRun: values['dry-run'],
            json: values.json,
          },
          io,
        ),
      );
      io.out(out);
      return ExitCode.Ok;
    }
    throw new UsageError(
      `expected 'list' or 'replay' after dlq, got ${action === undefined ? 'nothing' : `'${action}'`}`,
    );
  },
};
