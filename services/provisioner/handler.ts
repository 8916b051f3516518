// Lambda entry of the provisioner: ScaleUp and ReplaceCapacity commands.
import {
  AvoidedPoolStore,
  createMessageHandler,
  createServiceContext,
  fleetFromEnv,
  resolvedConfigFromEnv,
} from '@smartscale/aws';
import { crashAt, faultFromEnv } from './fault-injection.js';
import { imageIdsByType, type ProvisionerPorts, provision } from './launch-workers.js';

const ctx = createServiceContext('provisioner');
// The configured instance types resolved against EC2 once per container: a
// type EC2 does not offer would fail every launch, so start-up refuses it.
const { config, instanceTypes } = await resolvedConfigFromEnv(ctx.clients.ec2, (note) =>
  ctx.logger.warn(note),
);
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const fault = faultFromEnv(process.env);
const avoidedPools = new AvoidedPoolStore({
  documents: ctx.clients.documents,
  tableName: ctx.resources.tables.state,
  clusterId: ctx.resources.clusterId,
});

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
  instanceTypes: instanceTypes.map((t) => t.instanceType),
  resolvedTypes: instanceTypes,
  imageIds: imageIdsByType(instanceTypes, config.instance.imageIds),
  avoidedPools: {
    active: (now) => avoidedPools.active(now),
    avoid: (pools) => avoidedPools.avoid(pools),
  },
};

export const handler = createMessageHandler({
  sqs: ctx.clients.sqs,
  // A ScaleUp replayed long after it was sent is refused, never launched.
  maxAge: { maxAgeSeconds: config.commands.maxAgeSeconds },
  clusterId: ctx.resources.clusterId,
  deadLetterQueueUrl: ctx.resources.queues.provisioner.dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message, record) {
    if (message.type !== 'ScaleUp' && message.type !== 'ReplaceCapacity') {
      ctx.logger.warn(`ignoring ${message.type}: not a provisioner command`);
      return;
    }
    // When the command reached the provisioner, apart from when its launch
    // returned: bench:latency splits decided -> launched at this line.
    const sent = Number(record.attributes?.SentTimestamp);
    ctx.logger.info(
      'command received',
      Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {},
    );
    const outcome = await provision(message, ports);
    ctx.logger.info('launched', {
      instances: outcome.launched.map((w) => `${w.instanceId} ${w.capacityType} ${w.zone}`),
      unavailablePools: outcome.unavailablePools.map(
        (p) => `${p.instanceType ?? 'all types'} ${p.capacityType} ${p.zone}: ${p.error}`,
      ),
      ...(outcome.heldAtMax ? { heldAtMax: outcome.heldAtMax } : {}),
    });
  },
});
