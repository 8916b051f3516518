// A node joined by hand with the workers' user data, on real parts (issue
// #21 item 9): moto for EC2, the local API server (with the admission policy
// every local run applies) for Kubernetes. Its kubelet labelled it
// smartscale.io/managed=true, which the admission policy trusts, so only
// the EC2 tags of its instance can tell it from a worker. The decider's
// ownership marks (liveWorkerIds, withInstanceOwnership, pickVictim), the
// drainer (its real cluster ports with the writer identity, the real fleet)
// and the reconciler's plan are run on it: it is never chosen, cordoned,
// drained or deleted, and is named; our own worker still leaves.
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type AwsClients,
  createAwsClients,
  DedupStore,
  Ec2Fleet,
  FleetTag,
  liveWorkerIds,
  localAwsOptions,
} from '@smartscale/aws';
import type { AnyEnvelope, Envelope } from '@smartscale/contracts';
import { createMessage, emptyClusterState } from '@smartscale/contracts';
import {
  labelledNotOurs,
  parseConfig,
  pickVictim,
  planRepairs,
  withInstanceOwnership,
} from '@smartscale/core';
import { ClusterClient } from '@smartscale/k8s';
import { adminClients, createKwokNode, uniqueGroup } from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type MotoServer, startMoto } from '../../../../packages/local/src/aws/moto-server.ts';
import { clusterPorts } from '../../cluster-ports.js';
import { type DrainerPorts, type DrainResult, drainNode } from '../../drain-node.js';

const CLUSTER = 'c-hand';
const MANAGED = { 'smartscale.io/managed': 'true' };
const { core } = adminClients();
const group = uniqueGroup('by-hand');
const name = (n: string) => `${group}-${n}`;
const config = parseConfig({});

let moto: MotoServer;
let clients: AwsClients;
let fleet: Ec2Fleet;
let writer: ClusterClient;
const ids = { ours: '', byHand: '', halfTagged: '' };
/** An instance id EC2 has never heard of: a Node whose instance is gone, or made up. */
const NO_INSTANCE = 'i-0eeeeeeeeeeeeeee1';

async function launch(tags: Record<string, string>): Promise<string> {
  const images = await clients.ec2.send(new DescribeImagesCommand({}));
  const res = await clients.ec2.send(
    new RunInstancesCommand({
      ImageId: images.Images?.[0]?.ImageId ?? '',
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.medium',
      ...(Object.keys(tags).length > 0
        ? {
            TagSpecifications: [
              {
                ResourceType: 'instance',
                Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }
        : {}),
    }),
  );
  return res.Instances?.[0]?.InstanceId ?? '';
}

beforeAll(async () => {
  moto = await startMoto();
  clients = createAwsClients(localAwsOptions(moto.endpoint));
  // Only findWorker and terminate are used: no launch, so no template,
  // subnet or dedup table is ever read.
  fleet = new Ec2Fleet({
    ec2: clients.ec2,
    clusterId: CLUSTER,
    launchTemplate: { id: 'lt-0unused' },
    subnets: [{ zone: 'us-east-1a', subnetId: 'subnet-0unused' }],
    dedup: new DedupStore({
      documents: clients.documents,
      tableName: 'unused',
      ttlSeconds: 60,
      claimSeconds: 60,
    }),
  });
  ids.ours = await launch({ [FleetTag.Cluster]: CLUSTER, [FleetTag.Managed]: 'true' });
  ids.byHand = await launch({});
  // Someone copied the cluster tag but not the managed one: still not ours.
  ids.halfTagged = await launch({ [FleetTag.Cluster]: CLUSTER });
  for (const [node, instanceId] of [
    ['ours', ids.ours],
    ['by-hand', ids.byHand],
    ['half-tagged', ids.halfTagged],
    ['no-instance', NO_INSTANCE],
  ] as const)
    await createKwokNode(core, {
      name: name(node),
      group,
      providerID: `aws:///us-east-1a/${instanceId}`,
      labels: MANAGED,
    });
  writer = ClusterClient.fromKubeconfigFile(inject('cluster').kubeconfigs.writer);
}, 120_000);

afterAll(async () => {
  for (const node of ['ours', 'by-hand', 'half-tagged', 'no-instance'])
    await core.deleteNode({ name: name(node) }).catch(() => undefined);
  await moto?.stop();
});

/** The drainer's ports as its handler builds them, on the writer identity and the moto fleet. */
function drainerPorts(published: AnyEnvelope[], now: Date): DrainerPorts {
  return {
    ...clusterPorts(writer, { info: () => {} }),
    now: () => now,
    joinWindowSeconds: 690,
    drainTimeoutSeconds: 600,
    async findWorker(instanceId) {
      const worker = await fleet.findWorker(instanceId);
      return worker ? { state: worker.state, launchedAt: worker.launchedAt } : null;
    },
    findReplacements: async () => [],
    podsToEvict: async (nodeName) =>
      (await writer.listPodsOnNode(nodeName)).map((p) => ({
        namespace: p.namespace,
        name: p.name,
      })),
    async terminate(instanceId) {
      await fleet.terminate([instanceId]);
    },
    once: async (_a, _s, effect) => {
      await effect();
      return true;
    },
    publish: async (m) => {
      published.push(m);
    },
    publishDelayed: async () => {},
  };
}

async function drain(node: string, instanceId: string) {
  const now = new Date();
  const published: AnyEnvelope[] = [];
  const command = createMessage(
    'DrainNode',
    {
      nodeName: name(node),
      instanceId,
      deadline: new Date(now.getTime() + 600_000).toISOString(),
      reason: 'scale-down',
    },
    { clusterId: CLUSTER },
    now,
  );
  const result: DrainResult = await drainNode(command, drainerPorts(published, now));
  return { result, published };
}

async function groupNodes() {
  return (await writer.listWorkerNodes()).filter((n) => n.name.startsWith(`${group}-`));
}

/** The instance's state as EC2 reports it, tags or not. */
async function runningState(instanceId: string): Promise<string | undefined> {
  const res = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return res.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

async function instanceState(instanceId: string): Promise<string | undefined> {
  const all = await fleet.describeAllWorkers();
  return all.find((w) => w.instanceId === instanceId)?.state;
}

describe('a Node labelled managed whose instance is not SmartScale’s', () => {
  it('the decider marks from EC2 and never chooses it: our worker is the victim, the others are named', async () => {
    const ours = await liveWorkerIds(clients.ec2, CLUSTER);
    expect(ours).toEqual(new Set([ids.ours]));
    const snapshot = withInstanceOwnership(
      {
        takenAt: new Date().toISOString(),
        nodes: await groupNodes(),
        pendingPods: [],
        utilization: { available: false, reason: 'not needed' },
      },
      ours,
    );
    // A day later, so no node is too young to remove.
    const choice = pickVictim(snapshot.nodes, config, new Date(Date.now() + 86_400_000));
    expect(choice.ok && choice.node.name).toBe(name('ours'));
    expect(choice.rejected).toEqual(
      expect.arrayContaining(
        ['by-hand', 'half-tagged', 'no-instance'].map((n) => ({
          nodeName: name(n),
          code: 'not-smartscale-instance',
        })),
      ),
    );
  });

  it.each([
    ['by-hand', () => ids.byHand],
    ['half-tagged', () => ids.halfTagged],
    ['no-instance', () => NO_INSTANCE],
  ])(
    'the drainer cordons, drains, terminates and deletes nothing of the %s node',
    async (node, id) => {
      const { result, published } = await drain(node, id());
      expect(result).toMatchObject({
        status: 'aborted',
        reason: 'not a SmartScale instance',
        refusal: { nodeName: name(node), code: 'not-smartscale-instance' },
      });
      expect(published.map((m) => m.type)).toEqual(['ActionFailed']);
      expect((published[0] as Envelope<'ActionFailed'>).payload.detail).toContain(
        `instance ${id()} of Node ${name(node)} is not tagged`,
      );
      const after = await core.readNode({ name: name(node) });
      expect(after.spec?.unschedulable).toBeFalsy();
      expect(after.metadata?.annotations?.['smartscale.io/cordoned-by']).toBeUndefined();
      if (id() !== NO_INSTANCE) expect(await runningState(id())).toBe('running');
    },
  );

  it('the drainer still removes our own worker: cordoned, instance terminated in EC2, Node deleted', async () => {
    const { result, published } = await drain('ours', ids.ours);
    expect(result).toEqual({ status: 'removed', evicted: 0 });
    expect(published.map((m) => m.type)).toEqual(['NodeCordoned', 'NodeDrained', 'NodeRemoved']);
    expect(['shutting-down', 'terminated']).toContain(await instanceState(ids.ours));
    expect((await groupNodes()).map((n) => n.name).sort()).toEqual(
      [name('by-hand'), name('half-tagged'), name('no-instance')].sort(),
    );
  });

  it('the reconciler plans no repair of them and lists each as left alone', async () => {
    const view = {
      instances: await fleet.describeAllWorkers(),
      nodes: await groupNodes(),
      state: emptyClusterState(CLUSTER),
    };
    const config = parseConfig({ reconcile: { graceSeconds: 60 } });
    // An hour later: every grace and join window has passed.
    const repairs = planRepairs(view, config, new Date(Date.now() + 3_600_000));
    expect(repairs.filter((r) => r.nodeName?.startsWith(`${group}-`))).toEqual([]);
    expect(
      labelledNotOurs(view)
        .map((n) => n.nodeName)
        .sort(),
    ).toEqual([name('by-hand'), name('half-tagged'), name('no-instance')].sort());
  });
});
