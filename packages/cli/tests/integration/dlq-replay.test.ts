import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { clientConfig, localAwsOptions, type Publisher, type QueueRunner } from '@smartscale/aws';
import { eventually, motoClients } from '@smartscale/aws/test-support';
import { type AnyEnvelope, createMessage } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueDepth, replayDeadLetters } from '../../src/index.js';
import { deployForTest, smartscale, startConsumer, type TestDeployment } from './support.ts';

/** A Slack incoming webhook on 127.0.0.1 that can be broken (HTTP 500), the notifier's poison cause. */
async function startWebhook() {
  const delivered: string[] = [];
  let broken = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (broken) {
        res.writeHead(500).end('broken');
        return;
      }
      // The notifier's Slack message names the action in its context block.
      const actionId = /action `([0-9A-HJKMNP-TV-Z]{26})`/.exec(body)?.[1];
      if (actionId) delivered.push(actionId);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    delivered,
    setBroken: (value: boolean) => {
      broken = value;
    },
    timesDelivered: (actionId: string) => delivered.filter((a) => a === actionId).length,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const clients = motoClients();
let deployment: TestDeployment;
let webhook: Awaited<ReturnType<typeof startWebhook>>;
let runner: QueueRunner;
let publisher: Publisher;

beforeAll(async () => {
  deployment = await deployForTest(clients, 'dlq', { queueVisibilitySeconds: 1 });
  webhook = await startWebhook();
  await clients.ssm.send(
    new PutParameterCommand({
      Name: deployment.resources.parameters.slackWebhook,
      Value: webhook.url,
      Type: 'SecureString',
      Overwrite: true,
    }),
  );
  // The real notifier handler, reading SMARTSCALE_RESOURCES set above.
  ({ runner, publisher } = await startConsumer(clients, deployment, 'notifier', 1));
});

afterAll(async () => {
  await runner?.stop();
  await webhook?.close();
  clients.destroy();
});

/** `smartscale dlq list|replay notifier ...` on this deployment. */
function notifierDlq(action: 'list' | 'replay', ...options: string[]) {
  return smartscale('dlq', action, 'notifier', ...options, '--resources', deployment.resourcesFile);
}

/** Publishes `count` notified events while the webhook is broken and waits until all are dead-lettered. */
async function deadLettered(count: number): Promise<AnyEnvelope[]> {
  webhook.setBroken(true);
  const events = Array.from({ length: count }, (_, i) =>
    createMessage(
      'InterruptionReceived',
      { instanceId: `i-0000000000000000${i}`, kind: 'spot-interruption' },
      { clusterId: deployment.resources.clusterId },
      new Date(),
    ),
  );
  for (const event of events) await publisher.publish(event);
  const dlq = deployment.resources.queues.notifier.dlqUrl;
  await eventually(
    async () => (await queueDepth(clients.sqs, dlq)).visible === count,
    45_000,
    `${count} notifications in the notifier DLQ`,
  );
  webhook.setBroken(false);
  return events;
}

async function depths() {
  const q = deployment.resources.queues.notifier;
  const [queue, dlq] = await Promise.all([
    queueDepth(clients.sqs, q.url),
    queueDepth(clients.sqs, q.dlqUrl),
  ]);
  return { queue: queue.visible + queue.inFlight, dlq: dlq.visible + dlq.inFlight };
}

describe('smartscale dlq', () => {
  it('replays after the poison cause is fixed: each message reaches the handler effect exactly once', async () => {
    const events = await deadLettered(4);
    expect(events.map((e) => webhook.timesDelivered(e.actionId))).toEqual([0, 0, 0, 0]);

    const listed = await notifierDlq('list');
    expect(listed.code).toBe(0);
    for (const e of events) expect(listed.stdout).toContain(e.actionId);
    expect(listed.stdout).toContain('InterruptionReceived');

    const all = await smartscale('dlq', 'list', '--json', '--resources', deployment.resourcesFile);
    const notifier = (JSON.parse(all.stdout) as { queue: string; deadLetters: number }[]).find(
      (q) => q.queue === 'notifier',
    );
    expect(notifier?.deadLetters).toBe(4);

    const dry = await notifierDlq('replay', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would move 4 message\(s\)/);
    expect((await depths()).dlq).toBe(4);

    const replay = await notifierDlq('replay');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(
      /moved 4 message\(s\) back to notifier one at a time: StartMessageMoveTask is not available at this endpoint/,
    );
    for (const e of events) expect(replay.stdout).toContain(e.actionId);
    expect(replay.stdout).toMatch(/^0 left in the DLQ$/m);

    await eventually(
      async () => events.every((e) => webhook.timesDelivered(e.actionId) > 0),
      20_000,
      'every replayed notification posted',
    );
    // Several visibility timeouts later nothing was handled twice and nothing is left.
    await new Promise((r) => setTimeout(r, 3000));
    expect(events.map((e) => webhook.timesDelivered(e.actionId))).toEqual([1, 1, 1, 1]);
    expect(await depths()).toEqual({ queue: 0, dlq: 0 });
  });

  it('a replay stopped midway or killed between send and delete, run again, loses nothing', async () => {
    const events = await deadLettered(5);
    const q = deployment.resources.queues.notifier;
    const target = { queueUrl: q.url, queueArn: q.arn, dlqUrl: q.dlqUrl };

    // Ctrl-C after two messages: those two moved, the rest stays dead-lettered.
    const abort = new AbortController();
    let moved = 0;
    const stopped = await replayDeadLetters({
      sqs: clients.sqs,
      ...target,
      signal: abort.signal,
      onMoved: () => {
        moved += 1;
        if (moved === 2) abort.abort();
      },
    });
    expect(stopped.movedCount).toBe(2);
    expect((await depths()).dlq).toBe(3);

    // The process dies after sending a copy and before deleting the original.
    const faulty = new SQSClient(
      clientConfig(localAwsOptions(process.env.SMARTSCALE_AWS_ENDPOINT as string)),
    );
    let sentBeforeKill: string | undefined;
    faulty.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageCommand') {
          const body = (args.input as { MessageBody?: string }).MessageBody ?? '';
          sentBeforeKill = (JSON.parse(body) as { actionId: string }).actionId;
        }
        if (context.commandName === 'DeleteMessageCommand') throw new Error('killed');
        return next(args);
      },
      { step: 'initialize', name: 'killBetweenSendAndDelete' },
    );
    await expect(
      replayDeadLetters({ sqs: faulty, ...target, visibilityTimeoutSeconds: 1 }),
    ).rejects.toThrow('killed');
    faulty.destroy();
    expect(sentBeforeKill).toBeDefined();

    // Run again once the half-moved message is visible in the DLQ again.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await notifierDlq('replay');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/moved 3 message\(s\)/);

    await eventually(
      async () => events.every((e) => webhook.timesDelivered(e.actionId) > 0),
      20_000,
      'every notification posted',
    );
    await new Promise((r) => setTimeout(r, 3000));
    // Nothing lost; the one message copied before the kill arrived twice (the
    // duplicate dedup by actionId absorbs), every other exactly once.
    expect(
      Object.fromEntries(events.map((e) => [e.actionId, webhook.timesDelivered(e.actionId)])),
    ).toEqual(
      Object.fromEntries(events.map((e) => [e.actionId, e.actionId === sentBeforeKill ? 2 : 1])),
    );
    expect(await depths()).toEqual({ queue: 0, dlq: 0 });
  });

  it('a message that fails again at once is moved once, not chased round and round', async () => {
    const q = deployment.resources.queues.notifier;
    // Not an envelope: the handler sends it straight back to the DLQ with its reason.
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: JSON.stringify({ type: 'NodeRemoved', note: 'not an envelope' }),
      }),
    );
    await eventually(
      async () => (await queueDepth(clients.sqs, q.dlqUrl)).visible === 1,
      20_000,
      'the malformed message in the DLQ',
    );
    const listed = await notifierDlq('list');
    expect(listed.stdout).toMatch(/NodeRemoved\s+\?\s+\S+\s+message envelope is invalid/);

    const replay = await notifierDlq('replay');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/moved 1 message\(s\)/);
    // Rejected again: it ends up in the DLQ once more, and only once.
    await eventually(
      async () => {
        const d = await depths();
        return d.queue === 0 && d.dlq === 1;
      },
      70_000,
      'the malformed message back in the DLQ',
    );
  });

  it('with --max-age, moves only what happened recently and leaves older messages in the DLQ (issue #21)', async () => {
    const q = deployment.resources.queues.notifier;
    const before = (await depths()).dlq;
    const event = (instanceId: string, at: Date) =>
      createMessage(
        'InterruptionReceived',
        { instanceId, kind: 'spot-interruption' },
        { clusterId: deployment.resources.clusterId },
        at,
      );
    const old = event('i-0aaaaaaaaaaaaaaa1', new Date(Date.now() - 3 * 86_400_000));
    const recent = event('i-0aaaaaaaaaaaaaaa2', new Date());
    for (const m of [old, recent])
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: q.dlqUrl,
          MessageBody: JSON.stringify(m),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: m.type },
            actionId: { DataType: 'String', StringValue: m.actionId },
          },
        }),
      );

    const replay = await notifierDlq('replay', '--max-age', '3600');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(
      /moved 1 message\(s\) back to notifier one at a time: a maximum age was given/,
    );
    expect(replay.stdout).toContain('1 message(s) older than --max-age 3600 s stay in the DLQ');
    expect(replay.stdout).toContain(old.actionId);
    await eventually(
      async () => webhook.timesDelivered(recent.actionId) === 1,
      30_000,
      'the recent message at the webhook',
    );
    expect(webhook.timesDelivered(old.actionId)).toBe(0);
    expect((await depths()).dlq).toBe(before + 1);

    const refused = await notifierDlq('list', '--max-age', '3600');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--max-age: only replay takes it');
  });
});
