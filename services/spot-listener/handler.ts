// Lambda entry of the spot listener: EC2 and AWS Health events from EventBridge.
import {
  configFromEnv,
  createMessageHandler,
  createServiceContext,
  fleetFromEnv,
} from '@smartscale/aws';
import { type Parsed, ValidationError } from '@smartscale/contracts';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import { type Ec2Event, parseEc2Event, toInterruption } from './ec2-events.js';
import { handleInterruption, type SpotListenerPorts } from './handle-interruption.js';

const ctx = createServiceContext('spot-listener');
const config = configFromEnv();
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const cluster = new ClusterClient(await kubeConfigFromEnv(process.env, ctx.readSecret));

const ports: SpotListenerPorts = {
  clusterId: ctx.resources.clusterId,
  rebalance: config.interruptions.rebalance,
  drainTimeoutSeconds: config.scaleDown.drainTimeoutSeconds,
  now: () => new Date(),
  findManagedWorker: (instanceId) => fleet.findWorker(instanceId),
  findNodeName: async (instanceId) =>
    (await cluster.findNodeStatusByInstanceId(instanceId))?.name ?? null,
  publish: ctx.publish,
};

function parseEvent(body: string): Parsed<Ec2Event> {
  try {
    return parseEc2Event(JSON.parse(body));
  } catch (err) {
    const problem = { path: '(root)', message: `expected JSON: ${(err as Error).message}` };
    return { ok: false, error: new ValidationError('EC2 event', [problem]) };
  }
}

export const handler = createMessageHandler<Ec2Event>({
  sqs: ctx.clients.sqs,
  clusterId: ctx.resources.clusterId,
  deadLetterQueueUrl: ctx.resources.queues['spot-listener'].dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  parse: parseEvent,
  // An interruption or rebalance event replayed long after AWS sent it
  // (its worker long gone or long safe) is refused, never drained on.
  maxAge: { maxAgeSeconds: config.commands.maxAgeSeconds },
  occurredAtOf: (event) => event.time,
  async handle(event) {
    const interruption = toInterruption(event);
    const results = await handleInterruption(interruption, ports);
    interruption.instanceIds.forEach((instanceId, i) => {
      if (results[i] === 'left-to-reconciler')
        ctx.logger.info(
          `managed worker ${instanceId} is ${interruption.state}; left to the reconciler (it deletes the Node of a gone instance)`,
          { eventId: interruption.eventId },
        );
    });
    ctx.logger.info(`${interruption.kind}: ${results.join(', ') || 'no instances'}`, {
      eventId: interruption.eventId,
      instanceIds: interruption.instanceIds,
    });
  },
});
