import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { capacityRule, throttleRule } from '../../../local/src/faults/ec2-faults.ts';
import { type FaultProxy, startFaultProxy } from '../../../local/src/faults/fault-proxy.ts';
import {
  type AwsClients,
  createAwsClients,
  DedupStore,
  Ec2Fleet,
  localAwsOptions,
} from '../../src/index.js';
import { freshTopology, motoClients } from './support.js';

// The soak's EC2 faults (issue #19) answer in EC2's own words: the SDK and
// Ec2Fleet, talking to moto through the fault proxy, must read them as the
// errors AWS sends (a capacity error per pool from CreateFleet, the error
// code from RunInstances, RequestLimitExceeded after the SDK's retries).
let direct: AwsClients;
let viaProxy: AwsClients;
let proxy: FaultProxy;
let fleet: Ec2Fleet;
let subnets: { zone: string; subnetId: string }[];
let dedup: DedupStore;

beforeAll(async () => {
  direct = motoClients();
  const topology = await freshTopology(direct, 'ec2fault');
  const vpc = await direct.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  subnets = [];
  for (const [i, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
    const subnet = await direct.ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: `10.9.${i}.0/24`,
        AvailabilityZone: zone,
      }),
    );
    subnets.push({ zone, subnetId: subnet.Subnet?.SubnetId ?? '' });
  }
  const images = await direct.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const template = await direct.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${topology.prefix}-workers`,
      LaunchTemplateData: { ImageId: images.Images?.[0]?.ImageId, InstanceType: 't3.medium' },
    }),
  );
  proxy = await startFaultProxy({ target: inject('motoEndpoint') });
  viaProxy = createAwsClients(localAwsOptions(proxy.url));
  dedup = new DedupStore({
    documents: direct.documents,
    tableName: topology.tables.state.name,
    ttlSeconds: 86_400,
    claimSeconds: 300,
  });
  fleet = new Ec2Fleet({
    ec2: viaProxy.ec2,
    clusterId: topology.prefix,
    launchTemplate: { id: template.LaunchTemplate?.LaunchTemplateId ?? '' },
    subnets,
    dedup,
  });
});
afterAll(async () => {
  await proxy.close();
  direct.destroy();
  viaProxy.destroy();
});

const zones = () => new Map(subnets.map((s) => [s.subnetId, s.zone]));

describe('EC2 faults through the proxy in front of moto', () => {
  it('a zone without capacity: CreateFleet reports each pool, RunInstances the error code; the other zone launches', async () => {
    const off = proxy.add(capacityRule({ zone: 'us-east-1a' }, zones()));
    try {
      const pools: unknown[] = [];
      const fleetLaunch = fleet.launch('act-ice-1', {
        zone: 'us-east-1a',
        capacityType: 'spot',
        count: 1,
        instanceTypes: ['t3.medium', 't3a.medium'],
        onPoolErrors: (errors) => pools.push(...errors),
      });
      await expect(fleetLaunch).rejects.toThrow(
        /CreateFleet launched no spot instance in us-east-1a: t3.medium InsufficientInstanceCapacity/,
      );
      expect(pools).toEqual([
        expect.objectContaining({
          instanceType: 't3.medium',
          zone: 'us-east-1a',
          capacityType: 'spot',
          error: 'InsufficientInstanceCapacity',
        }),
        expect.objectContaining({
          instanceType: 't3a.medium',
          error: 'InsufficientInstanceCapacity',
        }),
      ]);
      await expect(
        fleet.launch('act-ice-2', { zone: 'us-east-1a', capacityType: 'on-demand', count: 1 }),
      ).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity' });
      const other = await fleet.launch('act-ice-3', {
        zone: 'us-east-1b',
        capacityType: 'on-demand',
        count: 1,
      });
      expect(other).toHaveLength(1);
      expect(proxy.hits['ec2-capacity']).toBeGreaterThanOrEqual(2);
    } finally {
      off();
    }
    // Once the fault is off the same zone launches again.
    expect(
      await fleet.launch('act-ice-4', { zone: 'us-east-1a', capacityType: 'on-demand', count: 1 }),
    ).toHaveLength(1);
  });

  it('throttled launches fail with RequestLimitExceeded after the SDK retried them', async () => {
    const off = proxy.add(throttleRule());
    try {
      await expect(
        fleet.launch('act-throttle-1', { zone: 'us-east-1b', capacityType: 'on-demand', count: 1 }),
      ).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
      // The SDK's standard retry mode made 3 attempts, each refused on the wire.
      expect(proxy.hits['ec2-throttle']).toBe(3);
    } finally {
      off();
    }
  });
});
