// Temporary: activity on the local:up environment for the README examples (not committed).
import { readFileSync } from 'node:fs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createAwsClients, localAwsOptions, Publisher } from '@smartscale/aws';
import { createMessage, type NodeInfo } from '@smartscale/contracts';
import { workerNode } from '../local/src/join-agent.ts';

const state = JSON.parse(readFileSync('.smartscale/local.json', 'utf8'));
const aws = state.parts.find((p: { name: string }) => p.name === 'aws').details;
const cluster = state.parts.find((p: { name: string }) => p.name === 'cluster').details;
const clients = createAwsClients(localAwsOptions(aws.endpoint));
const publisher = new Publisher({
  sns: clients.sns,
  sqs: clients.sqs,
  topicArns: aws.resources.topics,
});
const step = process.argv[2];
const GiB = 1024 ** 3;
const ids = ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002'];

if (step === 'nodes') {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  for (const id of ids)
    await core.createNode({
      body: workerNode(
        {
          InstanceId: id,
          Placement: { AvailabilityZone: 'us-east-1a' },
          InstanceType: 't3.medium',
        },
        {},
      ),
    });
}
if (step === 'sample') {
  const pending = Number(process.argv[3] ?? 0);
  const now = new Date();
  const node = (id: string): NodeInfo => ({
    name: id,
    instanceId: id,
    zone: 'us-east-1a',
    instanceType: 't3.medium',
    capacityType: 'on-demand',
    managed: true,
    ready: true,
    unschedulable: false,
    createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
    allocatable: { cpuMillis: 1900, memoryBytes: 3.6 * GiB },
    pods: [
      {
        namespace: 'shop',
        name: `${id}-web`,
        ownerKind: 'ReplicaSet',
        ownerName: 'web',
        ownerReplicas: 4,
        cpuMillis: 1700,
        memoryBytes: 2 * GiB,
        hasPdb: true,
        doNotDisrupt: false,
        localStorage: false,
      },
    ],
  });
  const m = createMessage(
    'MetricsSampled',
    {
      takenAt: now.toISOString(),
      nodes: ids.map(node),
      pendingPods: Array.from({ length: pending }, (_, i) => ({
        namespace: 'shop',
        name: `web-7d9f-${i}`,
        cpuMillis: 1500,
        memoryBytes: GiB,
        pendingSince: new Date(now.getTime() - 45_000).toISOString(),
      })),
      utilization: {
        available: true,
        cpu: { now: 0.89, upWindowMin: 0.74, downWindowMax: 0.9 },
        memory: { now: 0.56, downWindowMax: 0.58 },
      },
    },
    { clusterId: aws.resources.clusterId },
    now,
  );
  await publisher.publish(m);
  console.log(m.actionId);
}
if (step === 'poison') {
  await clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: aws.resources.queues.decider.url,
      MessageBody: JSON.stringify({ type: 'ScaleUp', payload: { count: -1 } }),
      MessageAttributes: { type: { DataType: 'String', StringValue: 'ScaleUp' } },
    }),
  );
}
clients.destroy();
