// Lambda entry of the provisioner: ScaleUp and ReplaceCapacity commands.
import {
  assertInstanceTypeOffered,
  configFromEnv,
  createMessageHandler,
  createServiceContext,
  fleetFromEnv,
} from '@smartscale/aws';
import { crashAt, faultFromEnv } from './fault-injection.js';
import { type ProvisionerPorts, provision } from './launch-workers.js';

const ctx = createServiceContext('provisioner');
const config = configFromEnv();
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const fault = faultFromEnv(process.env);
// A type EC2 does not offer would fail every launch: refuse to start instead.
await assertInstanceTypeOffered(ctx.clients.ec2, config.instance.type);

const ports: ProvisionerPorts = {
  config,
  zones: fleet.zones,
  now: () => new Date(),
  findByAction: (actionId) => fleet.findByAction(actionId),
  describeWorkers: () => fleet.describeWorkers(),
  launch: (actionId, group) => fleet.launch(actionId, group),
  async publish(message) {
    if (message.type === 'InstancesLaunched')
      crashAt('crash-after-launch', fault, (line) => ctx.logger.error(line));
    await ctx.publish(message);
  },
  publishDelayed: ctx.delayedTo('join-verifier'),
};

export const handler = createMessageHandler({
  sqs: ctx.clients.sqs,
  // A ScaleUp replayed long after it was sent is refused, never launched.
  maxAge: { maxAgeSeconds: config.commands.maxAgeSeconds },
  clusterId: ctx.resources.clusterId,
  deadLetterQueueUrl: ctx.resources.queues.provisioner.dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message) {
    if (message.type !== 'ScaleUp' && message.type !== 'ReplaceCapacity') {
      ctx.logger.warn(`ignoring ${message.type}: not a provisioner command`);
      return;
    }
    const outcome = await provision(message, ports);
    ctx.logger.info('launched', {
      instances: outcome.launched.map((w) => `${w.instanceId} ${w.capacityType} ${w.zone}`),
      unavailablePools: outcome.unavailablePools.map(
        (p) => `${p.capacityType} ${p.zone}: ${p.error}`,
      ),
    });
  },
});
