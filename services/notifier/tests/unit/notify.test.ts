import { createMessage, parseNotificationJson } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { type NotifierPorts, notify, WebhookError } from '../../notify.js';
import type { SlackMessage } from '../../slack-message.js';

const ctx = { clusterId: 'prod' };
const scaleUpEvent = createMessage(
  'DecisionMade',
  {
    decision: {
      kind: 'scale-up',
      count: 2,
      reasons: [{ code: 'pending-pods', message: '4 pod(s) unschedulable' }],
    },
    snapshotTakenAt: new Date().toISOString(),
    workers: 3,
  },
  ctx,
  new Date(),
);

const scaleUp = { kind: 'event' as const, event: scaleUpEvent };

/** A CloudWatch alarm notification as CloudWatch publishes it to SNS (abridged). */
const alarmBody = (state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', old = 'OK') =>
  JSON.stringify({
    AlarmName: 'smartscale-prod-dlq-decider',
    AlarmDescription: 'Messages are waiting in the decider dead-letter queue',
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-11-30T09:00:00.000+0000',
    NewStateValue: state,
    NewStateReason:
      'Threshold Crossed: 1 datapoint [2.0 (30/11/26 10:00:00)] was greater than the threshold (0.0).',
    StateChangeTime: '2026-11-30T10:01:00.000+0000',
    Region: 'EU (Ireland)',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:smartscale-prod-dlq-decider',
    OldStateValue: old,
    OKActions: [],
    AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:smartscale-prod-alarms'],
    Trigger: {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Statistic: 'MAXIMUM',
      Dimensions: [{ value: 'smartscale-prod-decider-dlq', name: 'QueueName' }],
      Period: 60,
      Threshold: 0,
    },
  });

/** Ports that record what was posted and answer with `status`. */
function recordingPorts(url: string | undefined, status = 200) {
  const posted: { url: string; body: SlackMessage }[] = [];
  const ports: NotifierPorts = {
    webhookUrl: async () => url,
    post: async (to, body) => {
      posted.push({ url: to, body });
      return { status };
    },
  };
  return { ports, posted };
}

describe('notify', () => {
  it('posts an event people should see to the webhook', async () => {
    const { ports, posted } = recordingPorts('https://hooks.example/T1');
    expect(await notify(scaleUp, ports)).toBe('sent');
    expect(posted).toHaveLength(1);
    expect(posted[0]?.url).toBe('https://hooks.example/T1');
    expect(posted[0]?.body.text).toContain('Scaling up by 2');
  });

  it('acknowledges without posting when Slack is not configured', async () => {
    const { ports, posted } = recordingPorts(undefined);
    expect(await notify(scaleUp, ports)).toBe('no-webhook');
    expect(posted).toHaveLength(0);
  });

  it('fails on a webhook refusal so the queue retries and then dead-letters', async () => {
    const { ports } = recordingPorts('https://hooks.example/T1', 500);
    await expect(notify(scaleUp, ports)).rejects.toBeInstanceOf(WebhookError);
  });

  it('posts a firing alarm with its description and reason, and its clearing', async () => {
    const { ports, posted } = recordingPorts('https://hooks.example/T1');
    for (const body of [alarmBody('ALARM'), alarmBody('OK', 'ALARM')]) {
      const parsed = parseNotificationJson(body);
      if (!parsed.ok) throw parsed.error;
      expect(await notify(parsed.value, ports)).toBe('sent');
    }
    expect(posted.map((p) => p.body.text)).toEqual([
      expect.stringMatching(
        /^:rotating_light: Alarm: smartscale-prod-dlq-decider: Messages are waiting.*\n.*greater than the threshold/s,
      ),
      expect.stringMatching(/^:white_check_mark: Resolved: smartscale-prod-dlq-decider/),
    ]);
    expect(JSON.stringify(posted[0]?.body.blocks)).toContain('account 123456789012');
  });

  it('stays quiet on INSUFFICIENT_DATA and on OK that was never an alarm', async () => {
    const { ports, posted } = recordingPorts('https://hooks.example/T1');
    for (const body of [alarmBody('INSUFFICIENT_DATA'), alarmBody('OK', 'INSUFFICIENT_DATA')]) {
      const parsed = parseNotificationJson(body);
      if (!parsed.ok) throw parsed.error;
      expect(await notify(parsed.value, ports)).toBe('skipped');
    }
    expect(posted).toHaveLength(0);
  });
});

describe('parseNotificationJson', () => {
  it('tells a CloudWatch alarm from a SmartScale event', () => {
    const alarm = parseNotificationJson(alarmBody('ALARM'));
    expect(alarm.ok && alarm.value.kind).toBe('alarm');
    const event = parseNotificationJson(JSON.stringify(scaleUpEvent));
    expect(event.ok && event.value.kind).toBe('event');
  });

  it('names the field of a malformed alarm and what was expected', () => {
    const bad = JSON.parse(alarmBody('ALARM'));
    bad.NewStateValue = 'FIRING';
    delete bad.AWSAccountId;
    const parsed = parseNotificationJson(JSON.stringify(bad));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.message).toMatch(/^CloudWatch alarm notification is invalid/);
      expect(parsed.error.message).toMatch(/AWSAccountId/);
      expect(parsed.error.message).toMatch(/NewStateValue: .*ALARM/);
    }
  });

  it('reports a body that is not JSON, or neither an alarm nor an envelope', () => {
    const notJson = parseNotificationJson('{oops');
    expect(!notJson.ok && notJson.error.message).toMatch(
      /notification body is invalid.*expected JSON/,
    );
    const neither = parseNotificationJson(JSON.stringify({ hello: 'world' }));
    expect(neither.ok).toBe(false);
  });
});
