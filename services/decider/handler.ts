// Lambda entry of the decider: samples and outcome events from its queue.

import type { Lease } from '@smartscale/aws';
import {
  createMessageHandler,
  createServiceContext,
  liveWorkerIds,
  resolvedConfigFromEnv,
  SpotPriceCache,
} from '@smartscale/aws';
import {
  type AnyEnvelope,
  type ClaimedSample,
  LockBusyError,
  parseDeliveredJson,
} from '@smartscale/contracts';
import {
  type DeciderPorts,
  evaluateClaimedSample,
  evaluateSample,
  recordOutcome,
} from './decide-action.js';
import { currentCatalog } from './instance-catalog.js';

const ctx = createServiceContext('decider');
// Instance types resolved against EC2 once per container: the decision sizes
// new nodes with the capacity EC2 gives, and with several types packs
// pending pods across them at their current prices.
const { config, instanceTypes } = await resolvedConfigFromEnv(ctx.clients.ec2, (note) =>
  ctx.logger.warn(note),
);
const region = await ctx.clients.ec2.config.region();
// Spot prices cached 5 minutes per container: they move a few times a day.
const spotPrices = new SpotPriceCache({ ec2: ctx.clients.ec2 });

const ports: DeciderPorts<Lease> = {
  config,
  now: () => new Date(),
  // Named one by one (not spread) so the IAM usage check can follow each call.
  acquireLock: ctx.ledger.acquireLock,
  releaseLock: ctx.ledger.releaseLock,
  loadState: ctx.ledger.loadState,
  // EC2's tags, not a Node's own label, say which Nodes are ours to remove.
  smartscaleInstances: () => liveWorkerIds(ctx.clients.ec2, ctx.resources.clusterId),
  instanceCatalog: () =>
    currentCatalog(
      instanceTypes,
      config,
      region,
      (types, zones) => spotPrices.cheapestByType(types, zones),
      (line) => ctx.logger.warn(line),
    ),
  saveState: ctx.ledger.saveState,
  audit: ctx.ledger.audit,
  publish: ctx.publish,
};

export const handler = createMessageHandler<AnyEnvelope | ClaimedSample>({
  // A sample may arrive as a claim on S3; everything else is a plain message.
  parse: (body) => {
    const delivered = parseDeliveredJson(body);
    if (!delivered.ok) return delivered;
    return {
      ok: true,
      value: delivered.value.kind === 'message' ? delivered.value.message : delivered.value,
    };
  },
  sqs: ctx.clients.sqs,
  clusterId: ctx.resources.clusterId,
  deadLetterQueueUrl: ctx.resources.queues.decider.dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message) {
    if ('kind' in message || message.type === 'MetricsSampled') {
      const result =
        'kind' in message
          ? await evaluateClaimedSample(message, ctx.sampleClaims, ports)
          : await evaluateSample(message, ports);
      if (result.status === 'decided') {
        // What was decided, not only why: a scale-up's count and types and a
        // scale-down's node, so an over-launch or a wrong victim can be traced
        // from the logs alone.
        const d = result.decision;
        ctx.logger.info(`decision: ${d.kind}`, {
          ...('actionId' in message ? { actionId: message.actionId } : {}),
          reasons: d.reasons.map((r) => r.code),
          ...(d.kind === 'scale-up' ? { count: d.count, launches: d.launches } : {}),
          ...(d.kind === 'scale-down' ? { victim: d.victim.nodeName } : {}),
        });
      } else if (result.status === 'skipped-stale') {
        // Logged, not audited: one line per sample a backlog passes over.
        ctx.logger.info('sample skipped: stale', {
          actionId: result.actionId,
          reasons: ['sample-stale'],
        });
      } else if (result.status === 'lock-busy') {
        // Another decider holds the lock; the next sample comes within a minute.
        ctx.logger.info('sample not evaluated: lock busy');
      } else {
        ctx.logger.info(`sample not decided again: its action is ${result.status}`, {
          actionId: result.actionId,
        });
      }
      return;
    }
    if (!(await recordOutcome(message, ports))) {
      throw new LockBusyError(message.clusterId, message.type);
    }
  },
});
