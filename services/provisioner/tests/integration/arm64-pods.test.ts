// A pod with an arm64 node selector gets an arm64 type (issue #23): the
// configuration's requirements resolve on moto to x86_64 and Graviton
// types, core's decision packs the pending pod across them, and the real
// provisioner launches what the ScaleUp names through CreateFleet, with the
// arm64 AMI of instance.imageIds in the override.
import { DescribeInstancesCommand, DescribeInstanceTypesCommand } from '@aws-sdk/client-ec2';
import { type AwsClients, DedupStore, Ec2Fleet, FleetTag, resolveConfig } from '@smartscale/aws';
import { freshTopology, motoClients } from '@smartscale/aws/test-support';
import {
  type AnyEnvelope,
  type ClusterSnapshot,
  createMessage,
  emptyClusterState,
} from '@smartscale/contracts';
import { decide, parseConfig, priceBook } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../../packages/local/src/aws/bootstrap.js';
import { describeWorkerType, workerNode } from '../../../../packages/local/src/join-agent.js';
import { createWorkerNetwork } from '../../../../packages/local/src/services/worker-network.js';
import { imageIdsByType, type ProvisionerPorts, provision } from '../../launch-workers.js';

/** moto's bundled arm64 image (Amazon Linux 2 arm64). */
const ARM64_AMI = 'ami-0e9271c829888680e';
const MiB = 1024 ** 2;

let clients: AwsClients;
let topology: AppliedTopology;
let subnets: { zone: string; subnetId: string }[];
let templateId: string;
/** The overrides of every CreateFleet sent. */
const overrides: { InstanceType?: string; ImageId?: string }[][] = [];

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'arm64');
  const network = await createWorkerNetwork(clients.ec2, topology.prefix, ['us-east-1a']);
  subnets = [...network.subnets];
  templateId = network.launchTemplateId;
  clients.ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateFleetCommand') {
        const input = args.input as {
          LaunchTemplateConfigs?: { Overrides?: { InstanceType?: string; ImageId?: string }[] }[];
        };
        overrides.push(input.LaunchTemplateConfigs?.[0]?.Overrides ?? []);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordFleets' },
  );
});
afterAll(() => clients.destroy());

describe('an arm64 pending pod on a mixed x86_64 / Graviton configuration (moto)', () => {
  it('refuses two architectures without an AMI for the other one, naming the setting', async () => {
    const both = parseConfig({ instance: { types: ['t3.large', 'm7g.large'] } });
    await expect(resolveConfig(clients.ec2, 'us-east-1', both)).rejects.toThrow(
      'instance.types[1]: "m7g.large" is arm64 but "t3.large" is x86_64; the workers\' launch template has one AMI: name the arm64 AMI in instance.imageIds.arm64 (or keep to one architecture)',
    );
    const named = parseConfig({
      instance: { types: ['t3.large', 'm7g.large'], imageIds: { arm64: ARM64_AMI } },
    });
    const { instanceTypes } = await resolveConfig(clients.ec2, 'us-east-1', named);
    expect(instanceTypes.map((t) => t.architecture)).toEqual(['x86_64', 'arm64']);
  });

  it('resolves both architectures, plans an arm64 type and launches an arm64 instance', async () => {
    const clusterId = `${topology.prefix}-arm`;
    const input = parseConfig({
      workers: { min: 0, max: 5 },
      purchase: { spotShare: 0, onDemandBase: 0 },
      instance: {
        requirements: {
          families: ['t3', 'm7g'],
          vcpu: { min: 2, max: 2 },
          memoryGiB: { min: 8, max: 8 },
          architecture: ['x86_64', 'arm64'],
        },
        imageIds: { arm64: ARM64_AMI },
      },
    });
    const { config, instanceTypes } = await resolveConfig(clients.ec2, 'us-east-1', input);
    expect(instanceTypes.map((t) => [t.instanceType, t.architecture])).toEqual([
      ['m7g.large', 'arm64'],
      ['t3.large', 'x86_64'],
    ]);

    const now = new Date();
    const snapshot: ClusterSnapshot = {
      takenAt: now.toISOString(),
      nodes: [],
      pendingPods: [
        {
          namespace: 'shop',
          name: 'web-arm-0',
          owner: 'ReplicaSet/web-arm',
          cpuMillis: 500,
          memoryBytes: 512 * MiB,
          pendingSince: new Date(now.getTime() - 60_000).toISOString(),
          nodeSelector: { 'kubernetes.io/arch': 'arm64' },
        },
      ],
      utilization: {
        available: true,
        cpu: { now: 0.5, upWindowMin: 0.5, downWindowMax: 0.5 },
        memory: { now: 0.4, downWindowMax: 0.4 },
      },
    };
    // t3.large made the cheaper type, so only the selector can send the pod to Graviton.
    const prices = priceBook(config, {
      onDemand: { 'us-east-1': { 't3.large': 0.01, 'm7g.large': 0.5 } },
    });
    const decision = decide(snapshot, emptyClusterState(clusterId), config, now, {
      types: instanceTypes,
      prices,
    });
    expect(decision).toMatchObject({
      kind: 'scale-up',
      count: 1,
      launches: [{ instanceType: 'm7g.large', count: 1 }],
    });
    if (decision.kind !== 'scale-up') throw new Error('expected a scale-up');

    const dedup = new DedupStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      ttlSeconds: 86_400,
      claimSeconds: 300,
    });
    const fleet = new Ec2Fleet({
      ec2: clients.ec2,
      clusterId,
      launchTemplate: { id: templateId },
      subnets,
      dedup,
    });
    const published: AnyEnvelope[] = [];
    const ports: ProvisionerPorts = {
      config,
      zones: fleet.zones,
      now: () => now,
      findByAction: (actionId) => fleet.findByAction(actionId),
      describeWorkers: () => fleet.describeWorkers(),
      launch: (actionId, group) => fleet.launch(actionId, group),
      publish: async (message) => {
        published.push(message);
      },
      publishDelayed: async () => {},
      instanceTypes: instanceTypes.map((t) => t.instanceType),
      resolvedTypes: instanceTypes,
      imageIds: imageIdsByType(instanceTypes, config.instance.imageIds),
    };
    const command = createMessage(
      'ScaleUp',
      {
        count: decision.count,
        reason: 'pending-pods',
        ...(decision.launches ? { launches: decision.launches } : {}),
      },
      { clusterId },
      now,
    );
    const outcome = await provision(command, ports);

    // The fleet offered the chosen Graviton type alone, with the arm64 AMI.
    expect(overrides).toEqual([
      [expect.objectContaining({ InstanceType: 'm7g.large', ImageId: ARM64_AMI })],
    ]);
    expect(outcome.launched.map((w) => w.instanceType)).toEqual(['m7g.large']);
    const res = await clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: `tag:${FleetTag.ActionId}`, Values: [command.actionId] }],
      }),
    );
    const [instance] = (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    expect(instance?.ImageId).toBe(ARM64_AMI);
    const described = await clients.ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: [instance?.InstanceType as never] }),
    );
    expect(described.InstanceTypes?.[0]?.ProcessorInfo?.SupportedArchitectures).toEqual(['arm64']);
    expect(published.map((m) => m.type)).toContain('InstancesLaunched');

    // The local join agent registers it as its type is: arm64, 2 vCPU, 8 GiB.
    const node = workerNode(
      instance ?? {},
      { reserved: config.instance.reserved },
      await describeWorkerType(clients.ec2, instance?.InstanceType ?? ''),
    );
    expect(node.metadata?.labels?.['kubernetes.io/arch']).toBe('arm64');
    expect(node.status?.capacity).toMatchObject({ cpu: '2', memory: '8192Mi' });
    await expect(describeWorkerType(clients.ec2, 'x9.gigantic')).rejects.toThrow(
      /x9\.gigantic|InvalidInstanceType/,
    );
  });
});
