import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { AnyEnvelope } from '@smartscale/contracts';
import { sampleMessages } from '@smartscale/testing';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppliedQueue, AppliedTopology } from '../../../local/src/aws/bootstrap.js';
import {
  type AwsClients,
  createMessageHandler,
  QueueRunner,
  type SqsHandler,
} from '../../src/index.js';
import { eventually, freshTopology, motoClients, receiveAll } from './support.js';

let clients: AwsClients;
let topology: AppliedTopology;
const runners: QueueRunner[] = [];

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'runner');
  // Short visibility so redeliveries happen within a test.
  for (const queue of Object.values(topology.queues)) {
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: { VisibilityTimeout: '1' },
      }),
    );
  }
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});
afterAll(() => clients.destroy());

function run(
  queue: AppliedQueue,
  handler: SqsHandler,
  extra: { visibility?: number; concurrency?: number; batchSize?: number } = {},
): QueueRunner {
  const runner = new QueueRunner({
    sqs: clients.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    handler,
    functionName: 'test',
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: extra.visibility ?? 1,
    maxConcurrentBatches: extra.concurrency ?? 1,
    batchSize: extra.batchSize ?? 10,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  runners.push(runner);
  runner.start();
  return runner;
}

async function send(queue: AppliedQueue, body: string, type?: string): Promise<void> {
  await clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: body,
      ...(type ? { MessageAttributes: { type: { DataType: 'String', StringValue: type } } } : {}),
    }),
  );
}

const quietLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

describe('QueueRunner', () => {
  it('delivers the record shape Lambda delivers', async () => {
    const queue = topology.queues.notifier;
    const message = sampleMessages.NodeJoined();
    await send(queue, JSON.stringify(message), 'NodeJoined');
    const seen: SQSRecord[] = [];
    run(queue, async (event, context) => {
      seen.push(...event.Records);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      expect(context.functionName).toBe('test');
    });
    await eventually(async () => seen.length === 1, 10_000, 'one record');
    const [record] = seen;
    expect(record).toMatchObject({
      body: JSON.stringify(message),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: { type: { stringValue: 'NodeJoined', dataType: 'String' } },
    });
    expect(record?.messageId).toMatch(/.+/);
    expect(record?.receiptHandle).toMatch(/.+/);
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThan(0);
    // Succeeded, so deleted: nothing comes back after the visibility timeout.
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen).toHaveLength(1);
  });

  it('moves a message that keeps failing to the DLQ after maxReceiveCount and keeps the rest', async () => {
    const queue = topology.queues.drainer;
    expect(queue.maxReceiveCount).toBe(3);
    const good = [sampleMessages.DrainNode(), sampleMessages.DrainNode()];
    const poison = sampleMessages.DrainNode();
    for (const m of [...good, poison]) await send(queue, JSON.stringify(m), m.type);
    const handled: string[] = [];
    let poisonAttempts = 0;
    run(
      queue,
      createMessageHandler({
        sqs: clients.sqs,
        deadLetterQueueUrl: queue.dlqUrl,
        logger: quietLogger(),
        async handle(message: AnyEnvelope) {
          if (message.id === poison.id) {
            poisonAttempts += 1;
            throw new Error('cannot drain');
          }
          handled.push(message.id);
        },
      }),
    );
    const [dead] = await receiveAll(clients.sqs, queue.dlqUrl, { count: 1, timeoutMs: 20_000 });
    expect(JSON.parse(dead?.Body ?? '').id).toBe(poison.id);
    expect(poisonAttempts).toBe(queue.maxReceiveCount);
    expect(handled.sort()).toEqual(good.map((m) => m.id).sort());
  });

  it('extends visibility while a slow batch runs, so it is not handed out twice', async () => {
    const queue = topology.queues['join-verifier'];
    await send(queue, JSON.stringify(sampleMessages.VerifyJoin()), 'VerifyJoin');
    let calls = 0;
    let finished = false;
    run(
      queue,
      async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 4000));
        finished = true;
      },
      { visibility: 1, concurrency: 2 },
    );
    await eventually(async () => calls === 1, 10_000, 'the handler to start');
    // While the handler sleeps 4x the visibility timeout, nobody else gets it.
    const stolen = await receiveAll(clients.sqs, queue.url, { timeoutMs: 2500 });
    expect(stolen).toHaveLength(0);
    await eventually(async () => finished, 10_000, 'the handler to finish');
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls).toBe(1);
    expect(await receiveAll(clients.sqs, queue.url, { timeoutMs: 1500 })).toHaveLength(0);
  });

  it('runs at most maxConcurrentBatches at once and stop() waits for in-flight batches', async () => {
    const queue = topology.queues.decider;
    for (let i = 0; i < 6; i++) {
      await send(queue, JSON.stringify(sampleMessages.NodeJoined()), 'NodeJoined');
    }
    let active = 0;
    let maxActive = 0;
    let completed = 0;
    const runner = run(
      queue,
      async (event) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 700));
        active -= 1;
        completed += event.Records.length;
      },
      { visibility: 5, concurrency: 2, batchSize: 1 },
    );
    await eventually(async () => active > 0, 10_000, 'a batch to start');
    const before = completed;
    await runner.stop();
    expect(active).toBe(0);
    expect(completed).toBeGreaterThan(before);
    expect(maxActive).toBeLessThanOrEqual(2);
    runner.start();
    await eventually(async () => completed === 6, 20_000, 'all six messages');
    expect(maxActive).toBe(2);
  });

  it('sends a malformed message to the DLQ with its reason logged and processes the rest of its batch', async () => {
    const queue = topology.queues.provisioner;
    const valid = [sampleMessages.ScaleUp(), sampleMessages.ReplaceCapacity()];
    const badPayload = { ...sampleMessages.ScaleUp(), payload: { count: -1, reason: 'x' } };
    await send(queue, JSON.stringify(valid[0]), 'ScaleUp');
    await send(queue, '{not json', 'ScaleUp');
    await send(queue, JSON.stringify(badPayload), 'ScaleUp');
    await send(queue, JSON.stringify(valid[1]), 'ReplaceCapacity');

    const lines: string[] = [];
    // Powertools writes ERROR lines to stderr and the rest to stdout.
    const spies = [process.stdout, process.stderr].map((stream) => {
      const write = stream.write.bind(stream);
      return vi.spyOn(stream, 'write').mockImplementation((chunk, ...rest) => {
        lines.push(String(chunk));
        return write(chunk, ...(rest as []));
      });
    });
    const handled: string[] = [];
    const batchSizes: number[] = [];
    const handler = createMessageHandler({
      sqs: clients.sqs,
      deadLetterQueueUrl: queue.dlqUrl,
      logger: new Logger({ serviceName: 'provisioner' }),
      async handle(message) {
        handled.push(message.id);
      },
    });
    try {
      run(queue, async (event, context) => {
        batchSizes.push(event.Records.length);
        return handler(event, context);
      });
      const dead = await receiveAll(clients.sqs, queue.dlqUrl, { count: 2, timeoutMs: 10_000 });
      await eventually(async () => handled.length === 2, 10_000, 'the valid messages');
      expect(handled.sort()).toEqual(valid.map((m) => m.id).sort());
      // All four came in one batch: the two rejections did not fail the others.
      expect(batchSizes[0]).toBe(4);
      const reasonOf = (body: string) =>
        dead.find((m) => m.Body === body)?.MessageAttributes?.reason?.StringValue;
      expect(reasonOf('{not json')).toMatch(/expected JSON/);
      expect(reasonOf(JSON.stringify(badPayload))).toMatch(/payload\.count: Too small/);
      expect(dead.map((m) => m.MessageAttributes?.sourceQueue?.StringValue)).toEqual([
        queue.arn,
        queue.arn,
      ]);
      expect(dead.map((m) => m.Body).sort()).toEqual(
        ['{not json', JSON.stringify(badPayload)].sort(),
      );
      const logged = lines
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.level === 'ERROR' && String(l.message).includes('rejected'));
      expect(logged).toHaveLength(2);
      expect(logged.map((l) => l.reason).join('\n')).toMatch(/payload\.count/);
      expect(logged.every((l) => l.service === 'provisioner')).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // Acknowledged: nothing is redelivered from the source queue.
    await new Promise((r) => setTimeout(r, 1500));
    expect(handled).toHaveLength(2);
    expect(await receiveAll(clients.sqs, queue.url, { timeoutMs: 1500 })).toHaveLength(0);
  });
  it("rejects to the DLQ a message for another cluster, and handles this cluster's (issue #21)", async () => {
    const queue = topology.queues.drainer;
    const ours = sampleMessages.DrainNode();
    const foreign = { ...sampleMessages.DrainNode(), clusterId: 'someone-elses' };
    await send(queue, JSON.stringify(foreign), 'DrainNode');
    await send(queue, JSON.stringify(ours), 'DrainNode');
    const handled: string[] = [];
    const handler = createMessageHandler({
      sqs: clients.sqs,
      deadLetterQueueUrl: queue.dlqUrl,
      clusterId: ours.clusterId,
      async handle(message) {
        handled.push(message.id);
      },
    });
    run(queue, handler);
    const [dead] = await receiveAll(clients.sqs, queue.dlqUrl, { count: 1, timeoutMs: 10_000 });
    await eventually(async () => handled.length === 1, 10_000, "this cluster's message");
    expect(handled).toEqual([ours.id]);
    expect(dead?.Body).toBe(JSON.stringify(foreign));
    expect(dead?.MessageAttributes?.reason?.StringValue).toBe(
      `for cluster 'someone-elses', but this deployment runs cluster '${ours.clusterId}'`,
    );
  });

  it('rejects to the DLQ a command older than its age limit, naming its age, and handles a fresh one (issue #21)', async () => {
    const queue = topology.queues.drainer;
    // The sample DrainNode occurred at 2026-01-01T00:00:00Z; the consumer's clock
    // reads it 3 days later (a DLQ replay), then 10 minutes later (a backlog).
    const replayed = sampleMessages.DrainNode();
    const fresh = sampleMessages.DrainNode();
    await send(queue, JSON.stringify(replayed), 'DrainNode');
    let now = new Date('2026-01-04T00:00:00.000Z');
    const handled: string[] = [];
    const handler = createMessageHandler({
      sqs: clients.sqs,
      deadLetterQueueUrl: queue.dlqUrl,
      maxAge: { maxAgeSeconds: 3600, now: () => now },
      async handle(message) {
        handled.push(message.id);
      },
    });
    run(queue, handler);
    const [dead] = await receiveAll(clients.sqs, queue.dlqUrl, { count: 1, timeoutMs: 10_000 });
    expect(dead?.Body).toBe(JSON.stringify(replayed));
    expect(dead?.MessageAttributes?.reason?.StringValue).toBe(
      'too old to act on: occurred at 2026-01-01T00:00:00.000Z, 259200 s ago, more than commands.maxAgeSeconds (3600)',
    );
    expect(handled).toEqual([]);
    now = new Date('2026-01-01T00:10:00.000Z');
    await send(queue, JSON.stringify(fresh), 'DrainNode');
    await eventually(async () => handled.length === 1, 10_000, 'the fresh command');
    expect(handled).toEqual([fresh.id]);
    expect(await receiveAll(clients.sqs, queue.dlqUrl, { timeoutMs: 1500 })).toHaveLength(0);
  });
});
