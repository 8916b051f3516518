import { createMessage } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { type NotifierPorts, notify, WebhookError } from '../../notify.js';
import type { SlackMessage } from '../../slack-message.js';

const ctx = { clusterId: 'prod' };
const scaleUp = createMessage(
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
});
