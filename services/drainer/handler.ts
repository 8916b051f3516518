// Lambda entry of the drainer: DrainNode commands (scale-down and interruptions).
import { createMessageHandler, createServiceContext, fleetFromEnv } from '@smartscale/aws';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import { type DrainerPorts, drainNode } from './drain-node.js';

const ctx = createServiceContext('drainer');
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const cluster = new ClusterClient(await kubeConfigFromEnv(process.env, ctx.readSecret));

const ports: DrainerPorts = {
  now: () => new Date(),
  async getNode(nodeName, instanceId) {
    const found = await cluster.findNodeByInstanceId(instanceId);
    const node = found?.name === nodeName ? found : null;
    return node ? { unschedulable: node.unschedulable } : null;
  },
  cordon: (nodeName, actionId) => cluster.cordon(nodeName, actionId),
  uncordon: (nodeName) => cluster.uncordon(nodeName),
  async podsToEvict(nodeName) {
    // DaemonSet pods leave with the node; evicting them would only respawn them.
    const pods = await cluster.listPodsOnNode(nodeName);
    return pods
      .filter((p) => p.ownerKind !== 'DaemonSet')
      .map((p) => ({ namespace: p.namespace, name: p.name }));
  },
  async evict(pod) {
    const result = await cluster.evictPod(pod);
    switch (result.outcome) {
      case 'evicted':
        return 'evicted';
      case 'blocked-by-pdb':
        ctx.logger.info('eviction refused by a PodDisruptionBudget', {
          pod: `${pod.namespace}/${pod.name}`,
          detail: result.detail,
        });
        return 'pdb-blocked';
      case 'already-gone':
        return 'gone';
      case 'failed':
        // Throttling and server errors are worth another pass; the rest fail the message.
        return result.retryable
          ? 'pdb-blocked'
          : { error: `HTTP ${result.status}: ${result.detail}` };
    }
  },
  async terminate(instanceId) {
    const { refused } = await fleet.terminate([instanceId]);
    if (refused.length > 0)
      ctx.logger.warn('not terminated: not a worker of this cluster', { instanceId });
  },
  async deleteNode(nodeName) {
    await cluster.deleteNode(nodeName);
  },
  once: ctx.once,
  publish: ctx.publish,
  publishDelayed: ctx.delayedTo('drainer'),
};

export const handler = createMessageHandler({
  sqs: ctx.clients.sqs,
  deadLetterQueueUrl: ctx.resources.queues.drainer.dlqUrl,
  logger: ctx.logger,
  metrics: ctx.metrics,
  async handle(message) {
    if (message.type !== 'DrainNode') {
      ctx.logger.warn(`ignoring ${message.type}: not a drainer command`);
      return;
    }
    const result = await drainNode(message, ports);
    ctx.logger.info(`drain ${result.status}`, {
      node: message.payload.nodeName,
      attempt: message.payload.attempt,
      ...result,
    });
  },
});
