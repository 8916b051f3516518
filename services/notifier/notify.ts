import type { Notification } from '@smartscale/contracts';
import { alarmToSlackMessage, type SlackMessage, toSlackMessage } from './slack-message.js';

export interface NotifierPorts {
  /**
   * The incoming-webhook URL, read from SSM SecureString; undefined when the
   * parameter does not exist (Slack is optional). Never logged.
   */
  webhookUrl(): Promise<string | undefined>;
  post(url: string, body: SlackMessage): Promise<{ readonly status: number }>;
}

/** Raised for a webhook refusal; the message is retried, then dead-lettered. */
export class WebhookError extends Error {
  constructor(readonly status: number) {
    super(`Slack webhook answered HTTP ${status}`);
    this.name = 'WebhookError';
  }
}

/**
 * Sends an event or an alarm change to Slack if people should see it.
 * Without a webhook it is acknowledged as `no-webhook`: an unconfigured
 * Slack must not fill the DLQ (and fire its alarm) with every event.
 */
export async function notify(
  input: Notification,
  ports: NotifierPorts,
): Promise<'sent' | 'skipped' | 'no-webhook'> {
  const body =
    input.kind === 'alarm' ? alarmToSlackMessage(input.alarm) : toSlackMessage(input.event);
  if (!body) return 'skipped';
  const url = await ports.webhookUrl();
  if (url === undefined) return 'no-webhook';
  const { status } = await ports.post(url, body);
  if (status < 200 || status >= 300) throw new WebhookError(status);
  return 'sent';
}
