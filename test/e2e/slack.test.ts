import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createMessage } from '@smartscale/contracts';
import { topology } from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import { auditSince, eventually, publisherOf, startTestStack } from './support.ts';

// A local HTTP server is the Slack incoming webhook; its URL is the SSM
// SecureString the notifier reads. It answers 200 (recording each body) or,
// once `failing` is set, 500 to everything.
interface SlackBody {
  text: string;
  blocks: {
    type: string;
    text?: { type: string; text: string };
    elements?: { type: string; text: string }[];
  }[];
}
const received: SlackBody[] = [];
const refused: string[] = [];
let failing = false;
let webhook: Server;
let stack: LocalStack;
const hookPath = '/services/T0000/B0000/local-test';
const serviceLogs: string[] = [];

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const ok = req.method === 'POST' && req.url === hookPath;
      if (failing || !ok) {
        refused.push(body);
        res.writeHead(500).end('internal_error');
        return;
      }
      received.push(JSON.parse(body) as SlackBody);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const { port } = webhook.address() as AddressInfo;
  stack = await startTestStack('slack', {
    visibilityTimeoutSeconds: 3,
    slackWebhookUrl: `http://127.0.0.1:${port}${hookPath}`,
    onServiceLog: (_service, line) => serviceLogs.push(line),
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => webhook?.close(resolve));
});

describe('Slack notifications', () => {
  it('posts well-formed Block Kit for a scale-up with its reasons and node counts', async () => {
    const body = await eventually('a scale-up message at the webhook', async () =>
      received.find((b) => b.text.includes('Scaling up')),
    );
    // The empty cluster is below min 2: the decision it reports, from the audit.
    const decision = await eventually('the audited scale-up', async () =>
      (await auditSince(stack)).find(
        (e) => e.kind === 'decision' && e.summary.startsWith('scale up'),
      ),
    );
    const { reasons, count } = (
      decision.detail as { decision: { count: number; reasons: { message: string }[] } }
    ).decision;

    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    const [header, section, context] = body.blocks;
    expect(header?.text?.type).toBe('plain_text');
    expect(header?.text?.text).toBe(`:arrow_up: Scaling up by ${count} (from 0 workers)`);
    expect(count).toBe(2);
    expect(section?.text?.type).toBe('mrkdwn');
    expect(section?.text?.text).toBe(reasons.map((r) => `• ${r.message}`).join('\n'));
    expect(section?.text?.text).toContain('below min 2');
    expect(context?.elements).toHaveLength(1);
    expect(context?.elements?.[0]?.type).toBe('mrkdwn');
    expect(context?.elements?.[0]?.text).toContain(`cluster \`${stack.clusterId}\``);
    expect(context?.elements?.[0]?.text).toContain(`action \`${decision.actionId}\``);
    // The fallback text carries the same news for notifications without blocks.
    expect(body.text).toBe(`${header?.text?.text}: ${section?.text?.text}`);
    expect(refused).toHaveLength(0);
    // The webhook URL is a secret: no service logs it.
    expect(serviceLogs.length).toBeGreaterThan(0);
    expect(serviceLogs.filter((l) => l.includes(hookPath))).toEqual([]);
  });

  it('tells Slack when a CloudWatch alarm on the alarms topic fires', async () => {
    // moto stores the alarms the bootstrap created but never evaluates them,
    // so this publishes what CloudWatch publishes for one of them.
    const alarm = stack.applied.alarms['dlq-decider'];
    if (!alarm) throw new Error('the bootstrap created no dlq-decider alarm');
    await stack.aws.sns.send(
      new PublishCommand({
        TopicArn: stack.applied.topics.alarms.arn,
        Subject: `ALARM: "${alarm.name}" in US East (N. Virginia)`,
        Message: JSON.stringify({
          AlarmName: alarm.name,
          AlarmDescription: topology.alarms['dlq-decider']?.description,
          AWSAccountId: '123456789012',
          NewStateValue: 'ALARM',
          NewStateReason:
            'Threshold Crossed: 1 datapoint [1.0] was greater than the threshold (0.0).',
          StateChangeTime: new Date().toISOString().replace('Z', '+0000'),
          Region: 'US East (N. Virginia)',
          OldStateValue: 'OK',
          Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' },
        }),
      }),
    );
    const body = await eventually('the alarm at the webhook', async () =>
      received.find((b) => b.text.includes(alarm.name)),
    );
    expect(body.blocks[0]?.text?.text).toBe(`:rotating_light: Alarm: ${alarm.name}`);
    expect(body.text).toContain('smartscale dlq');
    // Not dead-lettered as malformed: the notifier's DLQ stays empty.
    const dlq = await stack.aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.applied.queues.notifier.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    expect(dlq.Messages ?? []).toEqual([]);
  });

  it('retries a failing webhook, then leaves the message in the notifier DLQ', async () => {
    failing = true;
    const event = createMessage(
      'ActionFailed',
      { step: 'drain', reason: 'slack-test', detail: 'webhook answers 500' },
      { clusterId: stack.clusterId },
      new Date(),
    );
    await publisherOf(stack).publish(event);

    const queue = stack.applied.queues.notifier;
    const dead = await eventually(
      'the event in the notifier DLQ',
      async () => {
        const res = await stack.aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.dlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        return res.Messages?.find((m) => m.Body?.includes(event.id));
      },
      60_000,
    );
    expect(dead.Body).toContain('slack-test');
    // Every delivery the redrive policy allows was tried against the webhook.
    const attempts = refused.filter((b) => b.includes(event.actionId));
    expect(attempts).toHaveLength(topology.queues.notifier.maxReceiveCount);
    expect(received.some((b) => JSON.stringify(b).includes(event.actionId))).toBe(false);
  });
});
