// Lambda entry of the notifier: events people should see, to Slack.
import { createMessageHandler, createServiceContext } from '@smartscale/aws';
import { type Notification, parseNotificationJson } from '@smartscale/contracts';
import { type NotifierPorts, notify } from './notify.js';

const ctx = createServiceContext('notifier');
// A URL is read once per cold start; a missing parameter is looked up again
// after a while, so creating it takes effect without a redeploy.
const MISSING_RECHECK_MS = 5 * 60_000;
let cached: { readonly url: string | undefined; readonly at: number } | undefined;

const ports: NotifierPorts = {
  // The URL is a secret and is never logged.
  async webhookUrl() {
    if (cached?.url !== undefined) return cached.url;
    if (cached && Date.now() - cached.at < MISSING_RECHECK_MS) return undefined;
    const name = ctx.resources.parameters.slackWebhook;
    const url = (await ctx.parameters.findSecure(name))?.reveal();
    if (url === undefined) {
      ctx.logger.warn(`Slack notifications are off: SSM parameter ${name} does not exist`);
    }
    cached = { url, at: Date.now() };
    return url;
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

// Its queue receives SmartScale events and, unfiltered, CloudWatch alarm changes.
export const handler = createMessageHandler<Notification>({
  parse: parseNotificationJson,
  sqs: ctx.clients.sqs,
  clusterId: ctx.resources.clusterId,
  deadLetterQueueUrl: ctx.resources.queues.notifier.dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message) {
    const result = await notify(message, ports);
    ctx.logger.debug(`notification ${result}`);
  },
});
