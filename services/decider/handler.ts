// Lambda entry of the decider: samples and outcome events from its queue.

import type { Lease } from '@smartscale/aws';
import { configFromEnv, createMessageHandler, createServiceContext } from '@smartscale/aws';
import { type AnyEnvelope, type ClaimedSample, parseDeliveredJson } from '@smartscale/contracts';
import {
  type DeciderPorts,
  type EvaluationResult,
  evaluateClaimedSample,
  evaluateSample,
  recordOutcome,
} from './decide-action.js';

const ctx = createServiceContext('decider');
const config = configFromEnv();

// The lock is held for milliseconds; a short bounded wait beats a redelivery
// a whole visibility timeout later.
async function acquire(clusterId: string): Promise<Lease | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const lease = await ctx.lock.acquire(clusterId);
    if (lease) return lease;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  return null;
}

const ports: DeciderPorts<Lease> = {
  config,
  now: () => new Date(),
  acquireLock: acquire,
  releaseLock: async (clusterId, lease) => {
    await ctx.lock.release(clusterId, lease);
  },
  loadState: (clusterId) => ctx.state.load(clusterId),
  saveState: async (state, lease) => {
    await ctx.state.save(state, lease);
  },
  audit: async (record) => {
    await ctx.audit.record(record);
  },
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
        ctx.logger.info(`decision: ${result.decision.kind}`, {
          reasons: result.decision.reasons.map((r) => r.code),
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
      throw new Error(`cluster lock busy; ${message.type} will be redelivered`);
    }
  },
});
