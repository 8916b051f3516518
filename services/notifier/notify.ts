import type { AnyEnvelope } from '@smartscale/contracts';
import { type SlackMessage, toSlackMessage } from './slack-message.js';

export interface NotifierPorts {
  /** The incoming-webhook URL, read from SSM SecureString. Never logged. */
  webhookUrl(): Promise<string>;
  post(url: string, body: SlackMessage): Promise<{ readonly status: number }>;
}

/** Raised for a webhook refusal; the message is retried, then dead-lettered. */
export class WebhookError extends Error {
  constructor(readonly status: number) {
    super(`Slack webhook answered HTTP ${status}`);
    this.name = 'WebhookError';
  }
}

/** Sends the event to Slack if people should see it. */
export async function notify(
  event: AnyEnvelope,
  ports: NotifierPorts,
): Promise<'sent' | 'skipped'> {
  const body = toSlackMessage(event);
  if (!body) return 'skipped';
  const { status } = await ports.post(await ports.webhookUrl(), body);
  if (status < 200 || status >= 300) throw new WebhookError(status);
  return 'sent';
}
