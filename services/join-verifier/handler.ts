// Lambda entry of the join verifier: VerifyJoin commands.
import {
  configFromEnv,
  createMessageHandler,
  createServiceContext,
  fleetFromEnv,
} from '@smartscale/aws';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import { type JoinVerifierPorts, verifyJoin } from './verify-join.js';

const ctx = createServiceContext('join-verifier');
const config = configFromEnv();
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const cluster = new ClusterClient(await kubeConfigFromEnv(process.env, ctx.readSecret));

const ports: JoinVerifierPorts = {
  now: () => new Date(),
  async findNodeByInstanceId(instanceId) {
    const node = await cluster.findNodeStatusByInstanceId(instanceId);
    return node ? { name: node.name, ready: node.ready } : null;
  },
  podsPlacedOn: (nodeName) => cluster.podsPlacedOn(nodeName),
  async terminate(instanceIds) {
    const { refused } = await fleet.terminate(instanceIds);
    if (refused.length > 0)
      ctx.logger.warn('not terminated: not workers of this cluster', { refused });
    return { refused };
  },
  async deleteNode(nodeName) {
    await cluster.deleteNode(nodeName);
  },
  once: ctx.once,
  publish: ctx.publish,
  publishDelayed: ctx.delayedTo('join-verifier'),
};

export const handler = createMessageHandler({
  sqs: ctx.clients.sqs,
  clusterId: ctx.resources.clusterId,
  // A VerifyJoin replayed long after it was sent must not terminate a worker.
  maxAge: { maxAgeSeconds: config.commands.maxAgeSeconds },
  deadLetterQueueUrl: ctx.resources.queues['join-verifier'].dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message) {
    if (message.type !== 'VerifyJoin') {
      ctx.logger.warn(`ignoring ${message.type}: not a join-verifier command`);
      return;
    }
    const outcome = await verifyJoin(message, ports);
    ctx.logger.info('join check', { ...outcome, attempt: message.payload.attempt });
    if (outcome.notReadyNow.length > 0)
      ctx.logger.warn('joined, NotReady now: the pods it runs show it was Ready; not terminated', {
        instances: outcome.notReadyNow,
      });
  },
});
