// Lambda entry of the drainer: DrainNode commands (scale-down and interruptions).
import {
  configFromEnv,
  createMessageHandler,
  createServiceContext,
  fleetFromEnv,
} from '@smartscale/aws';
import { classifyPod } from '@smartscale/core';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import { clusterPorts } from './cluster-ports.js';
import { type DrainerPorts, drainNode } from './drain-node.js';

const ctx = createServiceContext('drainer');
const config = configFromEnv();
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const cluster = new ClusterClient(await kubeConfigFromEnv(process.env, ctx.readSecret));

const ports: DrainerPorts = {
  now: () => new Date(),
  joinWindowSeconds: config.instance.bootSeconds + config.join.timeoutSeconds,
  drainTimeoutSeconds: config.scaleDown.drainTimeoutSeconds,
  ...clusterPorts(cluster, ctx.logger),
  async findWorker(instanceId) {
    const worker = await fleet.findWorker(instanceId);
    return worker ? { state: worker.state, launchedAt: worker.launchedAt } : null;
  },
  async findReplacements(actionId, doomedInstanceId) {
    // describeWorkers (live only) carries each launch time; findByAction does not.
    const workers = await fleet.describeWorkers();
    return workers
      .filter((w) => w.actionId === actionId && w.instanceId !== doomedInstanceId)
      .map((w) => ({ instanceId: w.instanceId, launchedAt: w.launchedAt }));
  },
  async podsToEvict(nodeName) {
    // The same classification as victim selection: DaemonSet, mirror, finished and
    // long-terminating pods are never evicted (a mirror pod cannot be, so the drain
    // would never end). Blocked pods stay listed with their blocker: a scale-down aborts on them.
    const pods = await cluster.listPodsOnNode(nodeName);
    const now = ports.now();
    return pods.flatMap((p) => {
      const d = classifyPod(p, now);
      if (d.verdict === 'skip') return [];
      const pod = { namespace: p.namespace, name: p.name };
      if (d.verdict === 'evict') return [pod];
      return [
        {
          ...pod,
          blocker: d.pdb === undefined ? { code: d.blocker } : { code: d.blocker, pdb: d.pdb },
        },
      ];
    });
  },
  async terminate(instanceId) {
    const { refused } = await fleet.terminate([instanceId]);
    if (refused.length > 0)
      ctx.logger.warn('not terminated: not a worker of this cluster', { instanceId });
  },
  once: ctx.once,
  publish: ctx.publish,
  publishDelayed: ctx.delayedTo('drainer'),
};

export const handler = createMessageHandler({
  sqs: ctx.clients.sqs,
  clusterId: ctx.resources.clusterId,
  // A DrainNode replayed long after it was sent is refused, never drained on.
  maxAge: { maxAgeSeconds: config.commands.maxAgeSeconds },
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
