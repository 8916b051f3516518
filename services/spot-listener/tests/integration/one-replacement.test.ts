import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { type AwsClients, DedupStore, Ec2Fleet, FleetTag } from '@smartscale/aws';
import { freshTopology, motoClients } from '@smartscale/aws/test-support';
import { type AnyEnvelope, createMessage, type Envelope } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { type ProvisionerPorts, provision } from '@smartscale/service-provisioner/launch-workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../../packages/local/src/aws/bootstrap.js';
import { createWorkerNetwork } from '../../../../packages/local/src/services/worker-network.js';
import { parseEc2Event, toInterruption } from '../../ec2-events.js';
import { handleInterruption, type SpotListenerPorts } from '../../handle-interruption.js';

let clients: AwsClients;
let topology: AppliedTopology;
let fleet: Ec2Fleet;
let clusterId: string;

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'spot-listener');
  // moto's EC2 is shared by every test file; the cluster id keeps them apart.
  clusterId = topology.prefix;
  // The same worker network the local stack makes (a VPC, a subnet per zone, the template).
  const network = await createWorkerNetwork(clients.ec2, topology.prefix, [
    'us-east-1a',
    'us-east-1b',
  ]);
  fleet = new Ec2Fleet({
    ec2: clients.ec2,
    clusterId,
    launchTemplate: { id: network.launchTemplateId },
    subnets: network.subnets,
    dedup: new DedupStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      ttlSeconds: 86_400,
      claimSeconds: 300,
    }),
  });
});
afterAll(() => clients.destroy());

const config = parseConfig({ interruptions: { rebalance: 'replace-then-drain' } });

function listenerPorts(published: AnyEnvelope[], nodeName: string): SpotListenerPorts {
  return {
    clusterId,
    rebalance: config.interruptions.rebalance,
    drainTimeoutSeconds: config.scaleDown.drainTimeoutSeconds,
    now: () => new Date(),
    findManagedWorker: (instanceId) => fleet.findWorker(instanceId),
    // The Kubernetes lookup is not what this test is about: the doomed worker's Node.
    findNodeName: async () => nodeName,
    publish: async (m) => {
      published.push(m);
    },
  };
}

function provisionerPorts(published: AnyEnvelope[]): ProvisionerPorts {
  return {
    config,
    zones: fleet.zones,
    now: () => new Date(),
    findByAction: (actionId) => fleet.findByAction(actionId),
    describeWorkers: () => fleet.describeWorkers(),
    launch: (actionId, group) => fleet.launch(actionId, group),
    publish: async (m) => {
      published.push(m);
    },
    publishDelayed: async (m) => {
      published.push(m);
    },
  };
}

function ec2Event(detailType: string, id: string, detail: object) {
  const parsed = parseEc2Event({
    version: '0',
    id,
    'detail-type': detailType,
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  });
  if (!parsed.ok) throw parsed.error;
  return toInterruption(parsed.value);
}

async function liveTagged(actionId: string): Promise<string[]> {
  const res = await clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${FleetTag.ActionId}`, Values: [actionId] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? '');
}

describe('spot listener with the real fleet (moto)', () => {
  it('a rebalance then the interruption warning for one worker launch exactly one replacement', async () => {
    const seed = createMessage('ScaleUp', { count: 1, reason: 'seed' }, { clusterId }, new Date());
    const [doomed] = await fleet.launch(seed.actionId, {
      zone: 'us-east-1a',
      capacityType: 'spot',
      count: 1,
    });
    const instanceId = doomed?.instanceId ?? '';
    expect(instanceId).toMatch(/^i-/);

    const listened: AnyEnvelope[] = [];
    const ports = listenerPorts(listened, 'ip-10-2-0-9');
    const rebalance = ec2Event('EC2 Instance Rebalance Recommendation', 'evt-rebalance', {
      'instance-id': instanceId,
    });
    const warning = ec2Event('EC2 Spot Instance Interruption Warning', 'evt-warning', {
      'instance-id': instanceId,
      'instance-action': 'terminate',
    });
    expect(await handleInterruption(rebalance, ports)).toEqual(['replacing']);
    expect(await handleInterruption(warning, ports)).toEqual(['replacing']);

    const replaces = listened.filter(
      (m): m is Envelope<'ReplaceCapacity'> => m.type === 'ReplaceCapacity',
    );
    expect(replaces).toHaveLength(2);
    const actionId = replaces[0]?.actionId ?? '';
    expect(replaces[1]?.actionId).toBe(actionId);
    expect(actionId).not.toBe(seed.actionId);
    const drains = listened.flatMap((m) => (m.type === 'DrainNode' ? [m.payload] : []));
    expect(drains.map((d) => [d.reason, d.waitForReplacement])).toEqual([
      ['rebalance', true],
      ['spot-interruption', false],
    ]);

    const reported: AnyEnvelope[] = [];
    for (const command of replaces) await provision(command, provisionerPorts(reported));
    const live = await liveTagged(actionId);
    expect(live).toHaveLength(1);
    const launchReports = reported.flatMap((m) =>
      m.type === 'InstancesLaunched' ? [m.payload.instances.map((i) => i.instanceId)] : [],
    );
    expect(launchReports).toEqual([live, live]);
  });

  it('announces nothing for state changes of a managed worker', async () => {
    const seed = createMessage('ScaleUp', { count: 1, reason: 'seed' }, { clusterId }, new Date());
    const [w] = await fleet.launch(seed.actionId, {
      zone: 'us-east-1b',
      capacityType: 'on-demand',
      count: 1,
    });
    const listened: AnyEnvelope[] = [];
    const ports = listenerPorts(listened, 'ip-10-2-1-9');
    for (const state of ['pending', 'running', 'stopping', 'terminated']) {
      await handleInterruption(
        ec2Event('EC2 Instance State-change Notification', `evt-${state}`, {
          'instance-id': w?.instanceId,
          state,
        }),
        ports,
      );
    }
    expect(listened).toEqual([]);
  });
});
