// Lambda entry of the notifier: events people should see, to Slack.
import { createMessageHandler, createServiceContext } from '@smartscale/aws';
import { type NotifierPorts, notify } from './notify.js';

const ctx = createServiceContext('notifier');
let cachedUrl: string | undefined;

const ports: NotifierPorts = {
  // Read once per cold start; the URL is a secret and is never logged.
  async webhookUrl() {
    cachedUrl ??= await ctx.readSecret(ctx.resources.parameters.slackWebhook);
    return cachedUrl;
  },
  async post(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status };
  },
};

export const handler = createMessageHandler({
  sqs: ctx.clients.sqs,
  deadLetterQueueUrl: ctx.resources.queues.notifier.dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message) {
    const result = await notify(message, ports);
    ctx.logger.debug(`notification ${result}`);
  },
});
